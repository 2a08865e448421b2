import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { confirmOrRefuse } from '../confirm-prompt.js';
import { resolveStateRoot } from '../../state/state-paths.js';

export function registerDevReset(dev: Command, io: CliIo): void {
  dev
    .command('reset')
    .description('empty the databases of an instance (all, or --database), keeping its ports and URLs')
    .argument('[name]', "instance name (default: this project's instance)")
    .option('--database <db>', 'reset only this database')
    .option('-y, --yes', 'do not ask for confirmation (required when no one can answer)')
    .addHelpText('after', `
A running instance keeps running on the same ports: its clients are disconnected with FATAL 57P01, as
at a Postgres shutdown, and it answers again right after with empty databases. Snapshots are kept.`)
    .action(async (name: string | undefined, options: { database?: string; yes?: boolean }) => {
      const { resolveProjectInstance } = await import('../../instances/project-instance.js');
      const { resetInstance } = await import('../../instances/reset-instance.js');
      const root = resolveStateRoot(io.env);
      const instance = (await resolveProjectInstance(root, io.cwd, name)).name;
      const what = options.database === undefined ? 'every database' : `database '${options.database}'`;
      await confirmOrRefuse(io, options.yes, `Empty ${what} of instance '${instance}'?`, 'nothing was reset');
      const result = await resetInstance(root, instance, io.env, options.database);
      writeLine(io.stderr, `instance '${instance}': ${what} reset${result.live ? '; still running' : result.restarted ? '; running again' : ''}`);
      const running = result.live ?? result.restarted;
      if (running?.url) writeLine(io.stdout, running.url);
    });
}
