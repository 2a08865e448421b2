import { pickEndpointConnectionString, parseCreatedDatabase, parseRegions, type CreatedDatabase } from './api-responses.js';
import type { CloudEndpoints } from './cloud-endpoints.js';
import type { CreateDatabaseResult, DatabaseError, RateLimitInfo, Region } from './create-db-types.js';
import { sendRequest, type HttpResponse } from './http-request.js';
import { isObject } from './management-api-error.js';
import { PpgError } from '../ppg-error.js';

/**
 * The create-db worker protocol (create-db 1.2.x): `GET /health`, `GET /regions`, `POST /create`.
 * The worker holds the integration token, so no user token is involved.
 */

const SERVICE = 'the Prisma Postgres create-db service';
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** `30m`, or `1h` to `24h` (any case), in milliseconds; undefined for anything else. */
export function parseTtl(ttl: string): number | undefined {
  // Case-insensitive, as create-db's zod schema: `1H` and `30M` are accepted.
  const normalized = ttl.trim().toLowerCase();
  if (normalized === '30m') return 30 * 60 * 1000;
  const hours = /^([1-9]|1[0-9]|2[0-4])h$/.exec(normalized);
  return hours ? Number(hours[1]) * 60 * 60 * 1000 : undefined;
}

export function invalidTtl(ttl: string): DatabaseError {
  return { success: false, error: 'invalid_ttl', message: `Invalid ttl "${ttl}". Allowed range is 30m to 24h.` };
}

/**
 * `GET /health`. Resolves when the worker answers with a 2xx; otherwise throws a PpgError that says
 * what happened: NETWORK_ERROR ("Cannot reach …", create-db's words) when nothing answers,
 * TIMEOUT when it answers too slowly, SERVICE_UNAVAILABLE for a 5xx, API_ERROR for another non-2xx.
 */
export async function checkHealth(endpoints: CloudEndpoints): Promise<void> {
  let response: HttpResponse;
  try {
    response = await sendRequest({ method: 'GET', url: `${endpoints.createDbWorkerUrl}/health`, timeoutMs: endpoints.timeoutMs, service: SERVICE });
  } catch (error) {
    if (error instanceof PpgError && error.code === 'TIMEOUT') throw error;
    throw new PpgError('NETWORK_ERROR', 'Cannot reach Prisma Postgres API server.', { hint: 'Check your internet connection or visit https://www.prisma-status.com/', cause: error });
  }
  if (response.status < 200 || response.status > 299) throw serviceFailed('/health', response.status);
}

/** `GET /regions`: available regions only. Throws PpgError on a non-OK answer, a body without regions, or a network failure. */
export async function fetchRegions(endpoints: CloudEndpoints): Promise<Region[]> {
  const response = await sendRequest({ method: 'GET', url: `${endpoints.createDbWorkerUrl}/regions`, timeoutMs: endpoints.timeoutMs, service: SERVICE });
  if (response.status < 200 || response.status > 299) throw serviceFailed('/regions', response.status);
  // Validated by parseRegions, but returned as sent (with `type`), as create-db's `regions --json` prints them.
  const parsed = parseRegions(response.json);
  const raw = (Array.isArray(response.json) ? response.json : (response.json as { data: unknown[] }).data) as Region[];
  return raw.filter((_region, index) => parsed[index]?.status === 'available');
}

/** A non-2xx from the worker: a 5xx is the service's failure, anything else a refusal we did not expect. */
function serviceFailed(path: string, status: number): PpgError {
  return new PpgError(status >= 500 ? 'SERVICE_UNAVAILABLE' : 'API_ERROR', `${SERVICE} failed: GET ${path} answered HTTP ${status}`, {
    hint: status >= 500 ? 'the service is having trouble; try again later or visit https://www.prisma-status.com/' : 'try again; report it if it persists',
  });
}

export interface CreateRequest {
  region: string;
  /** The invoked command name, sent as `utm_source` and used in the claim URL when no user agent is set. */
  utmSource: string;
  source: 'cli' | 'programmatic';
  userAgent?: string;
  ttlMs?: number;
}

/** `POST /create`. Returns a DatabaseResult or a DatabaseError; throws only for network failures. */
export async function createOnWorker(endpoints: CloudEndpoints, request: CreateRequest, now = new Date()): Promise<CreateDatabaseResult> {
  const name = now.toISOString();
  const body = {
    region: request.region,
    name,
    utm_source: request.utmSource,
    ...(request.userAgent ? { userAgent: request.userAgent } : {}),
    source: request.source,
    ...(request.ttlMs !== undefined ? { ttlMs: request.ttlMs } : {}),
  };
  const response = await sendRequest({
    method: 'POST',
    url: `${endpoints.createDbWorkerUrl}/create`,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: endpoints.timeoutMs,
    service: SERVICE,
  });
  return parseCreateResponse(response, { ...request, name, now, claimBaseUrl: endpoints.claimDbWorkerUrl });
}

/** Pure mapping of a `/create` answer to create-db 1.2.x's result and error objects. */
export function parseCreateResponse(
  response: Pick<HttpResponse, 'status' | 'json' | 'text'>,
  sent: CreateRequest & { name: string; now: Date; claimBaseUrl: string },
): CreateDatabaseResult {
  const json = response.json;
  if (response.status === 429) {
    if (isObject(json) && json.error === 'RATE_LIMIT_EXCEEDED') {
      return {
        success: false,
        error: 'RATE_LIMIT_EXCEEDED',
        message: typeof json.message === 'string' ? json.message : 'Rate limit exceeded.',
        ...(isObject(json.rateLimitInfo) ? { rateLimitInfo: json.rateLimitInfo as unknown as RateLimitInfo } : {}),
        status: 429,
      };
    }
    return { success: false, error: 'rate_limit_exceeded', message: "We're experiencing a high volume of requests. Please try again later.", status: 429 };
  }
  if (!isObject(json)) return { success: false, error: 'invalid_json', message: 'Unexpected response from create service.', raw: response.text, status: response.status };
  if (json.error !== undefined || response.status < 200 || response.status > 299) {
    const error = isObject(json.error) ? json.error : { message: typeof json.message === 'string' ? json.message : undefined, code: json.error };
    const status = typeof error.status === 'number' ? error.status : response.status;
    return { success: false, error: 'api_error', message: typeof error.message === 'string' ? error.message : 'Unknown error', details: error, status };
  }
  const data = isObject(json.data) ? json.data : json;
  let database: CreatedDatabase | undefined;
  const rawDatabase = data.database ?? (Array.isArray(data.databases) ? data.databases[0] : undefined);
  try {
    database = rawDatabase === undefined || rawDatabase === null ? undefined : parseCreatedDatabase(rawDatabase);
  } catch {
    database = undefined;
  }
  const projectId = typeof data.id === 'string' ? data.id : '';
  const claimUrl = `${sent.claimBaseUrl}/claim?projectID=${projectId}&utm_source=${sent.userAgent || sent.utmSource}&utm_medium=cli`;
  return {
    success: true,
    connectionString: (database && pickEndpointConnectionString(database.connections)) ?? null,
    claimUrl,
    deletionDate: new Date(sent.now.getTime() + (sent.ttlMs ?? DEFAULT_TTL_MS)).toISOString(),
    region: database?.regionId || sent.region,
    name: isObject(rawDatabase) && typeof rawDatabase.name === 'string' ? rawDatabase.name : sent.name,
    projectId,
    ...(sent.userAgent ? { userAgent: sent.userAgent } : {}),
  };
}
