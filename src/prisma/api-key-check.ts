import { decodeApiKey, type ApiKeyPayload, type PrismaDevPorts } from './prisma-dev-urls.js';

/**
 * Checks the `Authorization: Bearer <api_key>` header Prisma Client sends with every request from a
 * `prisma+postgres://` URL. The key is not a secret; the check exists so that a project pointed at the
 * wrong instance (another project's, or a stale URL after a port change) fails loudly instead of
 * silently reading and writing someone else's database. Pure: no I/O.
 */

export interface InstanceIdentity extends PrismaDevPorts {
  name: string;
}

export type ApiKeyCheck = { ok: true; payload: ApiKeyPayload } | { ok: false; status: 400 | 401; message: string };

/** Host names that reach a server bound to 127.0.0.1 (`prisma dev` itself accepts only `localhost`). */
/** The instance name `prisma dev` and `prisma init` use when none is given. */
const PRISMA_DEFAULT_INSTANCE = 'default';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function urlPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

/** Never throws; the message names the instance and says what is wrong and how to fix it. */
export function checkApiKey(authorization: string | undefined, instance: InstanceIdentity): ApiKeyCheck {
  const where = `the ppg-dev instance "${instance.name}" (HTTP port ${instance.httpPort})`;
  const fix = `Use the prisma+postgres:// URL that \`ppg dev\` prints for "${instance.name}".`;
  if (!authorization) {
    return { ok: false, status: 401, message: `Missing API Key: ${where} needs "Authorization: Bearer <api_key>". ${fix}` };
  }
  const parts = authorization.split(' ');
  if (parts.length !== 2 || parts[0] !== 'Bearer' || !parts[1]) {
    return { ok: false, status: 401, message: `Invalid API Key: ${where} expects "Authorization: Bearer <api_key>". ${fix}` };
  }
  const decoded = decodeApiKey(parts[1]);
  if (!decoded.ok) {
    return { ok: false, status: 400, message: `Malformed API Key for ${where}: ${decoded.reason}. ${fix}` };
  }
  const { payload } = decoded;
  if (!payload.name) {
    return {
      ok: false,
      status: 401,
      message: `Wrong API Key: it names no instance (it comes from an old \`prisma dev\`), but this is ${where}. ${fix}`,
    };
  }
  // `prisma init` writes keys for `prisma dev`'s default instance name; the ports below still tell instances apart.
  if (payload.name !== instance.name && payload.name !== PRISMA_DEFAULT_INSTANCE) {
    return { ok: false, status: 401, message: `Wrong API Key: it is for the instance "${payload.name}", but this is ${where}. ${fix}` };
  }
  const database = urlPort(payload.databaseUrl);
  const shadow = urlPort(payload.shadowDatabaseUrl);
  if (!LOCAL_HOSTS.has(database.host) || !LOCAL_HOSTS.has(shadow.host)) {
    return {
      ok: false,
      status: 401,
      message: `Wrong API Key: it points at host "${database.host}", but ${where} serves only local databases. ${fix}`,
    };
  }
  if (database.port !== instance.databasePort || shadow.port !== instance.shadowDatabasePort) {
    return {
      ok: false,
      status: 401,
      message:
        `Wrong API Key: it expects database port ${database.port} and shadow port ${shadow.port}, but ${where} ` +
        `serves them on ${instance.databasePort} and ${instance.shadowDatabasePort}. ` +
        `Update DATABASE_URL (usually in .env) from \`ppg dev\`'s output.`,
    };
  }
  return { ok: true, payload };
}
