import { describe, expect, it } from 'vitest';
import { waitFor } from './async-checks.js';
import type { KeyedClient } from './cancel-request.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/** pg_stat_activity shows one row per client, with the pids clients saw in BackendKeyData. */
const shared = useSharedServer(startTestServer);

const pidOf = (client: unknown): number => (client as KeyedClient).processID!;

describe('pg_stat_activity', () => {
  it("has a row per client with its pid, user, database, application_name, state and last query; the caller's is active", async () => {
    const idle = await shared.bag.connect({ application_name: 'idle-one' });
    const watcher = await shared.bag.connect({ application_name: 'watcher' });
    await idle.query('select 42 as answer');
    // (A client idle in a transaction holds the database, so nobody else can look at it meanwhile.)
    const sql = 'select pid, usename, datname, application_name, state, query from pg_stat_activity where pid = any($1) order by pid';
    const rows = (await watcher.query(sql, [[pidOf(idle), pidOf(watcher)]])).rows;
    expect(rows).toEqual([
      { pid: pidOf(idle), usename: 'postgres', datname: 'postgres', application_name: 'idle-one', state: 'idle', query: 'select 42 as answer' },
      { pid: pidOf(watcher), usename: 'postgres', datname: 'postgres', application_name: 'watcher', state: 'active', query: sql },
    ]);
  });

  it('works under an alias, with the view\'s own name as qualifier, schema-qualified, and in count(*)', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    const both = [pidOf(a), pidOf(b)].sort((x, y) => x - y);
    expect((await a.query('select s.pid from pg_stat_activity s where s.pid = any($1) order by 1', [both])).rows.map((r) => r.pid)).toEqual(both);
    expect((await a.query('select pg_stat_activity.pid from pg_catalog.pg_stat_activity where pg_stat_activity.pid = any($1) order by 1', [both])).rows.map((r) => r.pid)).toEqual(both);
    const count = (await a.query('select count(*)::int as n from pg_stat_activity')).rows[0].n as number;
    expect(count).toBeGreaterThanOrEqual(2);
    // The text in a string or a function body keeps its own meaning.
    expect((await a.query("select 'pg_stat_activity' as t")).rows).toEqual([{ t: 'pg_stat_activity' }]);
  });

  it("pg's own pattern kills the idle clients it finds there: SELECT pid, (SELECT pg_terminate_backend(pid)) FROM pg_stat_activity WHERE state = $1", async () => {
    const victim = await shared.bag.connect();
    const killer = await shared.bag.connect();
    await victim.query('select 1');
    const rows = (await killer.query('SELECT pid, (SELECT pg_terminate_backend(pid)) AS killed FROM pg_stat_activity WHERE state = $1 and pid = $2', ['idle', pidOf(victim)])).rows;
    expect(rows).toEqual([{ pid: pidOf(victim), killed: true }]);
    await waitFor(() => victim.errors.length > 0, 10_000, 'the victim to be terminated');
    expect((victim.errors[0] as Error & { code?: string }).code).toBe('57P01');
  });
});
