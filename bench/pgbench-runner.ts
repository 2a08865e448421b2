import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parsePgbenchOutput, type PgbenchResult } from './pgbench-output.js';
import { runCommand } from './processes.js';

/** Runs pgbench (client processes) against a server URL and parses its summary. */
export interface PgbenchWorkload {
  /** Key in the report, e.g. `select-only-c8`. */
  key: string;
  label: string;
  args: string[];
}

export function pgbenchWorkloads(durationSeconds: number): PgbenchWorkload[] {
  const T = String(durationSeconds);
  return [
    { key: 'select-only-c1', label: 'pgbench -S, 1 client', args: ['-S', '-c', '1', '-T', T] },
    { key: 'select-only-c8', label: 'pgbench -S, 8 clients', args: ['-S', '-c', '8', '-T', T] },
    { key: 'tpcb-like-c4', label: 'pgbench tpcb-like, 4 clients', args: ['-c', '4', '-T', T] },
  ];
}

/** pgbench on PATH, else next to the native install's binaries; null when there is none. */
export function findPgbench(nativeBinDir: string | null): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...(nativeBinDir ? [nativeBinDir] : [])];
  for (const dir of dirs) {
    const file = path.join(dir, 'pgbench');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return null;
}

function connectionArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  return {
    args: ['-h', parsed.hostname, '-p', parsed.port, '-U', decodeURIComponent(parsed.username)],
    env: { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password), PGSSLMODE: 'disable', PGDATABASE: parsed.pathname.slice(1) || 'postgres' },
  };
}

export interface PgbenchRun extends PgbenchResult {
  exitCode: number | null;
  ms: number;
  /** Last lines of output when something went wrong. */
  tail: string;
}

export async function runPgbench(pgbench: string, url: string, args: readonly string[], timeoutMs: number): Promise<PgbenchRun> {
  const connection = connectionArgs(url);
  const result = await runCommand(pgbench, [...connection.args, ...args], { env: connection.env, timeoutMs });
  const output = `${result.stdout}\n${result.stderr}`;
  const parsed = parsePgbenchOutput(output);
  const ok = result.code === 0 && parsed.tps !== null;
  return {
    ...parsed,
    exitCode: result.code,
    ms: result.ms,
    tail: ok ? '' : output.trim().split('\n').slice(-4).join(' | ') || `pgbench ended by ${result.signal ?? 'unknown'}`,
  };
}

/** `pgbench -i -s <scale>`; returns milliseconds, throws with pgbench's last lines on failure. */
export async function initPgbench(pgbench: string, url: string, scale = 1): Promise<number> {
  const connection = connectionArgs(url);
  const result = await runCommand(pgbench, [...connection.args, '-i', '-s', String(scale), '-q'], { env: connection.env, timeoutMs: 300_000 });
  if (result.code !== 0) {
    throw new Error(`pgbench -i failed (${result.code ?? result.signal}): ${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return result.ms;
}
