import type { InstanceRecord } from '../state/instance-record.js';
import { inspectInstance } from '../state/inspect-instance.js';
import { instancePaths } from '../state/state-paths.js';
import { whileHeld, type HoldMode } from './hold-instance.js';
import { whileStopped } from './while-stopped.js';

export interface WhileQuiet<T> {
  result: T;
  /** The instance kept running: its servers were quiesced in place (same process, ports and URLs). */
  live: InstanceRecord | null;
  /** The instance ran, was stopped for the work and started again (a daemon without the control channel). */
  restarted: InstanceRecord | null;
}

/**
 * Runs `work` on an instance's files while nothing writes them. A running instance is quiesced in place
 * through its daemon (hold-instance.ts): `wait` keeps its clients waiting, `terminate` ends them with
 * FATAL 57P01; `work(true)` then runs while the daemon holds its data root (its lock file stays; only the
 * database folders may be copied or swapped). Any other instance goes the stopped way (while-stopped.ts),
 * with `work(false)` free to handle the data folder as a whole.
 */
export async function whileQuiet<T>(
  root: string, name: string, env: NodeJS.ProcessEnv, hold: { mode: HoldMode; shadow?: boolean; waitMs?: number }, work: (live: boolean) => Promise<T>,
): Promise<WhileQuiet<T>> {
  const paths = instancePaths(root, name);
  const view = await inspectInstance(paths);
  if (view.status === 'running') {
    const held = await whileHeld(paths.dir, { mode: hold.mode, shadow: hold.shadow ?? false, ...(hold.waitMs !== undefined ? { waitMs: hold.waitMs } : {}) }, () => work(true));
    if (held) return { result: held.result, live: view.record ?? null, restarted: null };
  }
  const { result, restarted } = await whileStopped(root, name, env, () => work(false));
  return { result, live: null, restarted };
}
