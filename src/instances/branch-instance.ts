import { mkdir, rename, rm } from 'node:fs/promises';
import { PpgError } from '../ppg-error.js';
import { copyTree } from '../state/copy-tree.js';
import { assertValidName } from '../state/instance-name.js';
import { newRecord, readRecord, writeRecord, type InstanceRecord } from '../state/instance-record.js';
import { stagingPathFor } from '../state/staging.js';
import { instancePaths } from '../state/state-paths.js';
import { assertInstanceExists, exists, requireSnapshot } from './snapshots.js';
import { startDetached, type StartResult } from './start-instance.js';
import { copyDatabaseFolders } from './data-folders.js';
import { whileQuiet } from './while-quiet.js';

export interface BranchResult {
  /** The new instance, running. */
  record: InstanceRecord;
  /** Set when the source had to be stopped for the copy, and runs again (a running source is normally held in place: clients wait, none is ended). */
  sourceRestarted: InstanceRecord | null;
}

/**
 * `ppg dev branch <from> <new>`: a new instance whose databases start as a copy of another instance's
 * (or of one of its snapshots), with ports of its own. It belongs to the same project folder as the
 * source, and is started.
 */
export async function branchInstance(
  root: string, from: string, to: string, env: NodeJS.ProcessEnv, fromSnapshot?: string,
): Promise<BranchResult> {
  assertValidName(to);
  await assertInstanceExists(root, from);
  const target = instancePaths(root, to);
  if (await exists(target.dir)) {
    throw new PpgError('INSTANCE_EXISTS', `an instance named '${to}' already exists`, { hint: `choose another name, or remove it: ppg dev rm ${to}` });
  }
  const snapshot = fromSnapshot === undefined ? null : (await requireSnapshot(root, from, fromSnapshot)).paths;
  const source = instancePaths(root, from);
  const projectDir = (await readRecord(source.record, from))?.projectDir ?? root;
  await mkdir(target.dir, { recursive: true });
  const staging = stagingPathFor(target.data);
  const copy = async (): Promise<void> => {
    if (snapshot) await copyTree(snapshot.data, staging);
    // A source that never ran has no data yet: the branch then starts empty, as the source would.
    else if (await exists(source.data)) await copyDatabaseFolders(source.data, staging);
    else await mkdir(staging);
  };
  const place = async (): Promise<{ started: Promise<StartResult> }> => {
    await rename(staging, target.data);
    await writeRecord(target.record, newRecord(to, projectDir));
    const started = startDetached({ stateRoot: root, name: to, projectDir, env });
    started.catch(() => undefined); // awaited below, unless the source fails to start again
    return { started };
  };
  let placed: { started: Promise<StartResult> };
  let sourceRestarted: InstanceRecord | null = null;
  try {
    if (snapshot) {
      await copy();
      placed = await place();
    } else {
      // A running source is held only for the copy (its clients wait meanwhile) and the branch starts
      // after. A source that has to be stopped instead (see while-quiet.ts) gets its branch started while
      // it starts again, so the two daemon starts overlap rather than queue; the object wrapper keeps
      // whileQuiet from waiting for that start.
      const quiet = await whileQuiet(root, from, env, { mode: 'wait' }, async (live) => {
        await copy();
        return live ? null : await place();
      });
      placed = quiet.result ?? (await place());
      sourceRestarted = quiet.restarted;
    }
  } catch (error) {
    await rm(target.dir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const { record } = await placed.started;
  return { record, sourceRestarted };
}
