import { ManagementApiError, isObject } from './management-api-error.js';

/**
 * Validation of Management API success bodies. We read only the fields we use and tolerate extra
 * ones (the API adds fields over time); a body missing a field we need becomes a clear
 * INVALID_RESPONSE error instead of an `undefined` travelling into `.env`.
 */

export interface Region {
  id: string;
  name?: string;
  status: string;
}

export interface Page {
  items: unknown[];
  nextCursor: string | null;
  hasMore: boolean;
}

interface Endpoint {
  host?: string;
  port?: number;
  connectionString?: string;
}

export interface ConnectionInfo {
  id?: string;
  endpoints: { direct?: Endpoint; pooled?: Endpoint; accelerate?: Endpoint };
  connectionString?: string;
  directConnection?: { host: string; user: string; pass: string } | null;
}

export interface CreatedDatabase {
  id: string;
  name: string;
  status: string;
  regionId: string | undefined;
  connections: ConnectionInfo[];
  /** Deprecated top-level fields, kept for older servers. */
  connectionString?: string | null;
  directConnection?: { host: string; user: string; pass: string } | null;
}

export interface CreatedProject {
  id: string;
  name: string;
  workspaceId: string | undefined;
  database: CreatedDatabase | null;
}

function invalid(what: string): ManagementApiError {
  return new ManagementApiError('INVALID_RESPONSE', `unexpected response from the Prisma Management API: ${what}`, { status: 200, hint: 'try again; report it if it persists' });
}

/** `{data:[...]}` or a bare array (the create-db worker's clients accept both). */
export function parseRegions(json: unknown): Region[] {
  const list = Array.isArray(json) ? json : isObject(json) ? json.data : undefined;
  if (!Array.isArray(list)) throw invalid('regions: no data array');
  return list.map((item) => {
    if (!isObject(item) || typeof item.id !== 'string') throw invalid('regions: an entry has no id');
    return {
      id: item.id,
      ...(typeof item.name === 'string' ? { name: item.name } : {}),
      status: typeof item.status === 'string' ? item.status : 'available',
    };
  });
}

export function parsePage(json: unknown): Page {
  if (!isObject(json) || !Array.isArray(json.data)) throw invalid('list: no data array');
  const pagination = isObject(json.pagination) ? json.pagination : {};
  const nextCursor = typeof pagination.nextCursor === 'string' ? pagination.nextCursor : null;
  return { items: json.data, nextCursor, hasMore: pagination.hasMore === true && nextCursor !== null };
}

/** The `data` of a create-project response: the project and its default database (null with `createDatabase:false`). */
export function parseCreatedProject(json: unknown): CreatedProject {
  if (!isObject(json) || !isObject(json.data)) throw invalid('no project data returned');
  const data = json.data;
  if (typeof data.id !== 'string') throw invalid('the project has no id');
  const workspace = isObject(data.workspace) ? data.workspace : undefined;
  return {
    id: data.id,
    name: typeof data.name === 'string' ? data.name : data.id,
    workspaceId: typeof workspace?.id === 'string' ? workspace.id : undefined,
    database: data.database === null || data.database === undefined ? null : parseCreatedDatabase(data.database),
  };
}

export function parseCreatedDatabase(value: unknown): CreatedDatabase {
  if (!isObject(value) || typeof value.id !== 'string') throw invalid('the database has no id');
  const region = isObject(value.region) ? value.region : undefined;
  const connections = Array.isArray(value.connections) ? value.connections.map(parseConnection) : [];
  return {
    id: value.id,
    name: typeof value.name === 'string' ? value.name : value.id,
    status: typeof value.status === 'string' ? value.status : 'unknown',
    regionId: typeof region?.id === 'string' ? region.id : undefined,
    connections,
    connectionString: typeof value.connectionString === 'string' ? value.connectionString : null,
    directConnection: parseDirectConnection(value.directConnection),
  };
}

export function parseConnection(value: unknown): ConnectionInfo {
  if (!isObject(value)) throw invalid('a connection is not an object');
  const endpoints = isObject(value.endpoints) ? value.endpoints : {};
  const result: ConnectionInfo = { endpoints: {} };
  if (typeof value.id === 'string') result.id = value.id;
  for (const kind of ['direct', 'pooled', 'accelerate'] as const) {
    const endpoint = endpoints[kind];
    if (!isObject(endpoint)) continue;
    result.endpoints[kind] = {
      ...(typeof endpoint.host === 'string' ? { host: endpoint.host } : {}),
      ...(typeof endpoint.port === 'number' ? { port: endpoint.port } : {}),
      ...(typeof endpoint.connectionString === 'string' && endpoint.connectionString !== '' ? { connectionString: endpoint.connectionString } : {}),
    };
  }
  if (typeof value.connectionString === 'string') result.connectionString = value.connectionString;
  result.directConnection = parseDirectConnection(value.directConnection);
  return result;
}

function parseDirectConnection(value: unknown): { host: string; user: string; pass: string } | null {
  if (!isObject(value)) return null;
  const { host, user, pass } = value;
  return typeof host === 'string' && typeof user === 'string' && typeof pass === 'string' ? { host, user, pass } : null;
}

/**
 * The URL to write, as `prisma init --db` ≥7.5, create-db 1.2.x and `postgres link` choose it: the first
 * connection with a direct or pooled `connectionString`, preferring direct; then the deprecated fields
 * (a top-level `connectionString`, then `directConnection` built as
 * `postgres://user:pass@host/postgres?sslmode=require`, as Prisma ≤7.4 did). Undefined when there is none.
 */
export function pickConnectionString(database: Pick<CreatedDatabase, 'connections' | 'connectionString' | 'directConnection'>): string | undefined {
  const fromEndpoints = pickEndpointConnectionString(database.connections);
  if (fromEndpoints) return fromEndpoints;
  for (const connection of database.connections) if (connection.connectionString) return connection.connectionString;
  if (database.connectionString) return database.connectionString;
  const direct = database.directConnection ?? database.connections.find((c) => c.directConnection)?.directConnection;
  if (direct) return `postgres://${encodeURIComponent(direct.user)}:${encodeURIComponent(direct.pass)}@${direct.host}/postgres?sslmode=require`;
  return undefined;
}

/** create-db 1.2.x's rule, without the deprecated fallbacks: the first direct-or-pooled `connectionString`, direct first. */
export function pickEndpointConnectionString(connections: ConnectionInfo[]): string | undefined {
  for (const connection of connections) {
    const url = connection.endpoints.direct?.connectionString ?? connection.endpoints.pooled?.connectionString;
    if (url) return url;
  }
  return undefined;
}

/** A project as `GET /v1/projects` lists it: what `ppg cloud ls` shows and `--project` matches. */
export interface ListedProject {
  id: string;
  name: string;
  region: string | null;
  createdAt: string | null;
}

export function parseListedProject(value: unknown): ListedProject {
  if (!isObject(value) || typeof value.id !== 'string') throw invalid('a project has no id');
  return {
    id: value.id,
    name: typeof value.name === 'string' ? value.name : value.id,
    region: typeof value.defaultRegion === 'string' ? value.defaultRegion : null,
    createdAt: typeof value.createdAt === 'string' ? value.createdAt : null,
  };
}

/** A database as `GET /v1/databases` lists it (no secrets). */
export interface ListedDatabase {
  id: string;
  name: string;
  status: string;
  isDefault: boolean;
}

export function parseListedDatabase(value: unknown): ListedDatabase {
  if (!isObject(value) || typeof value.id !== 'string') throw invalid('a database has no id');
  return {
    id: value.id,
    name: typeof value.name === 'string' ? value.name : value.id,
    status: typeof value.status === 'string' ? value.status : 'unknown',
    isDefault: value.isDefault === true,
  };
}
