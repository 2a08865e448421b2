import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { collectLeaks, processesUsingHome } from '../support/leak-check.js';
import { withClient, queryRows } from '../support/pg-client.js';
import { runPpg, spawnPpg, urlFrom } from '../support/ppg-process.js';
import { useSandbox } from '../support/sandbox-hooks.js';

interface LsRow {
  name: string;
  status: string;
  port: number | null;
  url: string | null;
  pid: number | null;
  projectDir: string | null;
  dataBytes: number;
  uptimeSeconds: number | null;
}

const box = useSandbox();

const ppg = (args: string[], cwd = box().project) => runPpg(args, { env: box().env, cwd });

async function ls(): Promise<LsRow[]> {
  const result = await ppg(['dev', 'ls', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as LsRow[];
}

describe('ppg dev (foreground)', () => {
  it('serves until SIGINT, rolls back open transactions, exits 0, keeps committed data', async () => {
    const first = spawnPpg(['dev'], { env: box().env, cwd: box().project });
    const [url] = await first.waitFor(/^postgres:\/\/\S+$/m);
    await first.waitFor(/^DATABASE_URL=/m);
    expect(first.stdout()).toContain(`DATABASE_URL="${url.replace("127.0.0.1", "localhost").replace("/postgres?", "/template1?")}"`);
    await withClient(url, async (client) => {
      await client.query('create table notes (body text)');
      await client.query("insert into notes values ('committed')");
    });
    // A client inside an open transaction when the server stops: its insert must be rolled back.
    const inTransaction = new pg.Client({ connectionString: url });
    // pg reports the server's 57P01 and then the closed socket: both are expected here.
    const terminated = new Promise<Error>((resolve) => inTransaction.on('error', resolve));
    await inTransaction.connect();
    await inTransaction.query('begin');
    await inTransaction.query("insert into notes values ('uncommitted')");
    first.child.kill('SIGINT');
    const open = await first.exited;
    expect((await terminated).message).toMatch(/terminat/);
    await inTransaction.end().catch(() => undefined);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stderr).toMatch(/stopped/);

    const again = spawnPpg(['dev'], { env: box().env, cwd: box().project });
    const [sameUrl] = await again.waitFor(/^postgres:\/\/\S+$/m);
    expect(sameUrl).toBe(url);
    expect(await queryRows(url, 'select body from notes order by body')).toEqual([{ body: 'committed' }]);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('shuts down cleanly when Ctrl-C arrives twice at once (terminal group + direct signal)', async () => {
    const server = spawnPpg(['dev'], { env: box().env, cwd: box().project });
    await server.waitFor(/^postgres:\/\/\S+$/m);
    server.child.kill('SIGINT');
    server.child.kill('SIGINT');
    const result = await server.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopped; data saved/);
    expect((await ls())[0]?.status).toBe('stopped');
  });

  it('refuses a second foreground start of a running instance and says where it runs', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    const second = await ppg(['dev']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already running');
    expect(second.stderr).toContain(url);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });
});

describe('ppg dev --detach, ls, stop, start, rm, logs', () => {
  it('detach → ls running → detach again (same URL) → stop → ls stopped', async () => {
    const started = await ppg(['dev', '--detach']);
    const url = urlFrom(started);
    // PPG_DEV_BASE_PORT, or a later one if something took it since the sandbox probed it: read, not assumed.
    const port = Number(new URL(url).port);
    expect(port).toBeGreaterThanOrEqual(box().basePort);
    expect(url).toBe(`postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`);
    expect(await queryRows(url, 'select 1 as one')).toEqual([{ one: 1 }]);

    const [row] = await ls();
    expect(row).toMatchObject({ name: 'app', status: 'running', port, url, projectDir: box().project });
    expect(row?.pid).toBeGreaterThan(0);
    expect(row?.dataBytes).toBeGreaterThan(1_000_000);
    expect(urlFrom(await ppg(['dev', '--detach']))).toBe(url);

    const table = await ppg(['dev', 'ls']);
    expect(table.stdout).toMatch(/^NAME\s+STATUS/);
    expect(table.stdout).toMatch(/app\s+running/);

    const stopped = await ppg(['dev', 'stop', 'app']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/app: stopped/);
    expect(await ls()).toEqual([expect.objectContaining({ name: 'app', status: 'stopped', pid: null, port })]);
    expect((await ppg(['dev', 'stop', 'app'])).stderr).toMatch(/app: not-running/);

    const logs = await ppg(['dev', 'logs', 'app']);
    expect(logs.stdout).toMatch(/ready: postgres:\/\//);
    expect(logs.stdout).toMatch(/received SIGTERM/);
  });

  it('runs two projects at once on different ports, started without flags', async () => {
    const other = await box().makeProject('other');
    const [a, b] = await Promise.all([ppg(['dev', '--detach']), ppg(['dev', '--detach'], other)]);
    const urls = [urlFrom(a), urlFrom(b)];
    expect(new Set(urls).size).toBe(2);
    await Promise.all(
      urls.map((url, index) =>
        withClient(url, async (client) => {
          await client.query(`create table t${index} (x int)`);
        }),
      ),
    );
    expect(await queryRows(urls[1] as string, "select count(*)::int as n from pg_tables where tablename = 't0'")).toEqual([{ n: 0 }]);
    const rows = await ls();
    expect(rows.map((row) => [row.name, row.status])).toEqual([['app', 'running'], ['other', 'running']]);
    const stopped = await ppg(['dev', 'stop', '--all']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await ls()).map((row) => row.status)).toEqual(['stopped', 'stopped']);
  });

  it('recovers after kill -9: ls says crashed, start breaks the stale lock and serves the same data', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await withClient(url, async (client) => {
      await client.query('create table kept (x int)');
      await client.query('insert into kept values (1), (2)');
    });
    const [running] = await ls();
    process.kill(running?.pid as number, 'SIGKILL');
    await expect.poll(async () => (await ls())[0]?.status, { timeout: 10_000 }).toBe('crashed');

    const restarted = await ppg(['dev', 'start', 'app']);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stdout.trim()).toBe(url);
    expect(restarted.stderr).toMatch(/app: recovered from a crash and started/);
    expect(await queryRows(url, 'select x from kept order by x')).toEqual([{ x: 1 }, { x: 2 }]);
    expect((await ls())[0]).toMatchObject({ status: 'running' });
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });

  it('a daemon whose .lock was deleted under it still counts as running; no second daemon opens its data', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await rm(path.join(box().home, 'instances', 'app', '.lock'), { recursive: true });
    expect((await ls())[0]).toMatchObject({ status: 'running' });
    expect(urlFrom(await ppg(['dev', '--detach']))).toBe(url);
    expect((await ppg(['dev', 'start', 'app'])).stderr).toMatch(/already running/);
    expect(processesUsingHome(box().home)).toHaveLength(1);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });

  it('stop on a crashed instance cleans its stale state and succeeds', async () => {
    urlFrom(await ppg(['dev', '--detach']));
    const [running] = await ls();
    process.kill(running?.pid as number, 'SIGKILL');
    await expect.poll(async () => (await ls())[0]?.status, { timeout: 10_000 }).toBe('crashed');
    const stopped = await ppg(['dev', 'stop', 'app']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/app: cleaned/);
    expect((await ls())[0]?.status).toBe('stopped');
  });

  it('two concurrent detached starts of one instance end with one server and the same URL', async () => {
    const results = await Promise.all([ppg(['dev', '--detach']), ppg(['dev', '--detach']), ppg(['dev', '--detach'])]);
    const urls = results.map(urlFrom);
    expect(new Set(urls).size).toBe(1);
    const rows = await ls();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('running');
    // The losers' daemons found the lock taken and exited; only the winner remains.
    await expect.poll(() => processesUsingHome(box().home), { timeout: 10_000 }).toEqual([rows[0]?.pid]);
    expect(await queryRows(urls[0] as string, 'select 1 as one')).toEqual([{ one: 1 }]);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });

  it('start uses the previous port; rm refuses a running instance unless --force; globs select', async () => {
    const url = urlFrom(await ppg(['dev', '--detach', '--name', 'feature-a']));
    urlFrom(await ppg(['dev', '--detach', '--name', 'feature-b']));
    expect((await ppg(['dev', 'stop', 'feature-*'])).code).toBe(0);
    const started = await ppg(['dev', 'start', 'feature-a']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout.trim()).toBe(url);

    const refused = await ppg(['dev', 'rm', 'feature-a', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/feature-a: failed \(is running/);
    const removed = await ppg(['dev', 'rm', 'feature-*', '--force', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await ls()).toEqual([]);
  });
});

describe('light commands', () => {
  it('ls, logs, stop and rm never load PGlite, pg-gateway or the wire server', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    const forbid = fileURLToPath(new URL('../support/forbid-heavy-modules.mjs', import.meta.url));
    const light = (args: string[]) =>
      runPpg(args, { env: { ...box().env, NODE_OPTIONS: `--import=${forbid}` }, cwd: box().project });
    // The guard really bites: the start path does load the server.
    const guarded = await light(['dev', '--name', 'guard-check']);
    expect(guarded.stderr).toMatch(/heavy module loaded by a light command/);
    for (const args of [['dev', 'ls'], ['dev', 'ls', '--json'], ['dev', 'logs', 'app'], ['dev', 'stop', 'app'], ['dev', 'rm', '*', '--yes']]) {
      const result = await light(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    expect(url).toMatch(/^postgres:/);
  });

  it('--detach with another --port than the running one is refused', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    const moved = await ppg(['dev', '--detach', '--port', String(Number(new URL(url).port) + 1)]);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(/already running on port/);
    expect(urlFrom(await ppg(['dev', '--detach', '--port', new URL(url).port]))).toBe(url);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });
});

describe('the leak check itself', () => {
  it('finds a daemon, its lock and its port left running, and cleans them up', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    const leaks = await collectLeaks(box().home);
    // (Whether the recorded pid and port are still seen depends on how fast the SIGKILL lands.)
    expect(leaks).toEqual(
      expect.arrayContaining([expect.stringMatching(/^process \d+ using .* still running$/), "instance 'app' still has its .lock"]),
    );
    // It killed the daemon; the port closes with it.
    await expect.poll(() => processesUsingHome(box().home), { timeout: 10_000 }).toEqual([]);
    await expect.poll(async () => (await ls())[0]?.status, { timeout: 10_000 }).toBe('crashed');
    expect((await ls())[0]?.port).toBe(Number(new URL(url).port));
    // Leave the sandbox clean for the real after-each check.
    expect((await ppg(['dev', 'stop', 'app'])).stderr).toMatch(/app: cleaned/);
  });
});
