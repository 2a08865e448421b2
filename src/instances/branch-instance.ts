import { mkdir, rename, rm } from 'node:fs/promises';
import { PpgError } from '../ppg-error.js';
import { copyTree } from '../state/copy-tree.js';
import { assertValidName } from '../state/instance-name.js';
import { newRecord, readRecord, writeRecord, type InstanceRecord } from '../state/instance-record.js';
import { stagingPathFor } from '../state/staging.js';
import { instancePaths } from '../state/state-paths.js';
import { assertInstanceExists, exists, requireSnapshot } from './snapshots.js';
import { startDetached } from './start-instance.js';
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
  const sourceRecord = await readRecord(source.record, from);
  await mkdir(target.dir, { recursive: true });
  const staging = stagingPathFor(target.data);
  let sourceRestarted: InstanceRecord | null = null;
  try {
    if (snapshot) {
      await copyTree(snapshot.data, staging);
    } else {
      // A source that never ran has no data yet: the branch then starts empty, as the source would.
      const copy = async (): Promise<void> => (await exists(source.data)) ? copyTree(source.data, staging) : mkdir(staging).then(() => undefined);
      sourceRestarted = (await whileStopped(root, from, env, copy)).restarted;
    }
    await rename(staging, target.data);
    await writeRecord(target.record, newRecord(to, sourceRecord?.projectDir ?? root));
  } catch (error) {
    await rm(target.dir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const { record } = await startDetached({ stateRoot: root, name: to, projectDir: sourceRecord?.projectDir ?? root, env });
  return { record, sourceRestarted };
}
