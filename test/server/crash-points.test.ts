import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawScramLogin } from '../support/raw-scram-login.js';
import { waitFor } from './async-checks.js';
import { type ChildServer, startChildServer } from './child-server.js';
import { fe, frame } from './wire-frames.js';

/**
 * kill -9 of the server at the moments where a crash could leave something half made. After each, a new
 * server on the same data recovers: committed data intact, nothing half-made listed or served, no
 * staging folder left behind.
 */
let dir: string;
const servers: ChildServer[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-crash-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.cleanup()));
  // A server killed while building the template leaves its initdb child running, writing into dir.
  await killProcessesMentioning(dir);
  await rm(dir, { recursive: true, force: true });
});

async function serve(options: { templateCacheDir?: string } = {}): Promise<ChildServer> {
  const server = await startChildServer({ dataRoot: path.join(dir, 'data'), ...options });
  servers.push(server);
  return server;
}

async function killHard(server: ChildServer): Promise<void> {
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGKILL');
  await exited;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function stagingLeftIn(folder: string): Promise<string[]> {
  return (await readdir(folder).catch(() => [] as string[])).filter((name) => name.includes('.tmp-'));
}

describe('kill -9 at a crash point, then a new server on the same data', () => {
  it('during a COPY FROM STDIN: rows committed before are intact, the COPY is all or nothing', async () => {
    const first = await serve();
    await query(first.url, 'create table t (n int); insert into t select g from generate_series(1, 1000) g');
    const login = await rawScramLogin(first.port, 'postgres', 'postgres');
    await login.readyCount(1);
    login.socket.write(fe.query('copy t from stdin'));
    await waitFor(() => login.received().includes(Buffer.from([0x47])), 10_000, 'CopyInResponse');
    const rows = Array.from({ length: 200_000 }, (_, i) => `${1001 + i}\n`).join('');
    // CopyDone and the kill leave together: the server is then running (or about to run) the COPY.
    login.socket.write(Buffer.concat([frame('d', Buffer.from(rows)), frame('c')]), () => first.child.kill('SIGKILL'));
    await new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
    login.socket.destroy();

    const second = await serve();
    const [{ count, sum }] = (await query<{ count: string; sum: string }>(second.url, 'select count(*)::text as count, sum(n)::text as sum from t')) as [{ count: string; sum: string }];
    if (count === '1000') expect(sum).toBe(String((1000 * 1001) / 2));
    else expect({ count, sum }).toEqual({ count: '201000', sum: String((201000 * 201001) / 2) });
  });

  it('during CREATE DATABASE: the database either exists whole or not at all, and no staging folder stays', async () => {
    const first = await serve();
    await query(first.url, "create table kept (v text); insert into kept values ('before')");
    const client = new pg.Client({ connectionString: first.url });
    client.on('error', () => undefined);
    await client.connect();
    void client.query('create database crashdb').catch(() => undefined);
    const dataRoot = path.join(dir, 'data');
    await waitFor(async () => (await stagingLeftIn(dataRoot)).length > 0, 20_000, 'the staging folder of CREATE DATABASE');
    await killHard(first);
    await client.end().catch(() => undefined);

    const second = await serve();
    expect(await stagingLeftIn(dataRoot)).toEqual([]);
    expect(await query(second.url, 'select v from kept')).toEqual([{ v: 'before' }]);
    const crashUrl = second.url.replace(/\/postgres\?/, '/crashdb?');
    const outcome = await query<{ db: string }>(crashUrl, 'select current_database() as db').then(
      (rows) => rows[0]!.db,
      (error: Error & { code?: string }) => error.code,
    );
    // Made whole before the kill, or never made: a half-made one would fail some other way.
    expect(['crashdb', '3D000']).toContain(outcome);
    // And the name is free or taken consistently with that.
    const again = await query(second.url, 'create database crashdb').then(() => 'created', (error: Error & { code?: string }) => error.code);
    expect(again).toBe(outcome === 'crashdb' ? '42P04' : 'created');
  });

  it('during the first-start template build: the next start builds it again and serves', async () => {
    const templateCacheDir = path.join(dir, 'templates');
    const script = new URL('./server-child.mjs', import.meta.url).pathname;
    const child = spawn(process.execPath, [script, path.join(dir, 'data'), templateCacheDir], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(async () => (await stagingLeftIn(templateCacheDir)).length > 0, 30_000, 'the template build to start');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // initdb runs in a grandchild that outlives a kill -9 of its parent; end it as the user's reboot would.
    await killProcessesMentioning(templateCacheDir);

    const second = await serve({ templateCacheDir });
    expect(await query(second.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    expect(await stagingLeftIn(templateCacheDir)).toEqual([]);
  }, 180_000); // two initdb runs in WASM: ~15 s on a quiet machine, minutes on a loaded one
});

/** Kills every process whose command line names `text`, and waits until they are gone. */
async function killProcessesMentioning(text: string): Promise<void> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitFor(async () => {
    for (const pid of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (stat && !/\) Z /.test(stat)) return false;
    }
    return true;
  }, 10_000, 'the orphaned initdb to exit');
}
