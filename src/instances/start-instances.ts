import { isPpgError } from '../ppg-error.js';
import { readRecord } from '../state/instance-record.js';
import { resolveTargets } from './instance-targets.js';
import { startDetached } from './start-instance.js';
import { instancePaths } from '../state/state-paths.js';

export interface StartOutcome {
  name: string;
  result: 'started' | 'already-running' | 'failed';
  url?: string;
  detail: string;
}

/**
 * `ppg dev start`: starts each stopped or crashed target in the background, one after the other
 * (each start is CPU-heavy), on its previous port when that is still free.
 */
export async function startInstances(root: string, patterns: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<StartOutcome[]> {
  const names = await resolveTargets(root, patterns);
  const outcomes: StartOutcome[] = [];
  for (const name of names) {
    try {
      const paths = instancePaths(root, name);
      const before = await readRecord(paths.record, name);
      const { record, alreadyRunning, recovered } = await startDetached({ stateRoot: root, name, projectDir: before?.projectDir ?? cwd, env });
      const moved = before?.port != null && before.port !== record.port ? ` (port ${before.port} was taken; now ${record.port})` : '';
      outcomes.push({
        name,
        result: alreadyRunning ? 'already-running' : 'started',
        url: record.url,
        detail: `${alreadyRunning ? 'already running' : recovered ? 'recovered from a crash and started' : 'started'}${moved}`,
      });
    } catch (error) {
      const detail = isPpgError(error) ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : String(error);
      outcomes.push({ name, result: 'failed', detail });
    }
  }
  return outcomes;
}
