import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './async-checks.js';
import { useRestartFixture } from './restart-fixture.js';
import { startTestServer } from './test-server.js';

const { tempDataRoot, serverOn, connect, onCleanup } = useRestartFixture('ppg-dev-persist-');

describe('persistence in dataRoot', () => {
  it('committed data survives close() and a new server on the same dir; close() rolls back an open transaction', async () => {
    const dataRoot = await tempDataRoot();
    const first = await serverOn(dataRoot);
    const a = await connect(first.url);
    await a.query('create table kept (v text)');
    await a.query("insert into kept select 'row-' || g from generate_series(1, 1000) g");
    await a.query('create database second_db');
    const s = await connect(first.urlFor({ database: 'second_db' }));
    await s.query("create table in_second (v int); insert into in_second values (7)");
    const open = await connect(first.url);
    await open.query('begin');
    await open.query("insert into kept values ('uncommitted')");
    await first.server.close();
    // Clients are disconnected by close().
    expect((await rejectionOf(a.query('select 1'))).message).toBeTruthy();

    const second = await serverOn(dataRoot);
    expect(await second.server.databases()).toEqual(expect.arrayContaining(['postgres', 'second_db']));
    const b = await connect(second.url);
    const rows = await b.query("select count(*)::int as n, count(*) filter (where v = 'uncommitted')::int as ghost from kept");
    expect(rows.rows[0]).toEqual({ n: 1000, ghost: 0 });
    const s2 = await connect(second.urlFor({ database: 'second_db' }));
    expect((await s2.query('select v from in_second')).rows).toEqual([{ v: 7 }]);
    // And the reopened engine is not stuck in a transaction.
    await b.query('begin');
    await b.query("insert into kept values ('after restart')");
    await b.query('commit');
    expect((await b.query('select count(*)::int as n from kept')).rows[0].n).toBe(1001);
  });

  it('close() is idempotent, frees the port, and a closed server refuses connections', async () => {
    const dataRoot = await tempDataRoot();
    const srv = await serverOn(dataRoot);
    await Promise.all([srv.server.close(), srv.server.close()]);
    await srv.server.close();
    const client = new pg.Client({ connectionString: srv.url, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    expect((await rejectionOf(client.connect())).message).toMatch(/ECONNREFUSED|terminated|closed|timeout/i);
    await client.end().catch(() => undefined);
  });

  it('a second server on the same dataRoot while the first runs is refused (no silent lost writes)', async () => {
    const dataRoot = await tempDataRoot();
    const first = await serverOn(dataRoot);
    const error = await rejectionOf(startTestServer({ dataRoot }).then(async (second) => {
      onCleanup(() => second.cleanup());
      return second;
    }));
    expect(error.code).toBe('DATA_DIR_LOCKED');
    expect(error.message).toContain(dataRoot);
    const a = await connect(first.url);
    expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('a second server process on the same dataRoot is refused; a pid file left by a dead process is taken over', async () => {
    const dataRoot = await tempDataRoot();
    await mkdir(dataRoot, { recursive: true });
    // A live process that is not a server of ours (this test's own parent) holds the pid file.
    await writeFile(path.join(dataRoot, 'ppg-server.pid'), `${process.ppid}\n\n`);
    expect((await rejectionOf(startTestServer({ dataRoot }))).code).toBe('DATA_DIR_LOCKED');
    // A process that has exited: its pid file is stale.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(path.join(dataRoot, 'ppg-server.pid'), `${gone}\n\n`);
    const srv = await serverOn(dataRoot);
    const a = await connect(srv.url);
    expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect((await readFile(path.join(dataRoot, 'ppg-server.pid'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await a.end();
    await srv.cleanup();
    await expect(readFile(path.join(dataRoot, 'ppg-server.pid'), 'utf8')).rejects.toThrow();
  });
});
