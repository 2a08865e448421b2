import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { queryRows, withClient } from '../support/pg-client.js';
import { urlFrom } from '../support/ppg-process.js';
import { useSandboxedPpg } from '../support/sandboxed-ppg.js';

/** reset, snapshots and branches with the built CLI in a temp PPG_DEV_HOME. */
const { box, ppg, ok } = useSandboxedPpg();

async function tables(url: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(url, "select tablename as name from pg_tables where schemaname = 'public' order by 1");
  return rows.map((row) => row.name);
}

async function status(name: string): Promise<{ status: string; url: string | null; pid: number | null }> {
  const rows = JSON.parse(await ok(['dev', 'ls', '--json'])) as { name: string; status: string; url: string | null; pid: number | null }[];
  return rows.find((row) => row.name === name)!;
}

describe('ppg dev reset', () => {
  it('empties every database of a running instance, same URL; connected clients get 57P01; refuses without --yes in a script', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, "create table notes (v text); insert into notes values ('x')");
    await queryRows(url, 'create database other');
    const refused = await ppg(['dev', 'reset']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/hint: pass --yes/);
    expect(await tables(url)).toEqual(['notes']);

    const connected = new pg.Client({ connectionString: url });
    const ended = new Promise<Error & { code?: string }>((resolve) => connected.on('error', resolve));
    await connected.connect();
    const { pid } = await status('app');
    expect(await ok(['dev', 'reset', '--yes'])).toBe(url);
    expect((await ended).code).toBe('57P01');
    await connected.end().catch(() => undefined);
    // Reset in place: the same daemon answers at once, with an empty main database.
    expect(await tables(url)).toEqual([]);
    expect(await status('app')).toMatchObject({ status: 'running', pid });
    const other = await ppg(['dev', 'ls']);
    expect(other.code).toBe(0);
    const otherUrl = url.replace('/postgres?', '/other?');
    await expect(queryRows(otherUrl, 'select 1')).rejects.toMatchObject({ code: '3D000' });
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });

  it('--database empties one database and keeps the others; an unknown one is an error', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, 'create table keep (v int); insert into keep values (1)');
    await queryRows(url, 'create database scratch');
    const scratchUrl = url.replace('/postgres?', '/scratch?');
    await queryRows(scratchUrl, 'create table tmp (v int)');
    await ok(['dev', 'reset', '--database', 'scratch', '--yes']);
    expect(await tables(scratchUrl)).toEqual([]);
    expect(await queryRows(scratchUrl, 'select current_database() as db')).toEqual([{ db: 'scratch' }]);
    expect(await queryRows(url, 'select v from keep')).toEqual([{ v: 1 }]);
    const unknown = await ppg(['dev', 'reset', '--database', 'nope', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/has no database 'nope'/);
    expect((await status('app')).status).toBe('running');
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });
});

describe('ppg dev snapshot', () => {
  it('save, change, restore, ls, rm; running instances stay running on the same URL; snapshots survive stop/start', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, "create table items (v text); insert into items values ('seed')");
    const { pid } = await status('app');
    await ok(['dev', 'snapshot', 'save', 'seeded']);
    expect(await status('app')).toMatchObject({ status: 'running', url, pid });
    await queryRows(url, "insert into items values ('later'); create table junk (v int)");

    expect(await ok(['dev', 'snapshot', 'restore', 'seeded', '--yes'])).toBe(url);
    expect(await queryRows(url, 'select v from items')).toEqual([{ v: 'seed' }]);
    expect(await tables(url)).toEqual(['items']);
    expect(await status('app')).toMatchObject({ status: 'running', pid });

    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
    expect((await ppg(['dev', 'start', 'app'])).code).toBe(0);
    const listed = JSON.parse(await ok(['dev', 'snapshot', 'ls', '--json'])) as { name: string; sizeBytes: number; createdAt: string }[];
    expect(listed.map((s) => s.name)).toEqual(['seeded']);
    expect(listed[0]!.sizeBytes).toBeGreaterThan(1_000_000);
    expect(Date.parse(listed[0]!.createdAt)).not.toBeNaN();

    const clash = await ppg(['dev', 'snapshot', 'save', 'seeded']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/already has a snapshot named 'seeded'/);
    const unknown = await ppg(['dev', 'snapshot', 'restore', 'nope', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no snapshot named 'nope'[\s\S]*hint: ppg dev snapshot ls/);
    const badName = await ppg(['dev', 'snapshot', 'save', '../escape']);
    expect(badName.code).toBe(2);

    await ok(['dev', 'snapshot', 'rm', 'seeded']);
    expect(JSON.parse(await ok(['dev', 'snapshot', 'ls', '--json']))).toEqual([]);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });

  it('a save of a running instance keeps its clients: an open transaction is waited for, a query sent meanwhile is answered after', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, 'create table log (v text)');
    await withClient(url, async (writer) => {
      await withClient(url, async (reader) => {
        await writer.query('begin');
        await writer.query("insert into log values ('in the open transaction')");
        const saving = ppg(['dev', 'snapshot', 'save', 'mid-work']);
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the save is under way, waiting for the transaction
        const read = reader.query('select count(*)::int as n from log');
        await writer.query('commit');
        expect((await read).rows).toEqual([{ n: 1 }]);
        expect((await saving).code).toBe(0);
        expect((await writer.query('select v from log')).rows).toEqual([{ v: 'in the open transaction' }]);
      });
    });
    // The snapshot holds the transaction's row: it was taken after the commit, never in the middle.
    await queryRows(url, 'delete from log');
    await ok(['dev', 'snapshot', 'restore', 'mid-work', '--yes']);
    expect(await queryRows(url, 'select v from log')).toEqual([{ v: 'in the open transaction' }]);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });

  it('a save that cannot write (no room for the snapshot folder) fails clearly and loses nothing', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, "create table precious (v text); insert into precious values ('kept')");
    // A file where the instance's snapshot folder should go: every write below it fails (ENOTDIR).
    await mkdir(path.join(box().home, 'snapshots'), { recursive: true });
    await writeFile(path.join(box().home, 'snapshots', 'app'), 'not a folder');
    const failed = await ppg(['dev', 'snapshot', 'save', 'broken']);
    expect(failed.code).toBe(1);
    expect(failed.stderr.split('\n')[0]).toMatch(/^error: /);
    expect(await status('app')).toMatchObject({ status: 'running', url });
    expect(await queryRows(url, 'select v from precious')).toEqual([{ v: 'kept' }]);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });
});

describe('ppg dev branch', () => {
  it('copies a running instance into a new one with its own port; the source keeps running and is unchanged; from a snapshot too', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, "create table base (v text); insert into base values ('main')");
    const { pid } = await status('app');
    // A client of the source stays connected through the branch and keeps working.
    const sourceClient = new pg.Client({ connectionString: url });
    const sourceErrors: Error[] = [];
    sourceClient.on('error', (error) => sourceErrors.push(error));
    await sourceClient.connect();
    const branchUrl = await ok(['dev', 'branch', 'app', 'feature']);
    expect((await sourceClient.query('select v from base')).rows).toEqual([{ v: 'main' }]);
    await sourceClient.end();
    expect(sourceErrors).toEqual([]);
    expect(await status('app')).toMatchObject({ status: 'running', pid });
    expect(new URL(branchUrl).port).not.toBe(new URL(url).port);
    await withClient(branchUrl, async (client) => {
      expect((await client.query('select v from base')).rows).toEqual([{ v: 'main' }]);
      await client.query("insert into base values ('feature only')");
    });
    expect(await status('app')).toMatchObject({ status: 'running', url });
    expect(await queryRows(url, 'select v from base')).toEqual([{ v: 'main' }]);

    await ok(['dev', 'snapshot', 'save', 'base-v1', '--name', 'feature']);
    const fromSnapshot = await ok(['dev', 'branch', 'feature', 'review', '--from-snapshot', 'base-v1']);
    expect(await queryRows(fromSnapshot, 'select v from base order by v')).toEqual([{ v: 'feature only' }, { v: 'main' }]);

    const clash = await ppg(['dev', 'branch', 'app', 'feature']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/instance named 'feature' already exists/);
    expect((await ppg(['dev', 'rm', '*', '--force', '--yes'])).code).toBe(0);
  });
});

describe('ppg dev and TLS', () => {
  it('serves TLS to clients that ask (sslmode=require) with a certificate kept in the state directory; the printed URL stays sslmode=disable', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    expect(url).toMatch(/sslmode=disable$/);
    const client = new pg.Client({ connectionString: url.replace('sslmode=disable', 'sslmode=no-verify') });
    await client.connect();
    try {
      expect((client as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream.encrypted).toBe(true);
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    expect(existsSync(path.join(box().home, 'tls', 'server.pem'))).toBe(true);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });
});

describe('ppg dev and its Unix-domain socket', () => {
  it('serves .s.PGSQL.<port> in PPG_DEV_SOCKET_DIR while running, and removes it on stop', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    const socket = path.join(box().home, `.s.PGSQL.${new URL(url).port}`);
    const client = new pg.Client({ host: box().home, port: Number(new URL(url).port), user: 'postgres', password: 'postgres', database: 'postgres' });
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
