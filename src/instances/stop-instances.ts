import { isPpgError } from '../ppg-error.js';
import { inspectInstance } from '../state/inspect-instance.js';
import { breakStaleLock, withStateMutex } from '../state/instance-lock.js';
import { readRecord, writeRecord } from '../state/instance-record.js';
import { instancePaths, type InstancePaths } from '../state/state-paths.js';
import { resolveTargets } from './instance-targets.js';
import { terminateProcess } from '../state/terminate-process.js';

export type StopResult = 'stopped' | 'killed' | 'cleaned' | 'not-running' | 'failed';

export interface StopOutcome {
  name: string;
  result: StopResult;
  detail: string;
}

/**
 * Removes what a dead daemon left behind: its lock (only once its pid is confirmed dead, see
 * breakStaleLock) and its pid in the record. Safe to call on a cleanly stopped instance.
 */
async function cleanStaleState(paths: InstancePaths): Promise<void> {
  await withStateMutex(paths, async () => {
    const record = await readRecord(paths.record, paths.name);
    await breakStaleLock(paths, record);
    if (record && record.pid !== null) {
      await writeRecord(paths.record, { ...record, pid: null, pidStartTime: null, stoppedAt: new Date().toISOString() });
    }
  });
}

/** Stops one instance: SIGTERM, grace period, SIGKILL for a live daemon; cleanup for a crashed one. */
export async function stopInstance(paths: InstancePaths, graceMs?: number): Promise<StopOutcome> {
  const name = paths.name;
  try {
    const view = await inspectInstance(paths);
    if (view.status === 'stopped') return { name, result: 'not-running', detail: 'was not running' };
    if (view.status === 'crashed') {
      // Never signal here: a crashed instance's pid may now belong to an unrelated process.
      await cleanStaleState(paths);
      return { name, result: 'cleaned', detail: `was crashed (${view.reason}); stale state removed` };
    }
    const pid = view.record?.pid;
    if (pid == null) return { name, result: 'failed', detail: 'locked by a process ppg-dev does not know' };
    const outcome = await terminateProcess(pid, graceMs);
    if (outcome === 'survived') return { name, result: 'failed', detail: `process ${pid} did not exit, even after SIGKILL` };
    await cleanStaleState(paths);
    return outcome === 'killed'
      ? { name, result: 'killed', detail: `pid ${pid} ignored SIGTERM and was killed` }
      : { name, result: 'stopped', detail: `pid ${pid}` };
  } catch (error) {
    return { name, result: 'failed', detail: isPpgError(error) || error instanceof Error ? error.message : String(error) };
  }
}

/** `ppg dev stop`: each target in turn; never throws for one target's failure (see `result`). */
export async function stopInstances(root: string, patterns: readonly string[], all: boolean): Promise<StopOutcome[]> {
  const names = await resolveTargets(root, patterns, all);
  const outcomes: StopOutcome[] = [];
  for (const name of names) outcomes.push(await stopInstance(instancePaths(root, name)));
  return outcomes;
}
