import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { register as registerInit } from './commands/init.js';
import { register as registerCreateDb } from './commands/create-db.js';
import { register as registerLogin } from './commands/login.js';
import { register as registerLogout } from './commands/logout.js';
import { register as registerDev } from './commands/dev.js';

/**
 * The one place that knows every top-level command. Each command module exports
 * `register(program, io)` and stays thin: parse flags, one call into src/instances or src/cloud, render.
 * Command modules import their implementation inside the action, so `ppg dev` never loads the cloud code.
 */
export function registerCommands(program: Command, io: CliIo): void {
  registerDev(program, io);
  registerInit(program, io);
  registerCreateDb(program, io);
  registerLogin(program, io);
  registerLogout(program, io);
}
