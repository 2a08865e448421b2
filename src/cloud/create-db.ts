import { resolveEndpoints } from './cloud-endpoints.js';
import type { CreateDatabaseResult, DatabaseError, DatabaseResult, ProgrammaticCreateOptions, Region } from './create-db-types.js';
import { createOnWorker, fetchRegions, invalidTtl, parseTtl } from './create-db-worker.js';

/**
 * The package's library API, shaped like create-db 1.2.x: `create()`, `regions()` and the two guards.
 * The service URL comes from `CREATE_DB_WORKER_URL` (default `https://create-db-temp.prisma.io`) and the
 * claim URL from `CLAIM_DB_WORKER_URL` (default `https://create-db.prisma.io`), read at call time.
 */
export type { CreateDatabaseResult, DatabaseError, DatabaseResult, ProgrammaticCreateOptions, RateLimitInfo, Region, RegionId } from './create-db-types.js';
export { REGION_IDS } from './create-db-types.js';
export { CreateFlags, RegionSchema, RegionsFlags } from './create-db-schemas.js';
export type { CreateFlagsInput, RegionsFlagsInput } from './create-db-schemas.js';

/**
 * Creates a temporary Prisma Postgres database (deleted after the TTL unless claimed). Region
 * defaults to `us-east-1` and is not validated client-side; a bad `ttl` resolves to an `invalid_ttl`
 * error without any request. Service errors resolve to a DatabaseError; network failures reject.
 */
export async function create(options: ProgrammaticCreateOptions = {}): Promise<CreateDatabaseResult> {
  let ttlMs: number | undefined;
  if (options.ttl !== undefined) {
    ttlMs = parseTtl(options.ttl);
    if (ttlMs === undefined) return invalidTtl(options.ttl);
  }
  return createOnWorker(resolveEndpoints(process.env), {
    region: options.region ?? 'us-east-1',
    utmSource: 'create-db',
    source: 'programmatic',
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
  });
}

/** The regions currently available for new databases. Rejects on a non-OK answer or a network failure. */
export function regions(): Promise<Region[]> {
  return fetchRegions(resolveEndpoints(process.env));
}

export function isDatabaseSuccess(result: CreateDatabaseResult): result is DatabaseResult {
  return result.success;
}

export function isDatabaseError(result: CreateDatabaseResult): result is DatabaseError {
  return !result.success;
}
