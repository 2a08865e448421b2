import type { Command } from 'commander';
import { PpgError } from '../../ppg-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { canAsk } from '../confirm-prompt.js';

/** `ppg cloud ls` / `ppg cloud rm <id>`: the Prisma Postgres projects of the workspace, to find and remove orphans. */
export function register(program: Command, io: CliIo): void {
  const cloud = program.command('cloud').description('list and delete your Prisma Postgres projects');
  cloud
    .command('ls')
    .description('list the projects the token can see')
    .option('-j, --json', 'print the projects as JSON')
    .option('--token <token>', 'Management API token (default: PRISMA_SERVICE_TOKEN, then the stored `ppg login`)')
    .action(async (flags: { json?: boolean; token?: string }) => {
      const { listCloudProjects } = await import('../../cloud/cloud-projects.js');
      const projects = await listCloudProjects({ env: io.env, ...(flags.token !== undefined ? { token: flags.token } : {}) });
      if (flags.json) return writeLine(io.stdout, JSON.stringify(projects, null, 2));
      if (projects.length === 0) return writeLine(io.stderr, 'No projects.');
      const rows = [['ID', 'NAME', 'REGION', 'CREATED'], ...projects.map((p) => [p.id, p.name, p.region ?? '-', p.createdAt ?? '-'])];
      const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
      for (const row of rows) writeLine(io.stdout, row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
    });
  cloud
    .command('rm')
    .description('delete a project and every database in it (asks first)')
    .argument('<id>', 'project id, as `ppg cloud ls` shows it')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--token <token>', 'Management API token (default: PRISMA_SERVICE_TOKEN, then the stored `ppg login`)')
    .action(async (projectId: string, flags: { yes?: boolean; token?: string }) => {
      const interactive = canAsk(io);
      if (!flags.yes && !interactive) {
        throw new PpgError('USAGE', `refusing to delete ${projectId} without confirmation`, { hint: `run \`ppg cloud rm ${projectId} --yes\``, exitCode: 2 });
      }
      const { removeCloudProject } = await import('../../cloud/cloud-projects.js');
      const { askConfirm } = await import('../../cloud/terminal-prompt.js');
      const removed = await removeCloudProject({
        env: io.env,
        projectId,
        ...(flags.token !== undefined ? { token: flags.token } : {}),
        ...(flags.yes ? {} : { confirm: (p) => askConfirm(`Delete project "${p.name}" (${p.id}) and all its databases?`, io.stderr, io.stdin) }),
      });
      writeLine(io.stderr, `Deleted project "${removed.name}" (${removed.id}).`);
    });
}
