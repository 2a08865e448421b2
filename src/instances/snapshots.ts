import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PpgError } from '../ppg-error.js';
import { copyTree } from '../state/copy-tree.js';
import { makeSpare, takeSpare } from '../state/spare-copy.js';
import { isValidName } from '../state/instance-name.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { stagingPathFor } from '../state/staging.js';
import { instancePaths, snapshotPaths, snapshotsDir, type SnapshotPaths } from '../state/state-paths.js';
import { copyDatabaseFolders, swapDatabaseFolders } from './data-folders.js';
import { whileQuiet } from './while-quiet.js';

/**
 * `ppg dev snapshot`: whole copies of an instance's databases (its `data/` folder), taken and restored
 * while nothing writes them. A running instance keeps running (while-quiet.ts): for a save its clients
 * wait while the checkpointed files are copied, then go on; a restore ends them with FATAL 57P01 and
 * swaps the folders in. Copies are built aside and renamed into place, so a crash never leaves a half
 * snapshot or a half-restored instance.
 */
export interface SnapshotInfo {
  name: string;
  instance: string;
  createdAt: string;
  sizeBytes: number;
}

export interface SnapshotChange {
  snapshot: SnapshotInfo;
  /** Set when the instance was running and kept running (quiesced in place). */
  live: InstanceRecord | null;
  /** Set when the instance was stopped for the copy and has been started again. */
  restarted: InstanceRecord | null;
}

function assertSnapshotName(name: string): void {
  if (!isValidName(name)) {
    throw new PpgError('INVALID_NAME', `invalid snapshot name '${name}'`, { hint: "use 1–63 letters, digits, '_' or '-' (for example seeded-v1)", exitCode: 2 });
  }
}

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

async function readInfo(paths: SnapshotPaths): Promise<SnapshotInfo | null> {
  try {
    const parsed = JSON.parse(await readFile(paths.record, 'utf8')) as Partial<SnapshotInfo>;
    if (typeof parsed.createdAt !== 'string' || typeof parsed.sizeBytes !== 'number') return null;
    return { name: paths.name, instance: paths.instance, createdAt: parsed.createdAt, sizeBytes: parsed.sizeBytes };
  } catch {
    return null;
  }
}

export async function assertInstanceExists(root: string, instance: string): Promise<void> {
  if (!(await exists(instancePaths(root, instance).record))) {
    throw new PpgError('INSTANCE_NOT_FOUND', `no instance named '${instance}'`, { hint: 'ppg dev ls lists the instances' });
  }
}

export async function requireSnapshot(root: string, instance: string, name: string): Promise<{ paths: SnapshotPaths; info: SnapshotInfo }> {
  assertSnapshotName(name);
  const paths = snapshotPaths(root, instance, name);
  const info = await readInfo(paths);
  if (!info) {
    throw new PpgError('SNAPSHOT_NOT_FOUND', `instance '${instance}' has no snapshot named '${name}'`, { hint: `ppg dev snapshot ls --name ${instance} lists its snapshots` });
  }
  return { paths, info };
}

export async function saveSnapshot(
  root: string, instance: string, name: string, env: NodeJS.ProcessEnv, options: { waitMs?: number } = {},
): Promise<SnapshotChange> {
  assertSnapshotName(name);
  await assertInstanceExists(root, instance);
  const paths = snapshotPaths(root, instance, name);
  if (await exists(paths.dir)) {
    throw new PpgError('SNAPSHOT_EXISTS', `instance '${instance}' already has a snapshot named '${name}'`, { hint: `choose another name, or remove it first: ppg dev snapshot rm ${name} --name ${instance}` });
  }
  const source = instancePaths(root, instance).data;
  if (!(await exists(source))) {
    throw new PpgError('NO_DATA', `instance '${instance}' has no data yet`, { hint: `start it once (ppg dev start ${instance}), then save the snapshot` });
  }
  await mkdir(path.dirname(paths.dir), { recursive: true });
  const staging = stagingPathFor(paths.dir);
  try {
    const { live, restarted } = await whileQuiet(root, instance, env, { mode: 'wait', waitMs: options.waitMs }, () => copyDatabaseFolders(source, path.join(staging, 'data')));
    const info: SnapshotInfo = { name, instance, createdAt: new Date().toISOString(), sizeBytes: await folderBytes(path.join(staging, 'data')) };
    await writeFile(path.join(staging, 'snapshot.json'), `${JSON.stringify({ createdAt: info.createdAt, sizeBytes: info.sizeBytes }, null, 2)}\n`);
    await rename(staging, paths.dir);
    // The next restore (or branch) of it takes this copy instead of copying while the user waits.
    await makeSpare(paths.data);
    return { snapshot: info, live, restarted };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Replaces the instance's databases with the snapshot's. The copy is the snapshot's spare copy
 * (spare-copy.ts), taken with a rename, or made beside the current data before anything is held; then it
 * is swapped in with renames, and the old data deleted after the swap. The instance's daemon makes the
 * next spare (daemon/spare-keeper.ts), after this hold or when it next starts.
 */
export async function restoreSnapshot(root: string, instance: string, name: string, env: NodeJS.ProcessEnv): Promise<SnapshotChange> {
  await assertInstanceExists(root, instance);
  const { paths, info } = await requireSnapshot(root, instance, name);
  const data = instancePaths(root, instance).data;
  const staging = stagingPathFor(data);
  try {
    if (!(await takeSpare(paths.data, staging))) await copyTree(paths.data, staging);
    await mkdir(data, { recursive: true });
    const { result: removeOld, live, restarted } = await whileQuiet(root, instance, env, { mode: 'terminate' }, () => swapDatabaseFolders(data, staging));
    await removeOld();
    return { snapshot: info, live, restarted };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function listSnapshots(root: string, instance: string): Promise<SnapshotInfo[]> {
  const names = await readdir(snapshotsDir(root, instance)).catch(() => [] as string[]);
  const infos = await Promise.all(names.filter(isValidName).map((name) => readInfo(snapshotPaths(root, instance, name))));
  return infos.filter((info): info is SnapshotInfo => info !== null).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function removeSnapshot(root: string, instance: string, name: string): Promise<SnapshotInfo> {
  const { paths, info } = await requireSnapshot(root, instance, name);
  await rm(paths.dir, { recursive: true, force: true });
  return info;
}
