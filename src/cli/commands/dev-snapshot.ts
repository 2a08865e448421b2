import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import { confirmOrRefuse } from '../confirm-prompt.js';
import { resolveStateRoot } from '../../state/state-paths.js';
import { parseWaitSeconds, WAIT_DESCRIPTION, WAIT_FLAGS } from '../wait-option.js';

interface InstanceOption { name?: string }

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

async function instanceOf(io: CliIo, options: InstanceOption): Promise<{ root: string; instance: string }> {
  const { resolveProjectInstance } = await import('../../instances/project-instance.js');
  const root = resolveStateRoot(io.env);
  return { root, instance: (await resolveProjectInstance(root, io.cwd, options.name)).name };
}

export function registerDevSnapshot(dev: Command, io: CliIo): void {
  const snapshot = dev
    .command('snapshot')
    .description("save and restore copies of an instance's databases")
    .addHelpText('after', `
Snapshots live in the state directory beside the instances (snapshots/<instance>/<snapshot>/) and
survive stop and start; ppg dev rm deletes them with the instance. A running instance keeps
running: while a snapshot is saved its clients wait (they are not disconnected); a restore disconnects
them with FATAL 57P01, as at a Postgres shutdown.`);

  snapshot
    .command('save')
    .description('save the current databases under a name')
    .argument('<snapshot>', 'snapshot name')
    .option('-n, --name <instance>', "instance (default: this project's instance)")
    .option(WAIT_FLAGS, WAIT_DESCRIPTION, parseWaitSeconds)
    .action(async (name: string, options: InstanceOption & { wait?: number }) => {
      const { saveSnapshot } = await import('../../instances/snapshots.js');
      const { root, instance } = await instanceOf(io, options);
      const { snapshot: saved, restarted } = await saveSnapshot(root, instance, name, io.env, { waitMs: options.wait });
      writeLine(io.stderr, `instance '${instance}': saved snapshot '${saved.name}' (${formatSize(saved.sizeBytes)})${restarted ? '; running again' : ''}`);
    });

  snapshot
    .command('restore')
    .description("replace the instance's databases with a snapshot")
    .argument('<snapshot>', 'snapshot name')
    .option('-n, --name <instance>', "instance (default: this project's instance)")
    .option('-y, --yes', 'do not ask for confirmation (required when no one can answer)')
    .action(async (name: string, options: InstanceOption & { yes?: boolean }) => {
      const { restoreSnapshot } = await import('../../instances/snapshots.js');
      const { root, instance } = await instanceOf(io, options);
      await confirmOrRefuse(io, options.yes, `Replace the databases of instance '${instance}' with snapshot '${name}'?`, 'nothing was restored');
      const { live, restarted } = await restoreSnapshot(root, instance, name, io.env);
      writeLine(io.stderr, `instance '${instance}': restored snapshot '${name}'${live ? '; still running' : restarted ? '; running again' : ''}`);
      const running = live ?? restarted;
      if (running?.url) writeLine(io.stdout, running.url);
    });

  snapshot
    .command('ls')
    .alias('list')
    .description('list the snapshots of an instance, oldest first')
    .option('-n, --name <instance>', "instance (default: this project's instance)")
    .option('--json', 'print a JSON array for scripts')
    .action(async (options: InstanceOption & { json?: boolean }) => {
      const { listSnapshots } = await import('../../instances/snapshots.js');
      const { root, instance } = await instanceOf(io, options);
      const snapshots = await listSnapshots(root, instance);
      if (options.json) {
        writeLine(io.stdout, JSON.stringify(snapshots, null, 2));
        return;
      }
      if (snapshots.length === 0) {
        writeLine(io.stderr, `instance '${instance}' has no snapshots; save one with: ppg dev snapshot save <name>`);
        return;
      }
      const width = Math.max(8, ...snapshots.map((s) => s.name.length));
      writeLine(io.stdout, `${'SNAPSHOT'.padEnd(width)}  ${'SIZE'.padStart(9)}  CREATED`);
      for (const s of snapshots) writeLine(io.stdout, `${s.name.padEnd(width)}  ${formatSize(s.sizeBytes).padStart(9)}  ${s.createdAt}`);
    });

  snapshot
    .command('rm')
    .alias('remove')
    .description('delete a snapshot')
    .argument('<snapshot>', 'snapshot name')
    .option('-n, --name <instance>', "instance (default: this project's instance)")
    .action(async (name: string, options: InstanceOption) => {
      const { removeSnapshot } = await import('../../instances/snapshots.js');
      const { root, instance } = await instanceOf(io, options);
      const removed = await removeSnapshot(root, instance, name);
      writeLine(io.stderr, `instance '${instance}': deleted snapshot '${removed.name}' (${formatSize(removed.sizeBytes)})`);
    });
}
