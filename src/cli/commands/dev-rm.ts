import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { PpgError } from '../../ppg-error.js';
import { resolveStateRoot } from '../../state/state-paths.js';

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

export function registerDevRm(dev: Command, io: CliIo): void {
  dev
    .command('rm')
    .alias('remove')
    .description('delete instances and all their data')
    .argument('<names...>', "instance names or globs, e.g. 'feature-*'")
    .option('-f, --force', 'stop running instances first instead of refusing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (patterns: string[], options: { force?: boolean; yes?: boolean }) => {
      const { removeInstances } = await import('../../instances/remove-instances.js');
      const { resolveTargets } = await import('../../instances/instance-targets.js');
      const root = resolveStateRoot(io.env);
      const names = await resolveTargets(root, patterns);
      // Only a person at a terminal can answer; scripts get the plain behaviour.
      if (!options.yes && io.isTTY && process.stdin.isTTY) {
        if (!(await confirm(io, `Delete ${names.join(', ')} and all data? [y/N] `))) {
          throw new PpgError('ABORTED', 'nothing was deleted', { hint: 'pass --yes to skip this question' });
        }
      }
      const outcomes = await removeInstances(root, names, Boolean(options.force));
      for (const outcome of outcomes) writeLine(io.stderr, `${outcome.name}: ${outcome.result} (${outcome.detail})`);
      const failed = outcomes.filter((outcome) => outcome.result === 'failed');
      if (failed.length > 0) {
        throw new PpgError('RM_FAILED', `could not remove ${failed.map((outcome) => outcome.name).join(', ')}`, {
          hint: 'see the lines above',
        });
      }
    });
}
