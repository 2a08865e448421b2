import { resolve } from 'node:path';
import { PpgError } from '../ppg-error.js';
import { updateEnvFile } from '../env/env-file.js';
import { resolveEndpoints } from './cloud-endpoints.js';
import { REGION_IDS, type CreateDatabaseResult, type Region } from './create-db-types.js';
import { checkHealth, createOnWorker, fetchRegions, parseTtl } from './create-db-worker.js';

export interface CreateDbRunOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  region?: string;
  /** Asks for a region from the available list (the command supplies the prompt). */
  pickRegion?: (regions: Region[]) => Promise<string>;
  ttl?: string;
  userAgent?: string;
  /** The invoked name (`create-db`, `create-pg`, `create-postgres`), sent as `utm_source`. */
  utmSource: string;
  /** Writes DATABASE_URL and CLAIM_URL to this file (relative to cwd), replacing existing values. */
  envFile?: string;
  /** Progress for people (stderr). */
  progress: (line: string) => void;
}

export interface CreateDbRun {
  result: CreateDatabaseResult;
  /** Absolute path of the env file written, when one was. */
  envWritten?: string;
}

/**
 * `ppg create-db`: the create-db 1.2.x CLI flow with clean errors. Checks, in order and before
 * creating anything: the TTL, the region against the known ids, the service's health, and (when a
 * region was given or picked) that the service lists it as available. Those checks throw PpgError
 * (`invalid_ttl`, `invalid_region`, `network_error`); the service's own refusals come back as a
 * DatabaseError result. The env file is written only after a success.
 */
export async function runCreateDb(options: CreateDbRunOptions): Promise<CreateDbRun> {
  let ttlMs: number | undefined;
  if (options.ttl !== undefined) {
    ttlMs = parseTtl(options.ttl);
    if (ttlMs === undefined) throw new PpgError('invalid_ttl', `Invalid ttl "${options.ttl}". Allowed range is 30m to 24h.`, { hint: 'use 30m, or 1h to 24h' });
  }
  if (options.region !== undefined && !(REGION_IDS as readonly string[]).includes(options.region)) {
    throw new PpgError('invalid_region', `Invalid region: ${options.region}.`, { hint: `allowed regions are ${REGION_IDS.join(', ')}` });
  }
  const endpoints = resolveEndpoints(options.env);
  if (!(await checkHealth(endpoints))) {
    throw new PpgError('network_error', 'Cannot reach Prisma Postgres API server.', { hint: 'Check your internet connection or visit https://www.prisma-status.com/' });
  }
  let region = options.region;
  if (region === undefined && options.pickRegion) region = await options.pickRegion(await fetchRegions(endpoints));
  else if (region !== undefined) {
    const available = await fetchRegions(endpoints);
    if (!available.some((r) => r.id === region)) {
      throw new PpgError('invalid_region', `Invalid region: ${region}. Available regions: ${available.map((r) => r.id).join(', ')}`, {
        hint: 'pick one of the available regions, or run with --interactive',
      });
    }
  }
  region ??= 'us-east-1';
  options.progress(`Creating database in ${region}...`);
  const result = await createOnWorker(endpoints, {
    region,
    utmSource: options.utmSource,
    source: 'cli',
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
  });
  if (!result.success || options.envFile === undefined) return { result };
  const path = resolve(options.cwd, options.envFile);
  const vars: Record<string, string> = result.connectionString === null ? {} : { DATABASE_URL: result.connectionString };
  vars.CLAIM_URL = result.claimUrl;
  await updateEnvFile(path, vars);
  return { result, envWritten: path };
}

/** `ppg create-db regions`: the available regions, after the same health check as create. */
export async function listCreateDbRegions(env: NodeJS.ProcessEnv): Promise<Region[]> {
  const endpoints = resolveEndpoints(env);
  if (!(await checkHealth(endpoints))) {
    throw new PpgError('network_error', 'Cannot reach Prisma Postgres API server.', { hint: 'Check your internet connection or visit https://www.prisma-status.com/' });
  }
  return fetchRegions(endpoints);
}
