import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { resolveStateRoot } from '../../state/state-paths.js';
import { parseWaitSeconds, WAIT_DESCRIPTION, WAIT_FLAGS } from '../wait-option.js';

export function registerDevBranch(dev: Command, io: CliIo): void {
  dev
    .command('branch')
    .description('make a new instance from the current data of another (or from one of its snapshots), and start it')
    .argument('<from>', 'the instance to copy')
    .argument('<new>', 'name of the new instance')
    .option('--from-snapshot <snapshot>', "copy this snapshot of <from> instead of its current data")
    .option(WAIT_FLAGS, WAIT_DESCRIPTION, parseWaitSeconds)
    .addHelpText('after', `
The new instance gets ports of its own and prints its URL on stdout. A running source keeps running: its
clients wait while its data is copied (they are not disconnected).`)
    .action(async (from: string, to: string, options: { fromSnapshot?: string; wait?: number }) => {
      const { branchInstance } = await import('../../instances/branch-instance.js');
      const root = resolveStateRoot(io.env);
      const { record, sourceRestarted } = await branchInstance(root, from, to, io.env, options.fromSnapshot, { waitMs: options.wait });
      const origin = options.fromSnapshot === undefined ? `'${from}'` : `snapshot '${options.fromSnapshot}' of '${from}'`;
      writeLine(io.stderr, `instance '${to}' made from ${origin} and started${sourceRestarted ? ` ('${from}' is running again)` : ''}`);
      writeLine(io.stdout, record.url ?? '');
    });
}
