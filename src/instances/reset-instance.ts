import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PpgError } from '../ppg-error.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { takeSpare } from '../state/spare-copy.js';
import { isStagingName, stagingPathFor } from '../state/staging.js';
import { instancePaths, templatesDir } from '../state/state-paths.js';
import { swapDatabaseFolders } from './data-folders.js';
import { assertInstanceExists } from './snapshots.js';
import { whileQuiet } from './while-quiet.js';

/** The main database: what `ppg dev` URLs name (`template1` is Prisma's alias of it). */
const MAIN = 'postgres';

export interface ResetResult {
  /** What was emptied: every database, or the one asked for. */
  databases: string[] | 'all';
  /** Set when the instance was running and kept running (its clients were ended with 57P01). */
  live: InstanceRecord | null;
  /** Set when the instance was stopped for the reset and started again. */
  restarted: InstanceRecord | null;
}

/**
 * `ppg dev reset`: back to empty databases with the same ports and URLs. Everything (all databases and
 * the shadow database) unless `database` names one. A running instance is reset in place: its clients
 * get FATAL 57P01 as at a Postgres shutdown, the database folders are swapped while its server is held,
 * and the main database is made again from the template as the server goes on (another database is made
 * here, before the hold, so the hold is only renames). The main database's copy is ready-made when the
 * template has a spare (spare-copy.ts): the server then only opens it; its daemon makes the next spare
 * (daemon/spare-keeper.ts). The old data is removed only once the new is in place.
 */
export async function resetInstance(root: string, instance: string, env: NodeJS.ProcessEnv, database?: string): Promise<ResetResult> {
  await assertInstanceExists(root, instance);
  const paths = instancePaths(root, instance);
  // Loaded here: the data-directory code is the server's, and light commands must not load it.
  const { databaseDirName } = await import('../server/database-registry.js');
  const { createDataDirFromTemplate, ensureTemplate, isDataDir } = await import('../server/data-template.js');
  const replacement = stagingPathFor(paths.data);
  try {
    await mkdir(replacement, { recursive: true });
    let only: string[] | undefined;
    if (database !== undefined) {
      const name = database === 'template1' ? MAIN : database;
      const dir = databaseDirName(name);
      if (!(await isDataDir(path.join(paths.data, dir)))) {
        const entries = await readdir(paths.data, { withFileTypes: true }).catch(() => []);
        const known = entries.filter((e) => e.isDirectory() && !isStagingName(e.name)).map((e) => e.name).join(', ') || 'none yet';
        throw new PpgError('DATABASE_NOT_FOUND', `instance '${instance}' has no database '${database}'`, { hint: `its databases: ${known}` });
      }
      await createDataDirFromTemplate(templatesDir(root), path.join(replacement, dir), name);
      only = [dir];
    }
    const template = database === undefined ? await ensureTemplate(templatesDir(root)) : null;
    if (template) await takeSpare(template, path.join(replacement, databaseDirName(MAIN)));
    const { result: removeOld, live, restarted } = await whileQuiet(root, instance, env, { mode: 'terminate', shadow: database === undefined }, async () => {
      const removeData = await swapDatabaseFolders(paths.data, replacement, only);
      const removeShadow = database === undefined ? await swapDatabaseFolders(paths.shadowData, replacement) : async () => undefined;
      return () => Promise.all([removeData(), removeShadow()]);
    });
    await removeOld();
    return { databases: database === undefined ? 'all' : [database], live, restarted };
  } finally {
    await rm(replacement, { recursive: true, force: true });
  }
}
