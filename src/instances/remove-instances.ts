import { randomBytes } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isPpgError } from '../ppg-error.js';
import { inspectInstance } from '../state/inspect-instance.js';
import { breakStaleLock, withStateMutex } from '../state/instance-lock.js';
import { readRecord } from '../state/instance-record.js';
import { instancePaths, snapshotsDir, type InstancePaths } from '../state/state-paths.js';
import { stopInstance } from './stop-instances.js';

export interface RemoveOutcome {
  name: string;
  result: 'removed' | 'failed';
  detail: string;
}

/**
 * Moves the folder aside under the state mutex (so no daemon can claim it halfway), then deletes
 * it. A record we cannot read is not a reason to keep data the user asked to delete; a live lock is.
 */
async function deleteInstanceFolder(paths: InstancePaths): Promise<void> {
  const trash = path.join(path.dirname(paths.dir), `.trash-${paths.name}-${randomBytes(4).toString('hex')}`);
  await withStateMutex(paths, async () => {
    const record = await readRecord(paths.record, paths.name).catch(() => undefined);
    await breakStaleLock(paths, record);
    await rename(paths.dir, trash);
  });
  await rm(trash, { recursive: true, force: true });
}

async function removeInstance(paths: InstancePaths, force: boolean): Promise<RemoveOutcome> {
  const name = paths.name;
  try {
    const view = await inspectInstance(paths).catch((error: unknown) => {
      if (force && isPpgError(error) && (error.code === 'RECORD_CORRUPT' || error.code === 'RECORD_TOO_NEW')) return undefined;
      throw error;
    });
    if (view && (view.status === 'running' || view.status === 'starting')) {
      if (!force) return { name, result: 'failed', detail: `is ${view.status}; stop it first or pass --force` };
      const stopped = await stopInstance(paths);
      if (stopped.result === 'failed') return { name, result: 'failed', detail: `could not stop it: ${stopped.detail}` };
    }
    await deleteInstanceFolder(paths);
    const snapshots = snapshotsDir(paths.root, name);
    const hadSnapshots = (await readdir(snapshots).catch(() => [])).length > 0;
    await rm(snapshots, { recursive: true, force: true });
    return { name, result: 'removed', detail: `instance and data deleted${hadSnapshots ? ', snapshots too' : ''}` };
  } catch (error) {
    const detail = isPpgError(error) ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : String(error);
    return { name, result: 'failed', detail };
  }
}

/**
 * A `ppg dev rm` killed while deleting leaves its `.trash-*` folder: already invisible to `ls`, never
 * again an instance, so any later `rm` finishes the job.
 */
async function sweepTrash(root: string): Promise<void> {
  const instancesDir = path.join(root, 'instances');
  const entries = await readdir(instancesDir).catch(() => [] as string[]);
  await Promise.all(entries.filter((name) => name.startsWith('.trash-')).map((name) => rm(path.join(instancesDir, name), { recursive: true, force: true })));
}

/** `ppg dev rm`: each named instance in turn (names already resolved by resolveTargets). */
export async function removeInstances(root: string, names: readonly string[], force: boolean): Promise<RemoveOutcome[]> {
  await sweepTrash(root);
  const outcomes: RemoveOutcome[] = [];
  for (const name of names) outcomes.push(await removeInstance(instancePaths(root, name), force));
  return outcomes;
}
