import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

/**
 * `dev` has its own action and subcommands; this is where commander CLIs misroute. Every form is
 * parsed in-process against an empty temp PPG_DEV_HOME, with inputs chosen so no server starts.
 */
let home: string;
let cwd: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'ppg-routing-'));
  cwd = await mkdtemp(path.join(os.tmpdir(), 'ppg-routing-cwd-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(['node', 'ppg', ...args], { stdout, stderr, env: { PPG_DEV_HOME: home }, cwd, isTTY: false, stdin: new PassThrough() });
  return { code, stdout: out, stderr: err };
}

describe('ppg dev routing', () => {
  it.each([
    [['dev', '--help'], /Usage: ppg dev \[options\] \[command\]/],
    [['dev', 'ls', '--help'], /Usage: ppg dev ls\|list \[options\]/],
    [['dev', 'list', '--help'], /Usage: ppg dev ls\|list/],
    [['dev', 'stop', '--help'], /Usage: ppg dev stop \[options\] \[names\.\.\.\]/],
    [['dev', 'start', '--help'], /Usage: ppg dev start \[options\] <names\.\.\.>/],
    [['dev', 'rm', '--help'], /Usage: ppg dev rm\|remove \[options\] <names\.\.\.>/],
    [['dev', 'logs', '--help'], /Usage: ppg dev logs \[options\] <name>/],
    [['help', 'dev'], /Usage: ppg dev/],
  ])('%j prints its own help and exits 0', async (args, usage) => {
    const result = await run(...args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
  });

  it.each([
    // [args, exit code, stream, pattern]: which action ran is visible in its message.
    [['dev', 'ls', '--json'], 0, 'stdout', /^\[\]\n$/],
    [['dev', 'list'], 0, 'stderr', /no instances yet/],
    [['dev', 'stop', 'nope'], 1, 'stderr', /error: no instance matches 'nope'\nhint: there are no instances yet/],
    [['dev', 'stop'], 2, 'stderr', /error: name at least one instance/],
    [['dev', 'stop', '--all'], 0, 'stderr', /no instances to stop/],
    [['dev', 'start', 'nope'], 1, 'stderr', /no instance matches 'nope'/],
    [['dev', 'start'], 2, 'stderr', /missing required argument 'names'/],
    [['dev', 'rm', 'a*', '--yes'], 1, 'stderr', /no instance matches 'a\*'/],
    [['dev', 'logs', 'nope'], 1, 'stderr', /no instance matches 'nope'/],
    [['dev', '--name', 'bad name!'], 2, 'stderr', /error: invalid instance name 'bad name!'\nhint: /],
    [['dev', '--detach', '--name', '../x'], 2, 'stderr', /invalid instance name/],
    [['dev', '--port', '0'], 2, 'stderr', /option '-p, --port <port>' argument '0' is invalid/],
    [['dev', '--port', '65536', '--detach'], 2, 'stderr', /argument '65536' is invalid/],
    [['dev', '-p', 'abc'], 2, 'stderr', /argument 'abc' is invalid/],
    [['dev', 'typo'], 2, 'stderr', /too many arguments for 'dev'/],
    [['dev', '--bogus'], 2, 'stderr', /unknown option '--bogus'/],
    [['dev', 'ls', '--bogus'], 2, 'stderr', /unknown option '--bogus'/],
    [['dev', 'stop', 'x', '--bogus'], 2, 'stderr', /unknown option '--bogus'/],
    [['nope'], 2, 'stderr', /unknown command 'nope'/],
  ] as const)('%j exits %i', async (args, code, stream, pattern) => {
    const result = await run(...args);
    expect(result.code, result.stderr).toBe(code);
    expect(result[stream]).toMatch(pattern);
  });
});
