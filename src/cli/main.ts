import { Command, CommanderError } from 'commander';
import { isPpgError } from '../ppg-error.js';
import { processIo, writeLine, type CliIo } from './cli-io.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { registerCommands } from './register-commands.js';

/**
 * Builds a fresh command tree on each call (no module-level singleton) so tests can parse in-process.
 * `exitOverride` and `configureOutput` are applied to every command, including ones added later with
 * `addCommand()`, because commander copies them only to children made with `.command()`.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('ppg')
    .description('Local Prisma Postgres: a real Postgres server for your project, served from PGlite')
    .version(PACKAGE_VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    // A subcommand's options belong to it: `ppg dev snapshot save s --name x` names the snapshot's
    // instance, not `ppg dev --name`. Inherited by every command made with .command().
    .enablePositionalOptions();
  registerCommands(program, io);
  applyToTree(program, (command) => {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  });
  return program;
}

function applyToTree(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const child of command.commands) applyToTree(child, apply);
}

/** Runs the CLI and returns the exit code: 0 ok, 1 runtime failure, 2 usage error. Never calls process.exit. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help/version text).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    if (error.code === 'commander.help') return 0;
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isPpgError(error)) {
    writeLine(io.stderr, `error: ${error.message}`);
    if (error.hint) writeLine(io.stderr, `hint: ${error.hint}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeLine(io.stderr, `error: ${message}`);
  writeLine(io.stderr, 'hint: this is a bug in ppg-dev; run again with PPG_DEBUG=1 (it adds the stack trace) and report the output');
  if (io.env.PPG_DEBUG && error instanceof Error && error.stack) writeLine(io.stderr, error.stack);
  return 1;
}
