import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PpgError } from '../ppg-error.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { isStagingName } from '../state/staging.js';
import { instancePaths, templatesDir } from '../state/state-paths.js';
import { assertInstanceExists, replaceData } from './snapshots.js';
import { whileStopped } from './while-stopped.js';

/** The main database: what `ppg dev` URLs name (`template1` is Prisma's alias of it). */
const MAIN = 'postgres';

export interface ResetResult {
  /** What was emptied: every database, or the one asked for. */
  databases: string[] | 'all';
  restarted: InstanceRecord | null;
}

/**
 * `ppg dev reset`: back to empty databases with the same ports and URLs. Everything (all databases and
 * the shadow database) unless `database` names one; the main database is made again from the template at
 * the next start, another one right here. The old data is removed only once the new data is in place.
 */
export async function resetInstance(root: string, instance: string, env: NodeJS.ProcessEnv, database?: string): Promise<ResetResult> {
  await assertInstanceExists(root, instance);
  const paths = instancePaths(root, instance);
  // Loaded here: the data-directory code is the server's, and light commands must not load it.
  const { databaseDirName } = await import('../server/database-registry.js');
  const { createDataDirFromTemplate, isDataDir } = await import('../server/data-template.js');
  const { restarted } = await whileStopped(root, instance, env, async () => {
    if (database === undefined) {
      // An empty data root: the server makes the main database from the template when it starts.
      await replaceData(paths.data, async (target) => {
        await mkdir(target, { recursive: true });
      });
      await rm(paths.shadowData, { recursive: true, force: true });
      return;
    }
    const name = database === 'template1' ? MAIN : database;
    const dir = path.join(paths.data, databaseDirName(name));
    if (!(await isDataDir(dir))) {
      const known = (await readdir(paths.data).catch(() => [] as string[])).filter((d) => !isStagingName(d)).join(', ') || 'none yet';
      throw new PpgError('DATABASE_NOT_FOUND', `instance '${instance}' has no database '${database}'`, { hint: `its databases: ${known}` });
    }
    await replaceData(dir, (target) => createDataDirFromTemplate(templatesDir(root), target, name));
  });
  return { databases: database === undefined ? 'all' : [database], restarted };
}
