import type { Command } from 'commander';
import { PpgError } from '../../ppg-error.js';
import { writeLine, type CliIo } from '../cli-io.js';
import { canAsk } from '../confirm-prompt.js';

interface InitFlags {
  db?: boolean;
  local?: boolean;
  region?: string;
  name?: string;
  yes?: boolean;
  force?: boolean;
  token?: string;
  project?: string | true;
}

/** `ppg init --db` switches DATABASE_URL in .env to a new Prisma Postgres database; `ppg init --local` switches back. */
export function register(program: Command, io: CliIo): void {
  program
    .command('init')
    .description("point this project's DATABASE_URL at Prisma Postgres (--db) or back at the local server (--local)")
    .option('--db', 'create a Prisma Postgres project and database, and write its URL to .env')
    .option('--local', 'restore the local DATABASE_URL that `ppg init --db` kept as a comment')
    .option('-r, --region <id>', 'region for the new database (default us-east-1)')
    .option('-n, --name <name>', 'project name (default: the project folder name)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'create a new database even if .env already points at Prisma Postgres (the old URL stays as a comment)')
    .option('-p, --project [id|name]', 'connect to this existing project (new credentials on its database) instead of creating one; alone, choose it from a list')
    .option('--token <token>', 'Management API token (default: PRISMA_SERVICE_TOKEN, then the stored `ppg login`)')
    .action(async (flags: InitFlags) => {
      const usage = flags.db && flags.local ? 'choose one of --db and --local' : !flags.db && !flags.local ? 'choose --db or --local' : undefined;
      const localExtras = flags.local && (flags.region || flags.name || flags.force || flags.token || flags.project);
      if (flags.project !== undefined && (flags.region || flags.name || flags.force)) {
        throw new PpgError('USAGE', '--project links an existing project; --region, --name and --force are for creating one', {
          hint: 'run `ppg init --db --project <id|name>` alone',
          exitCode: 2,
        });
      }
      if (usage || localExtras) {
        throw new PpgError('USAGE', usage ?? '--local takes no other option', {
          hint: 'run `ppg init --db` to switch to Prisma Postgres, `ppg init --local` to switch back',
          exitCode: 2,
        });
      }
      if (flags.local) {
        const { initLocal } = await import('../../cloud/init-db.js');
        const local = await initLocal({ cwd: io.cwd, env: io.env });
        writeLine(io.stderr, `Restored the local DATABASE_URL (${local.localHost}) in ${local.envPath}.`);
        if (local.cloudHost) writeLine(io.stderr, `The Prisma Postgres URL (${local.cloudHost}) is kept as a comment above it.`);
        return;
      }
      const interactive = canAsk(io) && !flags.yes;
      const { initDb } = await import('../../cloud/init-db.js');
      const { askYesNo, pickProjectFromList } = await import('../../cloud/terminal-prompt.js');
      const result = await withRecovery(io, () => initDb({
        cwd: io.cwd,
        env: io.env,
        ...(flags.token !== undefined ? { token: flags.token } : {}),
        ...(flags.region !== undefined ? { region: flags.region } : {}),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        force: Boolean(flags.force),
        ...(typeof flags.project === 'string' ? { project: flags.project } : {}),
        ...(flags.project === true ? { chooseProject: (projects) => pickProjectFromList(projects, io.stderr, io.stdin) } : {}),
        ...(interactive ? { confirm: (plan) => askYesNo(`Create Prisma Postgres project "${plan.name}" in ${plan.region}?`, io.stderr, io.stdin) } : {}),
      }));
      if (result.status === 'already-linked') {
        writeLine(io.stderr, `DATABASE_URL in ${result.envPath} already points at Prisma Postgres (${result.host}); nothing changed.`);
        writeLine(io.stderr, 'Run `ppg init --db --force` to create a new database anyway.');
        return;
      }
      if (result.status === 'switched-back') {
        writeLine(io.stderr, `Switched DATABASE_URL in ${result.envPath} back to Prisma Postgres project ${result.projectId} (${result.newHost}); nothing was created.`);
        writeLine(io.stderr, 'The previous value is kept as a comment above it; `ppg init --local` switches back.');
        return;
      }
      if (result.status === 'linked') writeLine(io.stderr, `Connected to Prisma Postgres project "${result.projectName}" (${result.projectId}), database ${result.databaseId}, with new credentials.`);
      else writeLine(io.stderr, `Created Prisma Postgres project "${result.projectName}" (${result.projectId}) with database ${result.databaseId} in ${result.region}.`);
      const change = result.env.changes[0];
      if (result.env.created) writeLine(io.stderr, `Created ${result.envPath} with DATABASE_URL → ${result.newHost}.`);
      else if (change?.action === 'added') writeLine(io.stderr, `Added DATABASE_URL → ${result.newHost} to ${result.envPath}.`);
      else writeLine(io.stderr, `Updated DATABASE_URL in ${result.envPath}: ${result.previousHost ?? '(none)'} → ${result.newHost}.`);
      if (result.keptPrevious && result.previousHost !== undefined && !result.previousIsCloud) writeLine(io.stderr, 'The previous value is kept as a comment above it; `ppg init --local` switches back.');
      else if (change?.action === 'updated') writeLine(io.stderr, 'The previous Prisma Postgres URL is kept as a comment above it.');
      if (!result.envIgnored) writeLine(io.stderr, 'warning: .env now holds a database password and no .gitignore here ignores it; add `.env` to .gitignore.');
      if (change && change.occurrences > 1) writeLine(io.stderr, `warning: DATABASE_URL appeared ${change.occurrences} times; only the last (effective) one was changed.`);
    });
}

/** A cloud failure after something was created: the only copy of its credentials goes to stdout first. */
async function withRecovery<T>(io: CliIo, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const { CloudRecoveryError, recoveryLines } = await import('../../cloud/recovery-error.js');
    if (error instanceof CloudRecoveryError) for (const line of recoveryLines(error.recovery)) writeLine(io.stdout, line);
    throw error;
  }
}
