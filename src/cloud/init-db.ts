import { basename, join } from 'node:path';
import { PpgError } from '../ppg-error.js';
import { readEnvFile, updateEnvFile, type EnvFileUpdate } from '../env/env-file.js';
import { readEnvVar, readMarker, setEnvVars } from '../env/env-merge.js';
import { writeFileAtomic } from '../env/atomic-write.js';
import { pickConnectionString, type Region } from './api-responses.js';
import { resolveEndpoints } from './cloud-endpoints.js';
import { describeHost, isPrismaPostgresUrl } from './connection-url.js';
import { isGitIgnored } from './gitignore-check.js';
import { ManagementApiClient } from './management-api-client.js';
import { resolveTokenSource } from './token-source.js';

/** The marker `ppg init --db` leaves above DATABASE_URL; `ppg init --local` reads it back. */
export const LOCAL_MARKER = 'local, before ppg init --db';
/** The marker `ppg init --local` leaves, so the cloud credentials (shown only once by the API) are not lost. */
export const CLOUD_MARKER = 'cloud, before ppg init --local';
export const DEFAULT_REGION = 'us-east-1';

export interface InitDbOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  token?: string;
  region?: string;
  name?: string;
  force?: boolean;
  /** Asked before anything is created; returning false aborts with `aborted`. Absent = no question. */
  confirm?: (plan: { name: string; region: string }) => Promise<boolean>;
}

export type InitDbResult =
  | { status: 'already-linked'; envPath: string; host: string }
  | {
      status: 'switched';
      envPath: string;
      env: EnvFileUpdate;
      previousHost: string | undefined;
      /** True when the previous (local) value was kept as a marker comment. */
      keptPrevious: boolean;
      /** False when no .gitignore in the project folder ignores `.env` (it now holds a password). */
      envIgnored: boolean;
      newHost: string;
      projectId: string;
      projectName: string;
      databaseId: string;
      region: string;
    };

/**
 * `ppg init --db`: provisions a Prisma Postgres project with its default database and points
 * DATABASE_URL in `<cwd>/.env` at it, keeping a local previous value as a marker comment.
 * Order matters: everything that can fail without side effects (already linked, token, region) is
 * checked before the project is created, and `.env` is written only once a URL is in hand, so every
 * failure leaves `.env` untouched. Never writes the token to `.env`.
 */
export async function initDb(options: InitDbOptions): Promise<InitDbResult> {
  const envPath = join(options.cwd, '.env');
  const current = readEnvVar((await readEnvFile(envPath)) ?? '', 'DATABASE_URL');
  if (current !== undefined && isPrismaPostgresUrl(current) && !options.force) {
    return { status: 'already-linked', envPath, host: describeHost(current) };
  }
  const endpoints = resolveEndpoints(options.env);
  const client = new ManagementApiClient(endpoints, await resolveTokenSource(options.token, options.env, endpoints));
  const region = checkRegion(options.region ?? DEFAULT_REGION, await client.listPostgresRegions());
  const name = options.name ?? (basename(options.cwd) || 'My Prisma Project');
  if (options.confirm && !(await options.confirm({ name, region }))) {
    throw new PpgError('aborted', 'nothing was created', { hint: 'run `ppg init --db --yes` to skip the question' });
  }
  const project = await client.createProject({ name, region });
  const database = project.database;
  if (!database) {
    throw new PpgError('missing_database', `project ${project.id} was created without a database; .env is unchanged`, {
      hint: 'add a database to it in https://console.prisma.io, or delete it and run `ppg init --db` again',
    });
  }
  const url = pickConnectionString(database);
  if (!url) {
    const why = database.status === 'provisioning' ? 'is still provisioning and' : `(status ${database.status})`;
    throw new PpgError('missing_connection_string', `database ${database.id} in project ${project.id} ${why} came without a connection string; .env is unchanged`, {
      hint: 'create a connection for it in https://console.prisma.io once it is ready, or delete the project and run `ppg init --db` again',
    });
  }
  const keepPrevious = current !== undefined && !isPrismaPostgresUrl(current);
  let env: EnvFileUpdate;
  try {
    env = await updateEnvFile(envPath, { DATABASE_URL: url }, keepPrevious ? { commentPrevious: LOCAL_MARKER } : {});
  } catch (error) {
    throw new PpgError('env_write_failed', `project ${project.id} was created but ${(error as Error).message}`, {
      hint: 'fix the file permissions and run `ppg init --db --force`, or delete the project in https://console.prisma.io',
      cause: error,
    });
  }
  return {
    status: 'switched',
    envPath,
    env,
    previousHost: current === undefined ? undefined : describeHost(current),
    keptPrevious: keepPrevious && env.changes[0]?.action === 'updated',
    envIgnored: await isGitIgnored(options.cwd, '.env'),
    newHost: describeHost(url),
    projectId: project.id,
    projectName: project.name,
    databaseId: database.id,
    region: database.regionId ?? region,
  };
}

/** Rejects a region that the API does not list, or lists as unavailable, before anything is created. */
export function checkRegion(region: string, regions: Region[]): string {
  const available = regions.filter((r) => r.status === 'available').map((r) => r.id);
  const found = regions.find((r) => r.id === region);
  const hint = `choose one of: ${available.join(', ')}`;
  if (!found) throw new PpgError('invalid_region', `unknown region "${region}"`, { hint });
  if (found.status !== 'available') throw new PpgError('region_unavailable', `region "${region}" is currently unavailable`, { hint });
  return region;
}

export interface InitLocalResult {
  envPath: string;
  localHost: string;
  cloudHost: string | undefined;
}

/**
 * `ppg init --local`: puts back the DATABASE_URL that `ppg init --db` commented out, byte for byte,
 * and keeps the cloud URL as a marker comment (the API shows credentials only once).
 * Fails with `no_local_url` when `.env` holds no such marker.
 */
export async function initLocal(options: { cwd: string }): Promise<InitLocalResult> {
  const envPath = join(options.cwd, '.env');
  const text = await readEnvFile(envPath);
  const raw = text === undefined ? undefined : readMarker(text, 'DATABASE_URL', LOCAL_MARKER);
  if (text === undefined || raw === undefined) {
    throw new PpgError('no_local_url', `${envPath} has no local DATABASE_URL saved by \`ppg init --db\``, {
      hint: 'start a local database with `ppg dev` and put its URL in DATABASE_URL',
    });
  }
  const cloud = readEnvVar(text, 'DATABASE_URL');
  const merged = setEnvVars(text, { DATABASE_URL: { raw } }, { dropMarker: LOCAL_MARKER, commentPrevious: CLOUD_MARKER });
  await writeFileAtomic(envPath, merged.text);
  return { envPath, localHost: describeHost(readEnvVar(merged.text, 'DATABASE_URL')), cloudHost: cloud === undefined ? undefined : describeHost(cloud) };
}
