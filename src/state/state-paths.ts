import { mkdir, access, constants, readdir } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';
import { PpgError } from '../ppg-error.js';

/** Every file an instance owns, all inside one folder so `rm` is one recursive delete. */
export interface InstancePaths {
  root: string;
  name: string;
  dir: string;
  record: string;
  /** proper-lockfile's lock directory, held by the daemon for its whole life. */
  lock: string;
  /** Short-lived mutex serialising "inspect lock, break it if stale, take it, write pid". */
  mutex: string;
  data: string;
  /** The shadow database server's data (Prisma resets it on every use). */
  shadowData: string;
  log: string;
}

/**
 * The state root: `PPG_DEV_HOME` when set (every test sets it), else env-paths' data folder for
 * `ppg-dev` (no `-nodejs` suffix: the folder name is ours). Pure; does not touch the disk.
 */
export function resolveStateRoot(env: NodeJS.ProcessEnv): string {
  const override = env.PPG_DEV_HOME;
  if (override && override.trim() !== '') return path.resolve(override);
  return envPaths('ppg-dev', { suffix: '' }).data;
}

export function instancePaths(root: string, name: string): InstancePaths {
  const dir = path.join(root, 'instances', name);
  return {
    root,
    name,
    dir,
    record: path.join(dir, 'instance.json'),
    lock: path.join(dir, '.lock'),
    mutex: path.join(dir, '.state-mutex'),
    data: path.join(dir, 'data'),
    shadowData: path.join(dir, 'shadow-data'),
    log: path.join(dir, 'daemon.log'),
  };
}

/** Saved copies of an instance's data: `snapshots/<instance>/<snapshot>/` beside `instances/`. */
export interface SnapshotPaths {
  instance: string;
  name: string;
  dir: string;
  /** The copy of the instance's `data/` folder. */
  data: string;
  /** When it was taken and how big it is (snapshot-record.ts). */
  record: string;
}

export function snapshotsDir(root: string, instance: string): string {
  return path.join(root, 'snapshots', instance);
}

export function snapshotPaths(root: string, instance: string, name: string): SnapshotPaths {
  const dir = path.join(snapshotsDir(root, instance), name);
  return { instance, name, dir, data: path.join(dir, 'data'), record: path.join(dir, 'snapshot.json') };
}

export function instancesDir(root: string): string {
  return path.join(root, 'instances');
}

/** Shared by every instance: one PGlite data-directory template per PGlite version. */
export function templatesDir(root: string): string {
  return path.join(root, 'templates');
}

/** True before the first server ever ran under this root: the template cache is still empty. */
export async function templatesMissing(root: string): Promise<boolean> {
  return readdir(templatesDir(root)).then((entries) => entries.length === 0, () => true);
}

/**
 * Creates the instance folder (and the root) and checks it is writable, so a read-only or
 * foreign-owned root fails here with one clear message instead of deep inside the daemon.
 */
export async function ensureInstanceDir(paths: InstancePaths): Promise<void> {
  try {
    await mkdir(paths.dir, { recursive: true });
    await access(paths.dir, constants.W_OK);
  } catch (error) {
    throw unwritableRootError(paths.root, error);
  }
}

function unwritableRootError(root: string, cause: unknown): PpgError {
  const reason = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  return new PpgError('STATE_ROOT_UNWRITABLE', `cannot write to the state directory ${root} (${reason})`, {
    hint: 'fix its permissions, or point PPG_DEV_HOME at a writable folder',
    cause,
  });
}
