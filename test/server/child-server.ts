import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './async-checks.js';
import { TEMPLATE_CACHE_DIR } from './test-server.js';

export interface ChildServer {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** Asks the child for its scheduler's state: clients with a batch running, clients waiting. */
  status(): Promise<{ running: number; waiting: number }>;
  /** SIGTERM, then SIGKILL if it does not exit (a blocked event loop ignores SIGTERM); removes the temp dir. */
  cleanup(): Promise<void>;
}

/**
 * Starts a server in a child node process (built dist/ required), so a hung engine cannot hang the test.
 * A `dataRoot` or `templateCacheDir` given here belongs to the caller and outlives cleanup().
 */
export async function startChildServer(options: { dataRoot?: string; templateCacheDir?: string } = {}): Promise<ChildServer> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-server-child-'));
  const script = new URL('./server-child.mjs', import.meta.url).pathname;
  const args = [script, options.dataRoot ?? path.join(tempDir, 'data'), options.templateCacheDir ?? TEMPLATE_CACHE_DIR];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(tempDir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitFor(() => out.includes('\n'), 60_000, 'the child server to start'),
      exited.then(() => {
        throw new Error(`child server exited: ${err}`);
      }),
    ]);
  } catch (error) {
    await cleanup();
    throw error;
  }
  const info = JSON.parse(out.split('\n')[0]!) as { port: number; url: string };
  let asked = 0;
  const status = async (): Promise<{ running: number; waiting: number }> => {
    asked++;
    child.stdin!.write('status\n');
    await waitFor(() => out.split('\nstatus ').length > asked, 10_000, 'the child to report its status');
    return JSON.parse(out.split('\nstatus ')[asked]!.split('\n')[0]!) as { running: number; waiting: number };
  };
  return { ...info, child, stderr: () => err, status, cleanup };
}
