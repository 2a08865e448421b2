import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import type { InstanceRecord } from '../../state/instance-record.js';
import { PpgError } from '../../ppg-error.js';
import { resolveStateRoot } from '../../state/state-paths.js';

interface DevOptions {
  name?: string;
  port?: number;
  detach?: boolean;
  debug?: boolean;
  env?: string | true;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('expected a port number between 1 and 65535');
  }
  return port;
}

/**
 * `ppg dev` has its own action (start the project's instance) and subcommands (`ls`, `stop`, …).
 * Commander routes a known subcommand name first; anything else goes to this action, which takes
 * no arguments, so `ppg dev typo` is a usage error rather than a silent start. Returns the `dev`
 * command for register-commands.ts to hang the subcommands on.
 */
export function register(program: Command, io: CliIo): Command {
  return program
    .command('dev')
    .description("start this project's local Postgres (foreground until Ctrl-C, or --detach)")
    .option('-n, --name <name>', 'instance name (default: derived from the project folder)')
    .option('-p, --port <port>', 'port to listen on; must be free (default: last port, else 51214, else next free)', parsePort)
    .option('-d, --detach', 'start in the background and print only the connection URL')
    .option('--debug', 'print server log lines to stderr (foreground)')
    .option('-e, --env [file]', "write DATABASE_URL and SHADOW_DATABASE_URL into the project's .env (or FILE), keeping every other line")
    .addHelpText(
      'after',
      `
Examples:
  ppg dev                                 serve this project's database until Ctrl-C
  export DATABASE_URL=$(ppg dev --detach) start in the background, capture the URL
  ppg dev --env                           also point DATABASE_URL in .env at it (the old value stays as a comment)
  ppg dev ls                              every instance and its status
  ppg dev stop 'feature-*'                stop by name or glob

Environment:
  PPG_DEV_HOME              state directory (default: the user data folder for ppg-dev)
  PPG_DEV_BASE_PORT         first port tried when --port is not given (default 51214)
  PPG_DEV_START_TIMEOUT_MS  how long --detach waits for the server (default 60000)`,
    )
    .action(async (options: DevOptions) => {
      // Loaded here, not at the top: every other command starts faster without the start path.
      const { resolveProjectInstance } = await import('../../instances/project-instance.js');
      const root = resolveStateRoot(io.env);
      const { name, projectDir } = await resolveProjectInstance(root, io.cwd, options.name);
      const onNotice = (line: string): void => writeLine(io.stderr, line);
      const request = { stateRoot: root, name, projectDir, port: options.port, env: io.env, onNotice };
      if (options.detach) {
        const { startDetached } = await import('../../instances/start-instance.js');
        const { record, alreadyRunning, recovered } = await startDetached(request);
        const how = alreadyRunning ? 'is already running' : recovered ? 'recovered from a crash and started' : 'started';
        writeLine(io.stderr, `instance '${name}' ${how}`);
        if (options.env !== undefined) await writeEnv(io, record, options.env);
        writeLine(io.stdout, record.url);
        return;
      }
      const { runForeground } = await import('../../instances/run-foreground.js');
      await runForeground(request, {
        onReady: async (record) => {
          // One write, so whoever waits for the URL line also has the lines under it.
          writeLine(io.stdout, [record.url ?? '', ...(await prismaLines(record))].join('\n'));
          if (options.env !== undefined) await writeEnv(io, record, options.env);
          writeLine(io.stderr, `instance '${name}' is ready (project ${record.projectDir}); press Ctrl-C to stop`);
        },
        onNotice,
        debug: options.debug ? (line: string) => writeLine(io.stderr, line) : undefined,
      });
    });
}

async function prismaLines(record: InstanceRecord): Promise<string[]> {
  const { prismaUrlsOf } = await import('../../instances/record-urls.js');
  const urls = prismaUrlsOf(record);
  if (!urls) return [];
  return [
    '',
    '# For Prisma, put these lines in .env (or start with: ppg dev --env):',
    `DATABASE_URL="${urls.databaseUrl}"`,
    `SHADOW_DATABASE_URL="${urls.shadowDatabaseUrl}"`,
    '# Prisma Client with accelerateUrl (HTTP), as `prisma dev` prints it:',
    `# DATABASE_URL="${urls.prismaPostgresUrl}"`,
  ];
}

/** Writes the URLs into .env and says so on stderr (host and ports only; the file holds the rest). */
async function writeEnv(io: CliIo, record: InstanceRecord, file: string | true): Promise<void> {
  const { prismaUrlsOf } = await import('../../instances/record-urls.js');
  const { writeDevEnv } = await import('../../instances/dev-env-file.js');
  const urls = prismaUrlsOf(record);
  if (!urls) throw new PpgError('INSTANCE_OUTDATED', `instance '${record.name}' runs without the Prisma URLs (started by an older ppg-dev)`, {
    hint: `restart it: ppg dev stop ${record.name} && ppg dev --env`,
  });
  // The default .env is the project's; an explicit FILE is relative to where the command runs.
  const update = await writeDevEnv(file === true ? path.join(record.projectDir, '.env') : path.resolve(io.cwd, file), urls);
  const changed = update.changes.filter((c) => c.action !== 'unchanged').map((c) => c.key);
  const what = changed.length === 0 ? 'already pointed at this instance' : `${update.created ? 'created with' : 'updated'} ${changed.join(', ')}`;
  const kept = update.changes.some((c) => c.action === 'updated') ? ' (previous values kept as comments above them)' : '';
  writeLine(io.stderr, `${update.path}: ${what}${kept}`);
}
