import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { answersWithin } from '../support/pg-client.js';
import { rejectionOf, waitFor } from './async-checks.js';
import { sendCancel } from './cancel-request.js';
import { startChildServer } from './child-server.js';
import { findBinary } from './find-binary.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/**
 * A statement that is already running in the engine stops on cancel or statement_timeout (the engine
 * thread is ended and the database reopened), and nothing else notices but the canceled client.
 * The sleeps are long (60 s) and the bounds loose, so a loaded machine cannot make these pass by chance.
 */
const shared = useSharedServer(startTestServer);
const LONG_SLEEP = 'select pg_sleep(60)';
const BOUND_MS = 30_000;

async function untilRunning(): Promise<void> {
  await waitFor(() => shared.srv.server.runningStatements() > 0, 20_000, 'the statement to run in the engine');
}

describe('cancel of a statement that is running', () => {
  it('a CancelRequest stops pg_sleep(60) with 57014 "canceling statement due to user request"; the connection works at once', async () => {
    const client = await shared.bag.connect();
    const started = Date.now();
    const sleeping = rejectionOf(client.query(LONG_SLEEP));
    await untilRunning();
    await sendCancel(shared.srv.port, client);
    const error = await sleeping;
    expect(error.code).toBe('57014');
    expect(error.message).toBe('canceling statement due to user request');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('inside a transaction block the cancel aborts the transaction (25P02 until ROLLBACK); committed rows stay, uncommitted ones go', async () => {
    const client = await shared.bag.connect();
    await client.query('create table cancel_tx (v int)');
    await client.query('insert into cancel_tx values (1)');
    await client.query('begin');
    await client.query('insert into cancel_tx values (2)');
    const sleeping = rejectionOf(client.query(LONG_SLEEP));
    await untilRunning();
    await sendCancel(shared.srv.port, client);
    expect((await sleeping).code).toBe('57014');
    expect((await rejectionOf(client.query('select 1'))).code).toBe('25P02');
    await client.query('rollback');
    expect((await client.query('select v from cancel_tx order by v')).rows).toEqual([{ v: 1 }]);
    const other = await shared.bag.connect();
    expect((await other.query('select v from cancel_tx order by v')).rows).toEqual([{ v: 1 }]);
  });

  it('the other clients carry on: their named prepared statements, settings and LISTEN channels survive the restart', async () => {
    const sleeper = await shared.bag.connect();
    const bystander = await shared.bag.connect();
    const notifier = await shared.bag.connect();
    await bystander.query({ name: 'twice', text: 'select $1::int * 2 as v', values: [21] });
    await bystander.query("set timezone = 'Asia/Tokyo'");
    await bystander.query('listen after_restart');
    const notes: string[] = [];
    bystander.on('notification', (n) => notes.push(n.payload ?? ''));

    const sleeping = rejectionOf(sleeper.query(LONG_SLEEP));
    await untilRunning();
    await sendCancel(shared.srv.port, sleeper);
    expect((await sleeping).code).toBe('57014');

    // pg sends only Bind/Execute for a statement it has prepared: the server must have it again.
    expect((await bystander.query({ name: 'twice', text: 'select $1::int * 2 as v', values: [50] })).rows).toEqual([{ v: 100 }]);
    expect((await bystander.query('show timezone')).rows).toEqual([{ TimeZone: 'Asia/Tokyo' }]);
    await notifier.query("notify after_restart, 'still here'");
    await waitFor(() => notes.length > 0, 10_000, 'the notification');
    expect(notes).toEqual(['still here']);
  });

  it('statement_timeout stops a running statement with 57014 "canceling statement due to statement timeout"', async () => {
    const client = await shared.bag.connect();
    await client.query("set statement_timeout = '500ms'");
    const started = Date.now();
    const error = await rejectionOf(client.query(LONG_SLEEP));
    expect(error.code).toBe('57014');
    expect(error.message).toBe('canceling statement due to statement timeout');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    await client.query('reset statement_timeout');
    expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });

  it("postgres.js's query.cancel() stops a running statement", async () => {
    // No type fetch at connect: untilRunning() could see that query run instead of the sleep, and the
    // cancel would then come before the sleep was sent (a 60 s wait under load).
    const sql = postgres(shared.srv.url, { max: 1, onnotice: () => undefined, fetch_types: false });
    try {
      const sleeping = sql.unsafe(LONG_SLEEP);
      const failure = sleeping.then(() => null, (error: Error & { code?: string }) => error);
      await untilRunning();
      sleeping.cancel();
      const error = await failure;
      expect(error?.code).toBe('57014');
      expect(await sql`select 3 as three`).toEqual([{ three: 3 }]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it.skipIf(!findBinary('psql') || !findBinary('script'))(`psql's Ctrl-C (through a pty) cancels a running statement${findBinary('psql') && findBinary('script') ? '' : ' (SKIPPED: psql or script not installed)'}`, async () => {
    const command = `${findBinary('psql')} -X "${shared.srv.url}" -c "${LONG_SLEEP}"`;
    // script(1) gives psql a terminal, so the ^C written to it becomes SIGINT, and psql sends its CancelRequest.
    const child = spawn(findBinary('script')!, ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await untilRunning();
      child.stdin.write('\x03');
      const code = await exited;
      expect(output).toContain('canceling statement due to user request');
      expect(code).not.toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('while a statement runs, new connections authenticate and another database answers', async () => {
    const admin = await shared.bag.connect();
    await admin.query('create database busy_other');
    const otherUrl = shared.srv.url.replace(/\/postgres\?/, '/busy_other?');
    await answersWithin(otherUrl, 60_000); // opened before: opening a database is not what is measured
    const sleeper = await shared.bag.connect();
    const sleeping = rejectionOf(sleeper.query(LONG_SLEEP));
    await untilRunning();
    // Either would have waited the full 60 s with the engine on the server's own thread.
    await answersWithin(otherUrl, 5_000);
    const fresh = new pg.Client({ connectionString: shared.srv.url, connectionTimeoutMillis: 5_000 });
    await fresh.connect();
    await fresh.end();
    expect(shared.srv.server.runningStatements()).toBe(1);
    await sendCancel(shared.srv.port, sleeper);
    expect((await sleeping).code).toBe('57014');
  });
});

describe('shutdown while a statement runs (server in a child process)', () => {
  it('SIGTERM ends the server within its grace period; the running transaction is rolled back, committed rows stay', async () => {
    const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-sigterm-'));
    try {
      const first = await startChildServer({ dataRoot });
      const client = new pg.Client({ connectionString: first.url });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('create table kept (v int)');
        await client.query('insert into kept values (1)');
        await client.query('begin');
        await client.query('insert into kept values (2)');
        const sleeping = rejectionOf(client.query(LONG_SLEEP));
        const exited = new Promise<number>((resolve) => first.child.once('exit', () => resolve(Date.now())));
        await waitFor(async () => (await first.status()).running > 0, 20_000, 'the statement to run in the engine');
        const signalled = Date.now();
        first.child.kill('SIGTERM');
        expect((await exited) - signalled).toBeLessThan(10_000);
        expect(await sleeping).toBeInstanceOf(Error);
      } finally {
        await client.end().catch(() => undefined);
        await first.cleanup();
      }
      const second = await startChildServer({ dataRoot });
      try {
        const check = new pg.Client({ connectionString: second.url });
        await check.connect();
        expect((await check.query('select v from kept order by v')).rows).toEqual([{ v: 1 }]);
        await check.end();
      } finally {
        await second.cleanup();
      }
    } finally {
      await rm(dataRoot, { recursive: true, force: true });
    }
  });

  it('a running statement whose client disconnects is stopped, so the other clients do not wait for it (pg query_timeout, a killed script)', async () => {
    const leaver = await shared.bag.connect();
    const other = await shared.bag.connect();
    void leaver.query(LONG_SLEEP).catch(() => undefined);
    await untilRunning();
    (leaver as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    // Without the stop this waits the whole 60 s sleep (beyond the test's timeout).
    expect((await other.query('select 1 as served')).rows).toEqual([{ served: 1 }]);
    await waitFor(() => shared.srv.server.runningStatements() === 0, 10_000, 'no statement left running');
  }, 40_000);
});
