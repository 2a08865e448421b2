import { updateEnvFile, type EnvFileUpdate } from '../env/env-file.js';
import { readEnvVar } from '../env/env-merge.js';
import type { PrismaDevUrls } from '../prisma/prisma-dev-urls.js';

/** Marker label of a value `ppg dev --env` replaced (e.g. a cloud URL), kept as a comment above the key. */
const DEV_ENV_MARKER = 'before ppg dev --env';
/** What `ppg init --db` left to switch back to; obsolete once we point .env at the local instance again. */
const INIT_DB_LOCAL_MARKER = 'local, before ppg init --db';

/** A project that already uses the `prisma+postgres://localhost` form keeps that form. */
function wantsHttpUrl(current: string | undefined): boolean {
  return current !== undefined && /^prisma\+postgres:\/\/(localhost|127\.0\.0\.1)[:/]/.test(current.trim());
}

/**
 * `ppg dev --env [FILE]`: points DATABASE_URL and SHADOW_DATABASE_URL at the local instance with the
 * same in-place merge as `ppg init --db`: every other line kept, a replaced value (say, a cloud URL
 * whose password the API shows only once) kept as a marker comment right above it.
 */
export async function writeDevEnv(envPath: string, urls: PrismaDevUrls): Promise<EnvFileUpdate & { path: string }> {
  const update = await updateEnvFile(
    envPath,
    (before) => ({
      DATABASE_URL: wantsHttpUrl(before === undefined ? undefined : readEnvVar(before, 'DATABASE_URL')) ? urls.prismaPostgresUrl : urls.databaseUrl,
      SHADOW_DATABASE_URL: urls.shadowDatabaseUrl,
    }),
    { commentPrevious: DEV_ENV_MARKER, dropMarker: INIT_DB_LOCAL_MARKER },
  );
  return { ...update, path: envPath };
}
