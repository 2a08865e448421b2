import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { trackChild } from './cleanup.js';
import { waitUntilAnswering } from './pg-round-trips.js';
import { freePort, runCommand, waitForExit } from './processes.js';

/**
 * Native PostgreSQL for comparison: found on PATH or under /usr/lib/postgresql/<major>/bin. Runs with fsync=off
 * (like PGlite), listening on 127.0.0.1 only, unix sockets in the bench's temp dir. PostgreSQL refuses to run as
 * root, so as root every binary runs as the `postgres` user and the dirs it writes are chowned to it.
 */
export interface NativeInstall {
  binDir: string;
  version: string;
  /** uid/gid to run as (when the bench runs as root), else null. */
  runAs: { uid: number; gid: number } | null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binDirCandidates(): string[] {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
    .filter((dir) => executable(path.join(dir, 'initdb')) && executable(path.join(dir, 'pg_ctl')))
    .map((dir) => path.dirname(realpathSync(path.join(dir, 'initdb'))));
  const root = '/usr/lib/postgresql';
  const installed = existsSync(root)
    ? readdirSync(root).filter((major) => /^\d+$/.test(major)).sort((a, b) => Number(b) - Number(a)).map((major) => path.join(root, major, 'bin'))
    : [];
  return [...fromPath, ...installed];
}

/** The native install to compare with, or a reason why there is none. */
export function findNativePostgres(): NativeInstall | { missing: string } {
  const binDir = binDirCandidates().find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((bin) => executable(path.join(dir, bin))));
  if (!binDir) return { missing: 'no initdb/pg_ctl/postgres on PATH or under /usr/lib/postgresql/*/bin' };
  const version = spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^postgres \(PostgreSQL\) /, '');
  let runAs: NativeInstall['runAs'] = null;
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    if (!uid || !Number.isFinite(gid)) return { missing: 'running as root and there is no "postgres" user to run native PostgreSQL as' };
    runAs = { uid, gid };
  }
  return { binDir, version, runAs };
}

/** Makes `dir` writable by the user native PostgreSQL runs as. */
export function handOver(install: NativeInstall, dir: string): void {
  if (install.runAs) chownSync(dir, install.runAs.uid, install.runAs.gid);
}

/** initdb of a new cluster (trust auth, user postgres, no fsync). Returns the milliseconds it took. */
export async function initNativeCluster(install: NativeInstall, dataDir: string): Promise<number> {
  handOver(install, path.dirname(dataDir));
  const result = await runCommand(path.join(install.binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '-N'], {
    ...(install.runAs ?? {}),
    timeoutMs: 120_000,
  });
  if (result.code !== 0) throw new Error(`initdb failed (${result.code ?? result.signal}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return result.ms;
}

export interface NativeServer {
  url: string;
  port: number;
  /** Milliseconds from spawning `postgres` until a fresh connection answered `select 1`. */
  startMs: number;
  stop(): Promise<void>;
}

/** Starts `postgres` on an existing cluster. `socketDir` must be writable by the PostgreSQL user. */
export async function startNativeServer(install: NativeInstall, dataDir: string, socketDir: string, timeoutMs = 60_000, settings: readonly string[] = []): Promise<NativeServer> {
  const port = await freePort();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(path.join(install.binDir, 'postgres'), [
    '-D', dataDir, '-p', String(port), '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'logging_collector=off',
    ...settings.flatMap((setting) => ['-c', setting]),
  ], { ...(install.runAs ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
  // SIGINT = fast shutdown: aborts sessions, checkpoints, exits.
  trackChild(child, 'SIGINT');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const stop = async (): Promise<void> => {
    child.kill('SIGINT');
    await waitForExit(child, 30_000);
  };
  try {
    const answeredAt = await waitUntilAnswering(url, timeoutMs, () => (child.exitCode === null && child.signalCode === null
      ? null
      : `postgres exited (${child.exitCode ?? child.signalCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    return { url, port, startMs: answeredAt - spawnedAt, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
