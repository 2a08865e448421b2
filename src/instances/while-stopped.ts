import { PpgError } from '../ppg-error.js';
import { inspectInstance } from '../state/inspect-instance.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { instancePaths } from '../state/state-paths.js';
import { startDetached } from './start-instance.js';
import { stopInstance } from './stop-instances.js';

export interface WhileStopped<T> {
  result: T;
  /** The instance ran before and was started again (same ports, same URLs). */
  restarted: InstanceRecord | null;
}

/**
 * Runs `work` on an instance's files while no daemon holds them: a running instance is stopped (its
 * clients get FATAL 57P01, as at a Postgres shutdown) and started again afterwards on the same ports,
 * also when `work` fails, so the instance is never left down by a failed operation.
 */
export async function whileStopped<T>(root: string, name: string, env: NodeJS.ProcessEnv, work: () => Promise<T>): Promise<WhileStopped<T>> {
  const paths = instancePaths(root, name);
  const view = await inspectInstance(paths);
  const wasRunning = view.status === 'running' || view.status === 'starting';
  if (wasRunning) {
    const stopped = await stopInstance(paths);
    if (stopped.result === 'failed') {
      throw new PpgError('STOP_FAILED', `could not stop instance '${name}': ${stopped.detail}`, { hint: `stop it yourself (ppg dev stop ${name}) and try again` });
    }
  } else if (view.status === 'crashed') {
    await stopInstance(paths);
  }
  const restart = async (): Promise<InstanceRecord | null> => {
    if (!wasRunning) return null;
    const projectDir = view.record?.projectDir ?? root;
    return (await startDetached({ stateRoot: root, name, projectDir, env })).record;
  };
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await restart().catch(() => undefined);
    throw error;
  }
  return { result, restarted: await restart() };
}
