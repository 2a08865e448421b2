import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delay, rejectionOf, waitFor } from './async-checks.js';
import { startChildServer } from './child-server.js';
import { findBinary } from './find-binary.js';
import { pgCancel, sendCancel, type KeyedClient } from './cancel-request.js';
import { rawConnect } from './raw-connection.js';
import { ClientBag, useSharedServer } from './shared-server.js';
import { startTestServer, type TestServer } from './test-server.js';
import { int32 } from './wire-frames.js';

const shared = useSharedServer(startTestServer);

describe('cancel and timeouts while waiting for the engine', () => {
  it('a CancelRequest removes a query waiting behind another client\'s transaction with 57014', async () => {
    const holder = await shared.bag.connect();
    const waiter = await shared.bag.connect();
    await holder.query('create table cancel_t (v int)');
    await holder.query('begin');
    await holder.query('insert into cancel_t values (1)');
    const waiting = waiter.query('insert into cancel_t values (2)');
    waiting.catch(() => undefined);
    await waitFor(() => shared.srv.server.waitingClients() === 1, 10_000, 'the insert to queue');
    await sendCancel(shared.srv.port, waiter);
    const error = await rejectionOf(waiting);
    expect(error.code).toBe('57014');
    // The holder's transaction is untouched, and the canceled insert never runs later.
    await holder.query('commit');
    expect((await waiter.query('select v from cancel_t order by v')).rows).toEqual([{ v: 1 }]);
  });

  it('pg\'s client.cancel() also cancels a queued query, and a cancel with a wrong secret does nothing', async () => {
    const holder = await shared.bag.connect();
    const waiter = await shared.bag.connect();
    await holder.query('begin');
    const query = waiter.query('select 42 as v');
    const pending = query as unknown as Promise<pg.QueryResult>;
    // Wrong secret first: must be ignored.
    const { processID, secretKey } = waiter as unknown as KeyedClient;
    const bad = await rawConnect(shared.srv.port);
    bad.socket.write(Buffer.concat([int32(16), int32(80877102), int32(processID!), int32((secretKey! ^ 0x5a5a5a5a) | 0)]));
    await Promise.race([bad.closed, delay(2_000)]);
    bad.destroy();
    let settled = false;
    void pending.then(() => (settled = true), () => (settled = true));
    await waitFor(() => shared.srv.server.waitingClients() === 1, 10_000, 'the query to queue');
    expect(settled).toBe(false);
    const activeQuery = (waiter as unknown as { _getActiveQuery(): unknown })._getActiveQuery();
    pgCancel(waiter, activeQuery, shared.srv.url);
    expect((await rejectionOf(pending)).code).toBe('57014');
    await holder.query('rollback');
    expect((await waiter.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('statement_timeout applies to time spent waiting in the queue (57014), and others are unaffected', async () => {
    const holder = await shared.bag.connect();
    const waiter = await shared.bag.connect();
    const patient = await shared.bag.connect();
    await waiter.query("set statement_timeout = '400ms'");
    await holder.query('begin');
    const patientQuery = patient.query('select 7 as v');
    expect((await rejectionOf(waiter.query('select 1'))).code).toBe('57014');
    await holder.query('commit');
    expect((await patientQuery).rows).toEqual([{ v: 7 }]);
    expect((await waiter.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });

  it('a new connection completes startup/auth while another client holds an open transaction', async () => {
    const holder = await shared.bag.connect();
    await holder.query('begin');
    await holder.query('select 1');
    const fresh = await shared.bag.connect();
    // Connected while the transaction is still open: the holder is still in it.
    const status = (holder as unknown as { _txStatus: string | null })._txStatus;
    expect(status).toBe('T');
    expect((fresh as unknown as KeyedClient).processID).not.toBeNull();
    const queued = fresh.query('select 3 as v');
    await holder.query('commit');
    expect((await queued).rows).toEqual([{ v: 3 }]);
  });

  it.skipIf(!findBinary('pg_isready'))(`pg_isready answers "accepting connections" while a transaction is open${findBinary('pg_isready') ? '' : ' (SKIPPED: pg_isready not installed)'}`, async () => {
    const holder = await shared.bag.connect();
    await holder.query('begin');
    const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(findBinary('pg_isready')!, ['-h', '127.0.0.1', '-p', String(shared.srv.port), '-t', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(result.out).toContain('accepting connections');
    expect(result.code).toBe(0);
    await holder.query('rollback');
  });

  it('100 connections at once all connect and each runs a query', async () => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => shared.bag.connect()));
    const results = await Promise.all(clients.map((c, i) => c.query('select $1::int as i', [i])));
    expect(results.map((r) => r.rows[0].i as number)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Set(clients.map((c) => (c as unknown as KeyedClient).processID)).size).toBe(100);
  });

});

describe('lock wait timeout (server option)', () => {
  let timed: TestServer;
  let timedBag: ClientBag;
  beforeAll(async () => {
    timed = await startTestServer({ lockWaitTimeoutMs: 800 });
    timedBag = new ClientBag(timed.url);
  });
  afterEach(async () => timedBag.endAll());
  afterAll(async () => timed?.cleanup());

  it('a query waiting longer than lockWaitTimeoutMs behind an open transaction fails with 55P03; the holder keeps its tx', async () => {
    const holder = await timedBag.connect({ application_name: 'the-holder' } as Partial<pg.ClientConfig>);
    const waiter = await timedBag.connect();
    await holder.query('create table lw_t (v int)');
    await holder.query('begin');
    await holder.query('insert into lw_t values (1)');
    const error = await rejectionOf(waiter.query('select count(*) from lw_t'));
    expect(error.code).toBe('55P03');
    await holder.query('commit');
    expect((await waiter.query('select count(*)::int as n from lw_t')).rows[0].n).toBe(1);
  });
});

// In a child process: if the engine hangs, this test fails instead of blocking the test runner.
describe('idle_in_transaction_session_timeout (server in a child process)', () => {
  const childShared = useSharedServer(startChildServer);

  it('idle_in_transaction_session_timeout ends that client\'s idle transaction with FATAL 25P03 and frees the engine', async () => {
    const idler = await childShared.bag.connect();
    const other = await childShared.bag.connect();
    await idler.query('create table idle_t (v text)');
    await idler.query("set idle_in_transaction_session_timeout = '600ms'");
    // Idle outside a transaction is fine: a window past the 600 ms timeout in which no FATAL may come.
    await delay(900);
    expect((await idler.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await idler.query('begin');
    await idler.query("insert into idle_t values ('idle')");
    const waiting = other.query("select count(*)::int as n from idle_t where v = 'idle'");
    expect((await waiting).rows[0].n).toBe(0);
    await waitFor(() => idler.errors.length > 0, 20_000, 'the idle client to get its FATAL');
    const fatal = idler.errors[0] as Error & { code?: string; severity?: string };
    expect(fatal.code).toBe('25P03');
    expect((await rejectionOf(idler.query('select 1'))).message).toMatch(/terminat|not queryable|closed|ended/i);
    // The timeout of one client does not apply to another: idle in a transaction past 600 ms, nothing may end it.
    await other.query('begin');
    await delay(900);
    await other.query("insert into idle_t values ('other')");
    await other.query('commit');
    expect((await other.query('select v from idle_t')).rows).toEqual([{ v: 'other' }]);
  }, 40_000);

  it('the timeouts are per client: set in the startup packet or by SQL, shown by SHOW, and idle_session_timeout ends an idle session with 57P05', async () => {
    const fromStartup = new pg.Client({ connectionString: childShared.srv.url, idle_in_transaction_session_timeout: 400 } as pg.ClientConfig);
    const errors: Error[] = [];
    fromStartup.on('error', (error) => errors.push(error));
    await fromStartup.connect();
    const other = await childShared.bag.connect();
    try {
      expect((await fromStartup.query('show idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout).toBe('400ms');
      expect((await other.query('show idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout).toBe('0');
      await fromStartup.query('begin');
      await waitFor(() => errors.length > 0, 20_000, 'the startup-configured client to get its FATAL');
      expect((errors[0] as Error & { code?: string }).code).toBe('25P03');

      await other.query("set idle_session_timeout = '500ms'");
      expect((await other.query('show idle_session_timeout')).rows[0].idle_session_timeout).toBe('500ms');
      const third = await childShared.bag.connect();
      expect((await third.query('show idle_session_timeout')).rows[0].idle_session_timeout).toBe('0');
      await waitFor(() => other.errors.length > 0, 20_000, 'the idle session to be ended');
      expect((other.errors[0] as Error & { code?: string }).code).toBe('57P05');
      // The shared engine survives both.
      expect((await third.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await fromStartup.end().catch(() => undefined);
    }
  }, 40_000);
});
