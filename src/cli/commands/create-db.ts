import type { Command } from 'commander';
import { isPpgError, PpgError } from '../../ppg-error.js';
import { writeLine, type CliIo } from '../cli-io.js';

interface CreateDbFlags {
  region?: string;
  interactive?: boolean;
  json?: boolean;
  env?: string | true;
  ttl?: string;
  quiet?: boolean;
  userAgent?: string;
  copy?: boolean;
  open?: boolean;
}

const HINTS: Record<string, string> = {
  rate_limit_exceeded: 'wait a minute and try again',
  RATE_LIMIT_EXCEEDED: 'programmatic creation allows 1 database per minute; wait and try again',
  invalid_json: 'the service answered something unexpected; try again or visit https://www.prisma-status.com/',
  api_error: 'check the flags you passed and try again',
};

/** A refusal of the service: a 5xx is its own failure, not a problem with what was passed. */
function hintFor(error: string, status: number | undefined): string {
  if (status !== undefined && status >= 500) return `the service failed (HTTP ${status}); try again later or visit https://www.prisma-status.com/`;
  return HINTS[error] ?? 'try again later';
}

/** The flags of `create-db` and its `create` subcommand (create-db 1.2.x has both forms). */
function addCreateOptions(command: Command): Command {
  return command
    .option('-r, --region <id>', 'region (default us-east-1)')
    .option('-i, --interactive', 'choose the region from a list')
    .option('-j, --json', 'print the result as JSON')
    .option('-e, --env [file]', "write DATABASE_URL and CLAIM_URL to the project's .env (or FILE); a replaced DATABASE_URL stays as a comment")
    .option('-t, --ttl <ttl>', 'delete after 30m, or 1h to 24h (default 24h; any case)')
    .option('-c, --copy', 'copy the connection string to the clipboard')
    .option('-o, --open', 'open the claim URL in the browser')
    .option('-q, --quiet', 'print only the connection string')
    .option('-u, --user-agent <ua>', 'user agent sent to the service');
}

/** `ppg create-db` (alias `create-pg`, `create-postgres`): a temporary Prisma Postgres database, as `npx create-db` 1.2.x. */
export function register(program: Command, io: CliIo): void {
  const createDb = addCreateOptions(
    program
      .command('create-db')
      .aliases(['create-pg', 'create-postgres'])
      .description('create a temporary Prisma Postgres database (deleted after 24h unless claimed)'),
  ).action((flags: CreateDbFlags, command: Command) => createAction(io, flags, command.parent?.args[0] ?? 'create-db'));
  addCreateOptions(createDb.command('create').description('create a temporary Prisma Postgres database (the default command)')).action(
    (flags: CreateDbFlags, command: Command) => createAction(io, flags, command.parent?.parent?.args[0] ?? 'create-db'),
  );
  createDb
    .command('regions')
    .description('list the regions available for new databases')
    .option('-j, --json', 'print the regions as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      // `ppg create-db regions --json`: commander hands --json to the parent command unless positional options are on.
      const json = Boolean(flags.json || command.parent?.opts().json);
      const { listCreateDbRegions } = await import('../../cloud/create-db-run.js');
      let regions: Awaited<ReturnType<typeof listCreateDbRegions>>;
      try {
        regions = await listCreateDbRegions(io.env);
      } catch (error) {
        if (json) writeLine(io.stdout, jsonFailure(error));
        throw error;
      }
      if (json) return writeLine(io.stdout, JSON.stringify(regions, null, 2));
      writeLine(io.stderr, 'Available Prisma Postgres regions:');
      for (const region of regions) writeLine(io.stdout, `${region.id}${region.name ? ` - ${region.name}` : ''}`);
    });
}

/**
 * Every failure in --json mode is a create-db style error object on stdout. create-db names its errors in
 * lower snake case (`invalid_region`, `network_error`, `invalid_ttl`); ours are the same names upper-cased.
 */
function jsonFailure(error: unknown): string {
  const code = isPpgError(error) ? error.code.toLowerCase() : 'unexpected_error';
  return JSON.stringify({ success: false, error: code, message: error instanceof Error ? error.message : String(error) }, null, 2);
}

async function createAction(io: CliIo, flags: CreateDbFlags, invokedAs: string): Promise<void> {
  const silent = Boolean(flags.json || flags.quiet);
  // As in create-db 1.2.x, --json returns before the env file would be written; say so instead of ignoring it silently.
  if (flags.json && flags.env) writeLine(io.stderr, `warning: --env is not written in --json mode (as in create-db); ${flags.env === true ? '.env' : flags.env} is unchanged.`);
  let printed = false;
  try {
    const { runCreateDb } = await import('../../cloud/create-db-run.js');
    const { pickRegionFromList } = await import('../../cloud/terminal-prompt.js');
    const run = await runCreateDb({
      env: io.env,
      cwd: io.cwd,
      utmSource: invokedAs,
      progress: (line) => {
        if (!silent) writeLine(io.stderr, line);
      },
      ...(flags.region !== undefined ? { region: flags.region } : {}),
      ...(flags.interactive && !flags.quiet && flags.region === undefined ? { pickRegion: (regions) => pickRegionFromList(regions, io.stderr, io.stdin) } : {}),
      ...(flags.ttl !== undefined ? { ttl: flags.ttl } : {}),
      ...(flags.userAgent !== undefined ? { userAgent: flags.userAgent } : {}),
      ...(flags.env !== undefined && !flags.json ? { envFile: flags.env } : {}),
    });
    const result = run.result;
    if (flags.json) {
      writeLine(io.stdout, JSON.stringify(result, null, 2));
      printed = true;
    }
    if (!result.success) {
      // Exit 1 with create-db's message; its own name for the failure (`rate_limit_exceeded` …) is in --json.
      throw new PpgError('CREATE_DB_FAILED', result.message, { hint: hintFor(result.error, result.status) });
    }
    if (flags.json) return;
    if (flags.quiet) {
      if (result.connectionString !== null) writeLine(io.stdout, result.connectionString);
      // The file meant to hold them failed: the claim URL must reach the user too.
      if (run.envError) writeLine(io.stdout, result.claimUrl);
    } else {
      writeLine(io.stderr, 'Database created successfully!');
      writeLine(io.stdout, 'Connection String:');
      writeLine(io.stdout, result.connectionString ?? '(none yet: the database is still provisioning)');
      writeLine(io.stdout, 'Claim your database to keep it for free:');
      writeLine(io.stdout, result.claimUrl);
      writeLine(io.stderr, `Database will be deleted on ${new Date(result.deletionDate).toLocaleString()} if not claimed.`);
    }
    if (flags.copy || flags.open) {
    const { handOffUrls } = await import('../../cloud/desktop-handoff.js');
    const notices = await handOffUrls({ copy: Boolean(flags.copy), open: Boolean(flags.open), connectionString: result.connectionString, claimUrl: result.claimUrl, env: io.env });
    for (const line of notices) writeLine(io.stderr, line);
  }
  if (run.envError) throw run.envError;
    if (run.envWritten && !flags.quiet) writeLine(io.stderr, `Wrote ${result.connectionString === null ? '' : 'DATABASE_URL and '}CLAIM_URL to ${run.envWritten}`);
  } catch (error) {
    // In --json mode every failure is still a JSON object on stdout (create-db prints a stack trace for some).
    if (flags.json && !printed) writeLine(io.stdout, jsonFailure(error));
    throw error;
  }
}
