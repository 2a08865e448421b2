import { PpgError } from '../ppg-error.js';
import { checkEnvWritable, updateEnvFile } from '../env/env-file.js';
import { projectEnvLocation } from './env-location.js';
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
  /**
   * Writes DATABASE_URL and CLAIM_URL to this file (relative to cwd), or with `true` to the project's
   * `.env` (the project root, as `ppg init --db` and `ppg dev --env`); a replaced DATABASE_URL stays as a comment.
   */
  envFile?: string | true;
  /** Progress for people (stderr). */
  progress: (line: string) => void;
}

export interface CreateDbRun {
  result: CreateDatabaseResult;
  /** Absolute path of the env file written, when one was. */
  envWritten?: string;
  /** The env file could not be written after the database was created: the caller prints the URLs, then throws this. */
  envError?: PpgError;
}

/** Marker label of a DATABASE_URL that `ppg create-db -e` replaced. */
const CREATE_DB_MARKER = 'before ppg create-db';

/**
 * `ppg create-db`: the create-db 1.2.x CLI flow with clean errors. Checks, in order and before
 * creating anything: the TTL, the region against the known ids, the service's health, and (when a
 * region was given or picked) that the service lists it as available. Those checks throw PpgError
 * (INVALID_TTL, INVALID_REGION, NETWORK_ERROR); the service's own refusals come back as a
 * DatabaseError result. The env file is written only after a success.
 */
export async function runCreateDb(options: CreateDbRunOptions): Promise<CreateDbRun> {
  let ttlMs: number | undefined;
  if (options.ttl !== undefined) {
    ttlMs = parseTtl(options.ttl);
    if (ttlMs === undefined) throw new PpgError('INVALID_TTL', `Invalid ttl "${options.ttl}". Allowed range is 30m to 24h.`, { hint: 'use 30m, or 1h to 24h' });
  }
  if (options.region !== undefined && !(REGION_IDS as readonly string[]).includes(options.region)) {
    throw new PpgError('INVALID_REGION', `Invalid region: ${options.region}.`, { hint: `allowed regions are ${REGION_IDS.join(', ')}` });
  }
  const envPath = options.envFile === undefined ? undefined : projectEnvLocation(options.cwd, options.envFile === true ? undefined : options.envFile).envPath;
  // Before anything is created: the connection string is shown once, so its destination must work.
  if (envPath !== undefined) await checkEnvWritable(envPath);
  const endpoints = resolveEndpoints(options.env);
  await checkHealth(endpoints);
  let region = options.region;
  if (region === undefined && options.pickRegion) region = await options.pickRegion(await fetchRegions(endpoints));
  else if (region !== undefined) {
    const available = await fetchRegions(endpoints);
    if (!available.some((r) => r.id === region)) {
      throw new PpgError('INVALID_REGION', `Invalid region: ${region}. Available regions: ${available.map((r) => r.id).join(', ')}`, {
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
  if (!result.success || envPath === undefined) return { result };
  const vars: Record<string, string> = result.connectionString === null ? {} : { DATABASE_URL: result.connectionString };
  vars.CLAIM_URL = result.claimUrl;
  try {
    await updateEnvFile(envPath, vars, { commentPrevious: CREATE_DB_MARKER, secret: true });
  } catch (error) {
    const envError = new PpgError('ENV_WRITE_FAILED', `the database was created but ${(error as Error).message}`, {
      hint: 'its connection string and claim URL are printed on stdout: put them in .env by hand; running create-db again would make another database',
      cause: error,
    });
    return { result, envError };
  }
  return { result, envWritten: envPath };
}

/** `ppg create-db regions`: the available regions, after the same health check as create. */
export async function listCreateDbRegions(env: NodeJS.ProcessEnv): Promise<Region[]> {
  const endpoints = resolveEndpoints(env);
  await checkHealth(endpoints);
  return fetchRegions(endpoints);
}
