/**
 * The URL family that `prisma dev` prints and `prisma init` writes into `.env`, so a project made for
 * `prisma dev` works against ppg-dev unchanged. Pure: no I/O.
 *
 * - TCP: `postgres://postgres:postgres@localhost:<databasePort>/template1?sslmode=disable`
 * - shadow: the same on `<shadowDatabasePort>`
 * - HTTP: `prisma+postgres://localhost:<httpPort>/?api_key=<base64url(JSON)>`, where the JSON holds
 *   `{databaseUrl, name, shadowDatabaseUrl}` with sorted keys and the ORM form of both URLs. The key is
 *   not a secret: it only tells the HTTP server which instance the client expects.
 */

/** `template1` is what `prisma dev` users have in their URLs; ppg-dev aliases it to the main database. */
const PRISMA_DATABASE_NAME = 'template1';

/** The pool parameters `prisma dev` (via @prisma/dev 0.24.17) puts into the URLs inside the api_key. */
const ORM_URL_PARAMS =
  'sslmode=disable&connection_limit=10&connect_timeout=0&max_idle_connection_lifetime=0&pool_timeout=0&socket_timeout=0';

export interface PrismaDevPorts {
  httpPort: number;
  databasePort: number;
  shadowDatabasePort: number;
}

export interface PrismaDevUrlOptions extends PrismaDevPorts {
  /** Instance name; `prisma init` assumes `default`. */
  name: string;
  /** Default `localhost`, as `prisma dev` prints (the server itself listens on 127.0.0.1). */
  host?: string;
  /** Default `postgres`. */
  user?: string;
  /** Default `postgres`. */
  password?: string;
}

export interface PrismaDevUrls {
  /** Plain TCP URL for any Postgres client and for `@prisma/adapter-pg`. */
  databaseUrl: string;
  /** TCP URL of the shadow database for `prisma migrate dev`. */
  shadowDatabaseUrl: string;
  /** `prisma+postgres://…/?api_key=…` for Prisma Client's `accelerateUrl`. */
  prismaPostgresUrl: string;
  /** The HTTP server's own base URL (`http://host:httpPort`). */
  httpUrl: string;
  apiKey: string;
}

/** The decoded api_key. `name` is optional because keys from old `prisma dev` versions lack it. */
export interface ApiKeyPayload {
  databaseUrl: string;
  name?: string;
  shadowDatabaseUrl: string;
}

interface TcpUrlParts {
  host: string;
  port: number;
  user: string;
  password: string;
  params: string;
}

function tcpUrl({ host, port, user, password, params }: TcpUrlParts): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${PRISMA_DATABASE_NAME}?${params}`;
}

/** Builds every URL of the family. Throws RangeError on a port outside 1–65535 or an empty name. */
export function buildPrismaDevUrls(options: PrismaDevUrlOptions): PrismaDevUrls {
  for (const [key, port] of Object.entries({
    httpPort: options.httpPort,
    databasePort: options.databasePort,
    shadowDatabasePort: options.shadowDatabasePort,
  })) {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`${key} must be a port number, got ${port}`);
  }
  if (options.name.length === 0) throw new RangeError('name must not be empty');
  const base = {
    host: options.host ?? 'localhost',
    user: options.user ?? 'postgres',
    password: options.password ?? 'postgres',
  };
  const apiKey = encodeApiKey({
    databaseUrl: tcpUrl({ ...base, port: options.databasePort, params: ORM_URL_PARAMS }),
    name: options.name,
    shadowDatabaseUrl: tcpUrl({ ...base, port: options.shadowDatabasePort, params: ORM_URL_PARAMS }),
  });
  return {
    databaseUrl: tcpUrl({ ...base, port: options.databasePort, params: 'sslmode=disable' }),
    shadowDatabaseUrl: tcpUrl({ ...base, port: options.shadowDatabasePort, params: 'sslmode=disable' }),
    prismaPostgresUrl: `prisma+postgres://${base.host}:${options.httpPort}/?api_key=${apiKey}`,
    httpUrl: `http://${base.host}:${options.httpPort}`,
    apiKey,
  };
}

/** base64url of the JSON with sorted keys, byte for byte what `prisma dev` produces. */
export function encodeApiKey(payload: ApiKeyPayload): string {
  const sorted = Object.fromEntries(
    Object.entries(payload)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return Buffer.from(JSON.stringify(sorted), 'utf8').toString('base64url');
}

export type DecodeApiKeyResult = { ok: true; payload: ApiKeyPayload } | { ok: false; reason: string };

function isPostgresUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Decodes and shape-checks an api_key; never throws. */
export function decodeApiKey(apiKey: string): DecodeApiKeyResult {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(apiKey)) return { ok: false, reason: 'it is not base64url' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(apiKey, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'it does not decode to JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'it does not decode to a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  if (!isPostgresUrl(record['databaseUrl'])) return { ok: false, reason: 'its databaseUrl is not a postgres:// URL' };
  if (!isPostgresUrl(record['shadowDatabaseUrl'])) {
    return { ok: false, reason: 'its shadowDatabaseUrl is not a postgres:// URL' };
  }
  const name = record['name'];
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    return { ok: false, reason: 'its name is not a non-empty string' };
  }
  return {
    ok: true,
    payload: { databaseUrl: record['databaseUrl'], shadowDatabaseUrl: record['shadowDatabaseUrl'], ...(name ? { name } : {}) },
  };
}
