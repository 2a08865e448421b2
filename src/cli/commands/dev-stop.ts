import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { failIfAnyFailed } from '../target-outcomes.js';
import { resolveStateRoot } from '../../state/state-paths.js';

export function registerDevStop(dev: Command, io: CliIo): void {
  dev
    .command('stop')
    .description('stop running instances (SIGTERM, then SIGKILL after a grace period)')
    .argument('[names...]', "instance names or globs, e.g. 'feature-*'")
    .option('-a, --all', 'stop every instance')
    .action(async (names: string[], options: { all?: boolean }) => {
      const { stopInstances } = await import('../../instances/stop-instances.js');
      const outcomes = await stopInstances(resolveStateRoot(io.env), names, Boolean(options.all));
      for (const outcome of outcomes) {
        writeLine(io.stderr, `${outcome.name}: ${outcome.result} (${outcome.detail})`);
      }
      if (outcomes.length === 0) writeLine(io.stderr, 'no instances to stop');
      failIfAnyFailed(outcomes, 'STOP_FAILED', 'stop', 'see the lines above; `ppg dev ls` shows what is still running');
    });
}
