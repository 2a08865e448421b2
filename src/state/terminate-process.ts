import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A zombie has exited but still answers `kill(pid, 0)` until its parent (init, for a detached
 * daemon) reaps it, which some container inits do only every second or two. Linux only.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/**
 * Linux: when the process started, in clock ticks since boot (/proc/<pid>/stat field 22);
 * undefined elsewhere or when it is gone. Recorded beside a daemon's pid so a reused pid is not
 * mistaken for our daemon.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What is left of a recorded daemon: `dead`; `alive` (the pid runs, but we cannot tell whether it
 * is still our process); `verified` (the pid runs and started at the recorded time: our daemon).
 */
export function recordedProcessState(pid: number, startTime: number | null | undefined): 'dead' | 'alive' | 'verified' {
  if (!isPidAlive(pid)) return 'dead';
  if (startTime == null) return 'alive';
  const actual = processStartTime(pid);
  if (actual === undefined) return 'alive';
  return actual === startTime ? 'verified' : 'dead';
}

/** True when the recorded daemon may still run (see recordedProcessState). */
export function isRecordedProcessAlive(pid: number, startTime: number | null | undefined): boolean {
  return recordedProcessState(pid, startTime) !== 'dead';
}

/** `kill(pid, 0)`: ESRCH means gone; EPERM means alive but someone else's; a zombie counts as gone. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Resolves true once `pid` is gone, false if it still lives after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isPidAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

export type TerminateOutcome = 'not-running' | 'exited' | 'killed' | 'survived';

/**
 * The one termination helper: SIGTERM, poll for `graceMs` (default 10 s, enough for the daemon to
 * roll back, checkpoint and release its lock), then SIGKILL and poll 5 s more. `survived` means
 * even SIGKILL did not end it (e.g. EPERM: not our process).
 */
export async function terminateProcess(pid: number, graceMs = 10_000): Promise<TerminateOutcome> {
  if (!isPidAlive(pid)) return 'not-running';
  if (!signal(pid, 'SIGTERM')) return isPidAlive(pid) ? 'survived' : 'not-running';
  if (await waitForExit(pid, graceMs)) return 'exited';
  signal(pid, 'SIGKILL');
  return (await waitForExit(pid, 5_000)) ? 'killed' : 'survived';
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
