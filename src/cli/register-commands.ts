import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { register as registerInit } from './commands/init.js';
import { register as registerCreateDb } from './commands/create-db.js';
import { register as registerLogin } from './commands/login.js';
import { register as registerLogout } from './commands/logout.js';
import { register as registerCloud } from './commands/cloud.js';
import { register as registerDev } from './commands/dev.js';
import { registerDevBranch } from './commands/dev-branch.js';
import { registerDevLogs } from './commands/dev-logs.js';
import { registerDevLs } from './commands/dev-ls.js';
import { registerDevReset } from './commands/dev-reset.js';
import { registerDevRm } from './commands/dev-rm.js';
import { registerDevSnapshot } from './commands/dev-snapshot.js';
import { registerDevStart } from './commands/dev-start.js';
import { registerDevStop } from './commands/dev-stop.js';

/**
 * The one place that knows every command and subcommand (command modules never import each other). Each command module exports
 * `register(program, io)` and stays thin: parse flags, one call into src/instances or src/cloud, render.
 * Command modules import their implementation inside the action, so `ppg dev` never loads the cloud code.
 */
export function registerCommands(program: Command, io: CliIo): void {
  const dev = registerDev(program, io);
  registerDevLs(dev, io);
  registerDevStop(dev, io);
  registerDevStart(dev, io);
  registerDevRm(dev, io);
  registerDevLogs(dev, io);
  registerDevReset(dev, io);
  registerDevSnapshot(dev, io);
  registerDevBranch(dev, io);
  registerInit(program, io);
  registerCreateDb(program, io);
  registerLogin(program, io);
  registerLogout(program, io);
  registerCloud(program, io);
}
