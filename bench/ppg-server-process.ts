import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.js';
import { waitUntilAnswering } from './pg-round-trips.js';
import { freePort, processCpuSeconds, waitForExit } from './processes.js';

/** Starts and stops ppg-dev's server in a child process (bench/serve-for-bench.ts). */
const SERVE_SCRIPT = fileURLToPath(new URL('./serve-for-bench.js', import.meta.url));

export interface PpgServerProcess {
  url: string;
  port: number;
  pid: number;
  /** Milliseconds from spawn until a fresh connection answered `select 1`. */
  startMs: number;
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

export async function startPpgServer(dataRoot: string, templateCacheDir: string, timeoutMs = 120_000): Promise<PpgServerProcess> {
  const port = await freePort();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [SERVE_SCRIPT, '--data-root', dataRoot, '--template-cache', templateCacheDir, '--port', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await waitForExit(child, 15_000);
  };
  try {
    const answeredAt = await waitUntilAnswering(url, timeoutMs, () => {
      if (child.exitCode === null && child.signalCode === null) return null;
      const reported = /"error":"([^"]*)"/.exec(output)?.[1];
      return `ppg-dev server exited (${child.exitCode ?? child.signalCode}): ${reported ?? stderr.trim().split('\n').slice(-3).join(' | ')}`;
    });
    const pid = child.pid as number;
    return { url, port, pid, startMs: answeredAt - spawnedAt, cpuSeconds: () => processCpuSeconds(pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
