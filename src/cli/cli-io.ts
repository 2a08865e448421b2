import type { Readable, Writable } from 'node:stream';

/** Where a command writes: stdout is data, stderr is for people. Injected so tests can run commands in-process. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** True when stdout is a terminal (colour and prompts are allowed). */
  isTTY: boolean;
  /** Where answers to questions come from; a prompt is shown only when it is a terminal too. */
  stdin: Readable & { isTTY?: boolean };
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    stdin: process.stdin,
  };
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
