import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { controlSocketPath } from '../../src/daemon/control-channel.js';
import { queryRows } from '../support/pg-client.js';
import { urlFrom } from '../support/ppg-process.js';
import { useSandboxedPpg } from '../support/sandboxed-ppg.js';

/**
 * The paths of reset/snapshot/branch that the in-place tests (dev-workflow.test.ts) never take: a running
 * daemon that does not answer on the control channel (one started by an older ppg-dev) is stopped and
 * started again instead, and a hold that cannot get the data quiet (a transaction left open) fails with
 * INSTANCE_BUSY. Built CLI, temp PPG_DEV_HOME.
 */
const { box, ppg, ok } = useSandboxedPpg();

async function status(name: string): Promise<{ status: string; url: string | null; pid: number | null } | undefined> {
  const rows = JSON.parse(await ok(['dev', 'ls', '--json'])) as { name: string; status: string; url: string | null; pid: number | null }[];
  return rows.find((row) => row.name === name);
}

/** Makes the running daemon of `name` unreachable on its control channel, as a daemon that predates it is. */
async function hideControlChannel(name: string): Promise<void> {
  const socket = controlSocketPath(path.join(box().home, 'instances', name));
  expect(existsSync(socket)).toBe(true);
  await rm(socket);
}

/** A connected client, and the error the server ends it with. */
async function connectedClient(url: string): Promise<{ client: pg.Client; ended: Promise<Error & { code?: string }> }> {
  const client = new pg.Client({ connectionString: url });
  const ended = new Promise<Error & { code?: string }>((resolve) => client.on('error', resolve));
  await client.connect();
  return { client, ended };
}

describe('reset, restore and branch of a daemon without the control channel', () => {
  it('stop it and start it again: same URL, a new process, clients ended with 57P01, the work done', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, "create table items (v text); insert into items values ('seed')");
    await ok(['dev', 'snapshot', 'save', 'seeded']);
    await queryRows(url, "insert into items values ('later')");

    await hideControlChannel('app');
    const before = await status('app');
    const reset = await connectedClient(url);
    expect(await ok(['dev', 'reset', '--yes'])).toBe(url);
    expect((await reset.ended).code).toBe('57P01');
    await reset.client.end().catch(() => undefined);
    const afterReset = await status('app');
    expect(afterReset).toMatchObject({ status: 'running', url });
    expect(afterReset!.pid).not.toBe(before!.pid);
    expect(await queryRows(url, "select count(*)::int as n from pg_tables where schemaname = 'public'")).toEqual([{ n: 0 }]);

    // The daemon started by the fallback has the channel again; hidden once more for the restore.
    await hideControlChannel('app');
    const restore = await connectedClient(url);
    expect(await ok(['dev', 'snapshot', 'restore', 'seeded', '--yes'])).toBe(url);
    expect((await restore.ended).code).toBe('57P01');
    await restore.client.end().catch(() => undefined);
    const afterRestore = await status('app');
    expect(afterRestore).toMatchObject({ status: 'running', url });
    expect(afterRestore!.pid).not.toBe(afterReset!.pid);
    expect(await queryRows(url, 'select v from items')).toEqual([{ v: 'seed' }]);

    // A branch of such a source: the source is stopped for the copy, and both start again side by side.
    await hideControlChannel('app');
    const branchUrl = await ok(['dev', 'branch', 'app', 'feature']);
    expect(await queryRows(branchUrl, 'select v from items')).toEqual([{ v: 'seed' }]);
    const source = await status('app');
    expect(source).toMatchObject({ status: 'running', url });
    expect(source!.pid).not.toBe(afterRestore!.pid);
    expect(await status('feature')).toMatchObject({ status: 'running', url: branchUrl });
    expect((await ppg(['dev', 'rm', '*', '--force', '--yes'])).code).toBe(0);
  }, 180_000); // three stop-and-start cycles and a branch: ~45 s at load 9 on the 2-core VM
});

/** Runs `command` while another client holds a transaction open (a row written to `log`), then commits it. */
async function whileTransactionOpen<T>(url: string, command: () => Promise<T>): Promise<T> {
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  try {
    await writer.query('begin');
    await writer.query("insert into log values ('open')");
    const result = await command();
    await writer.query('commit');
    return result;
  } finally {
    await writer.end().catch(() => undefined);
  }
}

describe('INSTANCE_BUSY: a transaction that stays open past the wait (--wait 2)', () => {
  it('snapshot save fails and changes nothing; the transaction still commits and the instance serves on', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, 'create table log (v text)');
    const { pid } = (await status('app'))!;
    const saved = await whileTransactionOpen(url, () => ppg(['dev', 'snapshot', 'save', 'never', '--wait', '2']));
    expect(saved.code).toBe(1);
    expect(saved.stderr).toMatch(/^error: a transaction stayed open for 2 s, so the data could not be copied consistently\nhint: commit or roll back/m);
    expect(await queryRows(url, 'select v from log')).toEqual([{ v: 'open' }]);
    expect(JSON.parse(await ok(['dev', 'snapshot', 'ls', '--json']))).toEqual([]);
    // Not even a staging folder is left of the failed snapshot.
    expect(await readdir(path.join(box().home, 'snapshots', 'app')).catch(() => [])).toEqual([]);
    expect(await status('app')).toMatchObject({ status: 'running', url, pid });
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  }, 90_000); // the 2 s wait plus starts

  it('branch fails and leaves no instance, folder or process of the branch behind; the source runs on', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, 'create table log (v text)');
    const { pid } = (await status('app'))!;
    const branched = await whileTransactionOpen(url, () => ppg(['dev', 'branch', 'app', 'feature', '--wait', '2']));
    expect(branched.code).toBe(1);
    expect(branched.stderr).toMatch(/^error: a transaction stayed open for 2 s/m);
    expect(await status('feature')).toBeUndefined();
    expect(existsSync(path.join(box().home, 'instances', 'feature'))).toBe(false);
    expect(await status('app')).toMatchObject({ status: 'running', url, pid });
    expect(await queryRows(url, 'select v from log')).toEqual([{ v: 'open' }]);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  }, 90_000); // the 2 s wait plus starts
});
