import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI: e2e tests need `npm run build` first. */
export const PPG_BIN = fileURLToPath(new URL('../../bin/ppg.js', import.meta.url));
const BUILT_MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface PpgResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PpgOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Failure bound only: the process is killed after it and the test fails. Default 90 s. */
  timeoutMs?: number;
}

/** Every `ppg` process a test started and that has not exited yet; the leak check reads it. */
export const liveChildren = new Set<ChildProcess>();

export interface PpgProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the output once `pattern` matches stdout (or stderr with `stream`). */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<PpgResult>;
}

/** Starts `node bin/ppg.js …args` and returns at once; see runPpg to wait for it. */
export function spawnPpg(args: string[], options: PpgOptions): PpgProcess {
  if (!existsSync(BUILT_MAIN)) throw new Error('dist/ is missing: run `npm run build` before the e2e tests');
  const child = spawn(process.execPath, [PPG_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const timeoutMs = options.timeoutMs ?? 90_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<PpgResult>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code, signal, ...output });
    });
  });
  const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', waitMs = 90_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const match = output[stream].match(pattern);
        if (match) {
          clearInterval(poll);
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > waitMs) {
          clearInterval(poll);
          reject(new Error(`never saw ${pattern} on ${stream}.\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
        }
      }, 25);
    });
  return { child, stdout: () => output.stdout, stderr: () => output.stderr, waitFor, exited };
}

/** Runs `node bin/ppg.js …args` to completion. */
export function runPpg(args: string[], options: PpgOptions): Promise<PpgResult> {
  return spawnPpg(args, options).exited;
}

/** The single URL line a successful `ppg dev --detach` prints on stdout. */
export function urlFrom(result: PpgResult): string {
  const lines = result.stdout.trim().split('\n');
  if (result.code !== 0 || lines.length !== 1 || !lines[0]?.startsWith('postgres://')) {
    throw new Error(`expected one URL on stdout, got code ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return lines[0];
}
