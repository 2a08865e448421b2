import { describe, expect, it } from 'vitest';
import { rejectionOf, waitFor } from './async-checks.js';
import type { KeyedClient } from './cancel-request.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/** pg_backend_pid, pg_terminate_backend and pg_cancel_backend with the pids clients saw in BackendKeyData. */
const shared = useSharedServer(startTestServer);

const pidOf = (client: unknown): number => (client as KeyedClient).processID!;

describe('backend functions', () => {
  it("pg_backend_pid() is each client's own BackendKeyData pid, also through the extended protocol", async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    expect((await a.query('select pg_backend_pid() as pid')).rows).toEqual([{ pid: pidOf(a) }]);
    expect((await b.query('select pg_backend_pid() as pid, $1::int as x', [1])).rows).toEqual([{ pid: pidOf(b), x: 1 }]);
    expect(pidOf(a)).not.toBe(pidOf(b));
  });

  it('pg_terminate_backend(pid) ends that client with FATAL 57P01 and answers true; an unknown pid answers false', async () => {
    const killer = await shared.bag.connect();
    const victim = await shared.bag.connect();
    expect((await killer.query('select pg_terminate_backend($1) as ok', [pidOf(victim)])).rows).toEqual([{ ok: true }]);
    await waitFor(() => victim.errors.length > 0, 10_000, 'the victim to get its FATAL');
    expect((victim.errors[0] as Error & { code?: string }).code).toBe('57P01');
    expect((victim.errors[0] as Error).message).toBe('terminating connection due to administrator command');
    expect((await killer.query('select pg_terminate_backend(999999) as ok')).rows).toEqual([{ ok: false }]);
    expect((await killer.query('select 1 as alive')).rows).toEqual([{ alive: 1 }]);
  });

  it('the result columns are named as in Postgres, and DISCARD TEMP by a client does not break the functions for anyone', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    expect((await a.query('select pg_backend_pid()')).rows).toEqual([{ pg_backend_pid: pidOf(a) }]);
    expect((await a.query('select pg_terminate_backend(999999)')).rows).toEqual([{ pg_terminate_backend: false }]);
    expect((await a.query('select pg_cancel_backend(999999)')).rows).toEqual([{ pg_cancel_backend: false }]);
    await a.query('discard temp');
    expect((await b.query('select pg_backend_pid()')).rows).toEqual([{ pg_backend_pid: pidOf(b) }]);
    expect((await b.query('select pg_cancel_backend(999999)')).rows).toEqual([{ pg_cancel_backend: false }]);
    expect((await b.query('show idle_session_timeout')).rows).toEqual([{ idle_session_timeout: '0' }]);
  });

  it('a client that terminates itself gets 57P01 as the error of that very query (no row), as in Postgres', async () => {
    const client = await shared.bag.connect();
    const error = await rejectionOf(client.query('select pg_terminate_backend(pg_backend_pid())'));
    expect(error.code).toBe('57P01');
    expect(error.message).toBe('terminating connection due to administrator command');
    // pg's next query finds the connection closed (node-postgres' own error-tests check this message).
    expect((await rejectionOf(client.query('select 1'))).message).toMatch(/Connection terminated|not queryable|closed/i);
  });

  it("pg_cancel_backend(pid) cancels that client's query (here one waiting behind the caller's transaction) with 57014", async () => {
    const holder = await shared.bag.connect();
    const waiter = await shared.bag.connect();
    await holder.query('begin');
    const waiting = rejectionOf(waiter.query('select 42'));
    await waitFor(() => shared.srv.server.waitingClients() === 1, 10_000, 'the query to queue');
    expect((await holder.query('select pg_cancel_backend($1) as ok', [pidOf(waiter)])).rows).toEqual([{ ok: true }]);
    expect((await waiting).code).toBe('57014');
    await holder.query('commit');
    expect((await waiter.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('pg_cancel_backend($1) from another connection stops a running statement at once: the call does not wait behind it', async () => {
    const victim = await shared.bag.connect();
    const killer = await shared.bag.connect();
    const sleeping = rejectionOf(victim.query('select pg_sleep(60)'));
    await waitFor(() => shared.srv.server.runningStatements() > 0, 20_000, 'the sleep to run in the engine');
    // Without the answer outside the engine this call would wait the full 60 s (beyond the test's timeout).
    expect((await killer.query('select pg_cancel_backend($1) as ok', [pidOf(victim)])).rows).toEqual([{ ok: true }]);
    expect((await sleeping).code).toBe('57014');
    expect((await victim.query('select 1 as again')).rows).toEqual([{ again: 1 }]);
  }, 40_000);

  it('pg_terminate_backend(pid) as a simple query ends a client that holds the database in a transaction, and a dead pid answers false with the warning, both at once', async () => {
    const holder = await shared.bag.connect();
    const killer = await shared.bag.connect();
    const warnings: string[] = [];
    killer.on('notice', (notice) => warnings.push(notice.message ?? ''));
    await holder.query('begin');
    await holder.query('create table held_by_holder (x int)');
    expect((await killer.query('select pg_terminate_backend(999999)')).rows).toEqual([{ pg_terminate_backend: false }]);
    await waitFor(() => warnings.length > 0, 5_000, 'the warning');
    expect(warnings).toEqual(['PID 999999 is not a PostgreSQL backend process']);
    expect((await killer.query(`select pg_terminate_backend(${pidOf(holder)}) as "Gone"`)).rows).toEqual([{ Gone: true }]);
    await waitFor(() => holder.errors.length > 0, 10_000, 'the holder to get its FATAL');
    expect((holder.errors[0] as Error & { code?: string }).code).toBe('57P01');
    // The holder's transaction was rolled back and the database is free again.
    expect((await killer.query("select to_regclass('held_by_holder') as t")).rows).toEqual([{ t: null }]);
  }, 40_000);
});
