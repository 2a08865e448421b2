import { mkdir, rename, rm } from 'node:fs/promises';
import { PpgError } from '../ppg-error.js';
import { copyTree } from '../state/copy-tree.js';
import { makeSpare, takeSpare } from '../state/spare-copy.js';
import { assertValidName } from '../state/instance-name.js';
import { newRecord, readRecord, writeRecord, type InstanceRecord } from '../state/instance-record.js';
import { stagingPathFor } from '../state/staging.js';
import { instancePaths } from '../state/state-paths.js';
import { assertInstanceExists, exists, requireSnapshot } from './snapshots.js';
import { startDetached } from './start-instance.js';
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
 * source, and is started. Fails with INSTANCE_EXISTS, INSTANCE_NOT_FOUND, SNAPSHOT_NOT_FOUND, the
 * source's hold errors (INSTANCE_BUSY) or the new daemon's start errors; nothing of the new instance
 * is left unless its daemon failed after the data was in place (it can then be started or removed).
 */
export async function branchInstance(
  root: string, from: string, to: string, env: NodeJS.ProcessEnv, fromSnapshot?: string, options: { waitMs?: number } = {},
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

  // The new daemon is forked now and boots (Node, its modules, PGlite's WASM) while the data is copied;
  // it claims the instance only once the data and record are in place.
  let dataPlaced: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const placedSignal = new Promise<void>((resolve, reject) => (dataPlaced = { resolve, reject }));
  placedSignal.catch(() => undefined);
  const started = startDetached({ stateRoot: root, name: to, projectDir, env, dataPlaced: placedSignal });
  started.catch(() => undefined); // awaited below, after the copy

  const copy = async (): Promise<void> => {
    if (snapshot) {
      if (!(await takeSpare(snapshot.data, staging))) await copyTree(snapshot.data, staging);
    }
    // A source that never ran has no data yet: the branch then starts empty, as the source would.
    else if (await exists(source.data)) await copyDatabaseFolders(source.data, staging);
    else await mkdir(staging);
  };
  let placed = false;
  const place = async (): Promise<void> => {
    await rename(staging, target.data);
    await writeRecord(target.record, newRecord(to, projectDir));
    placed = true;
    dataPlaced?.resolve();
  };
  let sourceRestarted: InstanceRecord | null = null;
  try {
    if (snapshot) {
      await copy();
    } else {
      // A running source is held only for the copy (its clients wait meanwhile). A source that has to be
      // stopped instead (see while-quiet.ts) gets the branch's data placed before it starts again, so
      // the two daemons start side by side rather than one after the other.
      const quiet = await whileQuiet(root, from, env, { mode: 'wait', waitMs: options.waitMs }, async (live) => {
        await copy();
        if (!live) await place();
      });
      sourceRestarted = quiet.restarted;
    }
    if (!placed) await place();
  } catch (error) {
    dataPlaced?.reject(error);
    if (!placed) {
      await started.catch(() => undefined); // the daemon exits unstarted; then its folder can go
      await rm(target.dir, { recursive: true, force: true });
    }
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  // While the new daemon opens the data: the snapshot's next spare.
  const [{ record }] = await Promise.all([started, snapshot ? makeSpare(snapshot.data) : undefined]);
  return { record, sourceRestarted };
}
