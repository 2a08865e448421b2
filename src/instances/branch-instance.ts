import { mkdir, rename, rm } from 'node:fs/promises';
import { PpgError } from '../ppg-error.js';
import { copyTree } from '../state/copy-tree.js';
import { assertValidName } from '../state/instance-name.js';
import { newRecord, readRecord, writeRecord, type InstanceRecord } from '../state/instance-record.js';
import { stagingPathFor } from '../state/staging.js';
import { instancePaths } from '../state/state-paths.js';
import { assertInstanceExists, exists, requireSnapshot } from './snapshots.js';
import { startDetached, type StartResult } from './start-instance.js';
import { whileStopped } from './while-stopped.js';

export interface BranchResult {
  /** The new instance, running. */
  record: InstanceRecord;
  /** Set when the source was running, was stopped for the copy, and runs again. */
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
  // The branch is started as soon as its data is in place, while a running source starts again: two
  // daemon starts (a Node process and a PGlite each, seconds on a busy machine) overlap instead of
  // queueing. Wrapped in an object so that whileStopped does not wait for it.
  const make = async (): Promise<{ started: Promise<StartResult> }> => {
    try {
      if (snapshot) await copyTree(snapshot.data, staging);
      // A source that never ran has no data yet: the branch then starts empty, as the source would.
      else if (await exists(source.data)) await copyTree(source.data, staging);
      else await mkdir(staging);
      await rename(staging, target.data);
      await writeRecord(target.record, newRecord(to, projectDir));
    } catch (error) {
      await rm(target.dir, { recursive: true, force: true });
      throw error;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const started = startDetached({ stateRoot: root, name: to, projectDir, env });
    started.catch(() => undefined); // awaited below, unless the source fails to start again
    return { started };
  };
  const made = snapshot ? { result: await make(), restarted: null } : await whileStopped(root, from, env, make);
  const { record } = await made.result.started;
  const sourceRestarted = made.restarted;
  return { record, sourceRestarted };
}
