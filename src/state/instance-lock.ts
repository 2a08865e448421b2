import { rm, stat } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { PpgError } from '../ppg-error.js';
import type { InstancePaths } from './state-paths.js';
import type { InstanceRecord } from './instance-record.js';
import { recordedProcessState } from './terminate-process.js';

/** The daemon refreshes the lock's mtime this often. */
const LOCK_UPDATE_MS = 10_000;
/**
 * proper-lockfile's own staleness rule is switched off (a day): PGlite blocks the event loop during
 * long statements, so the mtime refresh can lag behind any short threshold. We break a lock only
 * after confirming its pid is dead, or (no pid known) it went unrefreshed for LOCK_FRESH_MS.
 */
const LOCK_STALE_MS = 24 * 60 * 60 * 1000;
const LOCK_FRESH_MS = 30_000;

export interface LockState {
  present: boolean;
  fresh: boolean;
}

export async function inspectLock(paths: InstancePaths): Promise<LockState> {
  try {
    const info = await stat(paths.lock);
    return { present: true, fresh: Date.now() - info.mtimeMs < LOCK_FRESH_MS };
  } catch {
    return { present: false, fresh: false };
  }
}

/**
 * Runs `fn` while holding the instance's short-lived state mutex, so "inspect the lock, break it if
 * stale, take it, write our pid" (and the reverse at shutdown) is one step for every process.
 * A mutex left by a crashed process is broken by proper-lockfile after 10 s.
 */
export async function withStateMutex<T>(paths: InstancePaths, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.mutex, {
      lockfilePath: paths.mutex,
      realpath: false,
      stale: 10_000,
      // 15 s of retries: longer than the 10 s after which a dead holder's mutex counts as stale.
      retries: { retries: 300, factor: 1, minTimeout: 50, maxTimeout: 50 },
      onCompromised: () => undefined,
    });
  } catch (error) {
    throw new PpgError('STATE_BUSY', `instance '${paths.name}' is busy (could not take ${paths.mutex})`, {
      hint: 'another ppg command is working on it; try again in a moment',
      cause: error,
    });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

function heldError(paths: InstancePaths, pid: number): PpgError {
  return new PpgError('INSTANCE_LOCKED', `instance '${paths.name}' is held by process ${pid}`, {
    hint: `stop it with: ppg dev stop ${paths.name}`,
  });
}

/**
 * Breaks the instance lock if it is stale. Call inside withStateMutex. Throws INSTANCE_LOCKED when
 * the record's daemon (`holder`) is alive (even if its lock was deleted under it: it still serves
 * the data), DATA_DIR_LOCKED when no pid is known but some live process keeps refreshing the lock.
 * Returns true when a stale lock was removed.
 */
export async function breakStaleLock(
  paths: InstancePaths,
  holder: Pick<InstanceRecord, 'pid' | 'pidStartTime'> | undefined,
): Promise<boolean> {
  const holderPid = holder?.pid ?? null;
  const holderState = holderPid === null || holderPid === process.pid ? 'dead' : recordedProcessState(holderPid, holder?.pidStartTime);
  if (holderPid !== null && holderState === 'verified') throw heldError(paths, holderPid);
  const lock = await inspectLock(paths);
  if (!lock.present) return false;
  if (holderPid !== null && holderState === 'alive') throw heldError(paths, holderPid);
  if (holderPid === null && lock.fresh) {
    throw new PpgError('DATA_DIR_LOCKED', `the data of instance '${paths.name}' is locked by another process`, {
      hint: `${paths.lock} is being kept fresh by a process ppg-dev does not know; stop that process first`,
    });
  }
  await rm(paths.lock, { recursive: true, force: true });
  return true;
}

/**
 * Takes the instance lock for this process's whole life (call inside withStateMutex, after
 * breakStaleLock). `onCompromised` is told instead of crashing the daemon. Returns the release.
 */
export async function takeInstanceLock(
  paths: InstancePaths,
  onCompromised: (error: Error) => void,
): Promise<() => Promise<void>> {
  try {
    const release = await lockfile.lock(paths.dir, {
      lockfilePath: paths.lock,
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_UPDATE_MS,
      retries: 0,
      onCompromised,
    });
    // A compromised lock is already released; there is nothing of ours left to remove.
    return () => release().catch(() => undefined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new PpgError('INSTANCE_LOCKED', `instance '${paths.name}' is locked by another process`, {
        hint: `see: ppg dev ls`,
        cause: error,
      });
    }
    throw error;
  }
}
