import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { failIfAnyFailed } from '../target-outcomes.js';
import { resolveStateRoot } from '../../state/state-paths.js';

export function registerDevStart(dev: Command, io: CliIo): void {
  dev
    .command('start')
    .description('start stopped instances in the background, on their previous ports')
    .argument('<names...>', "instance names or globs, e.g. 'feature-*'")
    .action(async (names: string[]) => {
      const { startInstances } = await import('../../instances/start-instances.js');
      const outcomes = await startInstances(resolveStateRoot(io.env), names, io.env, io.cwd);
      for (const outcome of outcomes) {
        writeLine(io.stderr, `${outcome.name}: ${outcome.detail}`);
        // One URL per started instance on stdout, in order, for scripts.
        if (outcome.url) writeLine(io.stdout, outcome.url);
      }
      failIfAnyFailed(outcomes, 'START_FAILED', 'start', 'see the lines above; `ppg dev logs <name>` shows a daemon log');
    });
}
