import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';

/**
 * The one place that knows every top-level command. Each command module exports
 * `register(program, io)` and stays thin: parse flags, one call into src/instances or src/cloud, render.
 */
export function registerCommands(program: Command, io: CliIo): void {
  void program;
  void io;
}
