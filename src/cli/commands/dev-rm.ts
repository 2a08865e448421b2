import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { askYesNo, canAsk } from '../confirm-prompt.js';
import { failIfAnyFailed } from '../target-outcomes.js';
import { PpgError } from '../../ppg-error.js';
import { resolveStateRoot } from '../../state/state-paths.js';

export function registerDevRm(dev: Command, io: CliIo): void {
  dev
    .command('rm')
    .alias('remove')
    .description('delete instances with all their data and snapshots')
    .argument('<names...>', "instance names or globs, e.g. 'feature-*'")
    .option('-f, --force', 'stop running instances first instead of refusing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (patterns: string[], options: { force?: boolean; yes?: boolean }) => {
      const { removeInstances } = await import('../../instances/remove-instances.js');
      const { resolveTargets } = await import('../../instances/instance-targets.js');
      const root = resolveStateRoot(io.env);
      const names = await resolveTargets(root, patterns);
      // Only a person at a terminal can answer; scripts get the plain behaviour.
      if (!options.yes && canAsk(io)) {
        if (!(await askYesNo(io, `Delete ${names.join(', ')} with all data and snapshots?`))) {
          throw new PpgError('ABORTED', 'nothing was deleted', { hint: 'pass --yes to skip this question' });
        }
      }
      const outcomes = await removeInstances(root, names, Boolean(options.force));
      for (const outcome of outcomes) writeLine(io.stderr, `${outcome.name}: ${outcome.result} (${outcome.detail})`);
      failIfAnyFailed(outcomes, 'RM_FAILED', 'remove', 'see the lines above');
    });
}
