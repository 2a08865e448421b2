import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { delay, rejectionOf, waitFor } from './async-checks.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

const shared = useSharedServer(startTestServer);

describe('per-client session state', () => {
  it('protocol-level named statements are per client: two clients both use "s1" with different SQL', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    const runs = Array.from({ length: 30 }, async (_, i) => {
      const [ra, rb] = await Promise.all([
        a.query({ name: 's1', text: 'select $1::int + 1000 as a_val', values: [i] }),
        b.query({ name: 's1', text: "select 'b-' || $1::text as b_val, 2 as two", values: [i] }),
      ]);
      expect(ra.rows).toEqual([{ a_val: 1000 + i }]);
      expect(rb.rows).toEqual([{ b_val: `b-${i}`, two: 2 }]);
    });
    await Promise.all(runs);
  });

  it('four connections with the same statement name and different SQL: no "already exists" errors', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => shared.bag.connect()));
    const results = await Promise.allSettled(clients.flatMap((c, k) => Array.from({ length: 25 }, (_, i) =>
      c.query({ name: 'shared_name', text: `select ${k}::int as k, $1::int as i`, values: [i] }).then((r) => {
        expect(r.rows).toEqual([{ k, i }]);
      }))));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  });

  it('a named statement of a client that disconnected does not block or leak into a new client', async () => {
    const a = await shared.bag.connect();
    await a.query({ name: 'leaky', text: 'select 1 as one', values: [] });
    await a.end();
    const b = await shared.bag.connect();
    const r = await b.query({ name: 'leaky', text: "select 'two'::text as two", values: [] });
    expect(r.rows).toEqual([{ two: 'two' }]);
  });

  it('SQL PREPARE/EXECUTE are per client too', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('prepare p1 as select 1 as which');
    await b.query("prepare p1 as select 'b'::text as which");
    expect((await a.query('execute p1')).rows).toEqual([{ which: 1 }]);
    expect((await b.query('execute p1')).rows).toEqual([{ which: 'b' }]);
    await a.query('deallocate p1');
    expect((await rejectionOf(a.query('execute p1'))).code).toBe('26000');
    expect((await b.query('execute p1')).rows).toEqual([{ which: 'b' }]);
  });

  it('DEALLOCATE ALL after a failed named Parse or PREPARE succeeds and drops only what exists, as in Postgres', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await b.query("prepare kept as select 'b'::text as which");
    await a.query({ name: 'good', text: 'select 1 as one' });
    expect((await rejectionOf(a.query({ name: 'bad', text: 'selec 1' }))).code).toBe('42601');
    expect((await rejectionOf(a.query('prepare bad_sql as selec 1'))).code).toBe('42601');
    await a.query('deallocate all');
    expect((await rejectionOf(a.query('execute bad_sql'))).code).toBe('26000');
    expect((await b.query('execute kept')).rows).toEqual([{ which: 'b' }]);
    expect((await a.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('SET timezone / search_path / statement_timeout in client A are not seen by client B', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('create schema if not exists other_schema');
    await a.query("set timezone = 'Asia/Tokyo'");
    await a.query('set search_path = other_schema, public');
    await a.query("set statement_timeout = '17s'");
    await a.query("select set_config('application_name', 'client-a', false)");
    // Interleave so the engine switches sessions between every statement.
    for (let i = 0; i < 3; i++) {
      const bs = await b.query("select current_setting('TimeZone') as tz, current_setting('search_path') as sp, current_setting('statement_timeout') as st, current_setting('application_name') as app");
      expect(bs.rows[0].tz).not.toBe('Asia/Tokyo');
      expect(bs.rows[0].sp).not.toContain('other_schema');
      expect(bs.rows[0].st).toBe('0');
      expect(bs.rows[0].app).not.toBe('client-a');
      expect((await a.query('show timezone')).rows[0].TimeZone).toBe('Asia/Tokyo');
      expect((await a.query('show search_path')).rows[0].search_path).toContain('other_schema');
      expect((await a.query('show statement_timeout')).rows[0].statement_timeout).toBe('17s');
    }
    // B's own SET does not change A either.
    await b.query("set timezone = 'America/New_York'");
    expect((await a.query('show timezone')).rows[0].TimeZone).toBe('Asia/Tokyo');
    expect((await b.query('show timezone')).rows[0].TimeZone).toBe('America/New_York');
    // Tables resolve through each client's own search_path.
    await a.query('create table sp_t (v text)');
    expect((await rejectionOf(b.query('select * from sp_t'))).code).toBe('42P01');
    expect((await b.query('select count(*)::int as n from other_schema.sp_t')).rows[0].n).toBe(0);
  });

  it('SHOW of the timeouts the server enforces itself formats the value as Postgres does', async () => {
    const client = await shared.bag.connect();
    const show = async () => (await client.query('show idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout as string;
    expect(await show()).toBe('0');
    for (const [set, shown] of [['3000', '3s'], ["'1500'", '1500ms'], ["'2min'", '2min'], ["'90s'", '90s'], ["'1h'", '1h'], ["'2d'", '2d'], ['0', '0']] as const) {
      await client.query(`set idle_in_transaction_session_timeout = ${set}`);
      expect(await show(), `after SET … = ${set}`).toBe(shown);
    }
  });

  it('SET LOCAL ends with the transaction, RESET restores, and settings of a closed client do not survive it', async () => {
    const a = await shared.bag.connect();
    await a.query('begin');
    await a.query("set local timezone = 'Europe/Paris'");
    expect((await a.query('show timezone')).rows[0].TimeZone).toBe('Europe/Paris');
    await a.query('commit');
    expect((await a.query('show timezone')).rows[0].TimeZone).not.toBe('Europe/Paris');
    await a.query("set search_path = nowhere");
    await a.end();
    const b = await shared.bag.connect();
    expect((await b.query('show search_path')).rows[0].search_path).not.toBe('nowhere');
    await b.query('create table after_close_t (v int)');
    expect((await b.query('select count(*)::int as n from after_close_t')).rows[0].n).toBe(0);
  });
});

describe('LISTEN/NOTIFY', () => {
  function collect(client: pg.Client): pg.Notification[] {
    const got: pg.Notification[] = [];
    client.on('notification', (n) => got.push(n));
    return got;
  }

  it('a notification reaches every client listening on that channel and no other client', async () => {
    const l1 = await shared.bag.connect();
    const l2 = await shared.bag.connect();
    const other = await shared.bag.connect();
    const sender = await shared.bag.connect();
    const got1 = collect(l1);
    const got2 = collect(l2);
    const gotOther = collect(other);
    const gotSender = collect(sender);
    await l1.query('listen chan_a');
    await l2.query('listen chan_a');
    await other.query('listen chan_b');
    await sender.query("notify chan_a, 'hello'");
    await sender.query("select pg_notify('chan_a', 'second')");
    await waitFor(() => got1.length >= 2 && got2.length >= 2, 20_000, 'notifications on both listeners');
    // Let stray deliveries arrive before checking the non-listeners: a round trip each, then a window in
    // which a notification that should not come would show up (nothing to poll for).
    await Promise.all([l1.query('select 1'), l2.query('select 1'), other.query('select 1'), sender.query('select 1')]);
    await delay(200);
    for (const got of [got1, got2]) {
      expect(got.map((n) => [n.channel, n.payload])).toEqual([['chan_a', 'hello'], ['chan_a', 'second']]);
    }
    expect(gotOther).toEqual([]);
    expect(gotSender).toEqual([]);
  });

  it('a notification sent inside a transaction arrives only on commit, not on rollback', async () => {
    const listener = await shared.bag.connect();
    const sender = await shared.bag.connect();
    const got = collect(listener);
    await listener.query('listen chan_tx');
    await sender.query('begin');
    await sender.query("notify chan_tx, 'rolled back'");
    await sender.query('rollback');
    await sender.query('begin');
    await sender.query("notify chan_tx, 'committed'");
    await sender.query('commit');
    await waitFor(() => got.length >= 1, 20_000, 'committed notification');
    // A window in which the rolled-back one would show up if it were delivered late.
    await listener.query('select 1');
    await delay(100);
    expect(got.map((n) => n.payload)).toEqual(['committed']);
  });

  it('UNLISTEN and disconnect stop delivery to that client while others keep receiving', async () => {
    const stays = await shared.bag.connect();
    const leaves = await shared.bag.connect();
    const unlistens = await shared.bag.connect();
    const sender = await shared.bag.connect();
    const gotStays = collect(stays);
    const gotUnlistens = collect(unlistens);
    await stays.query('listen chan_c');
    await leaves.query('listen chan_c');
    await unlistens.query('listen chan_c');
    await unlistens.query('unlisten chan_c');
    await leaves.end();
    await sender.query("notify chan_c, 'after'");
    await waitFor(() => gotStays.length >= 1, 20_000, 'notification to the remaining listener');
    // A window in which a delivery to the client that unlistened would show up.
    await unlistens.query('select 1');
    await delay(100);
    expect(gotStays.map((n) => n.payload)).toEqual(['after']);
    expect(gotUnlistens).toEqual([]);
  });

  it('a listening client that also notifies receives its own notification (as in Postgres)', async () => {
    const self = await shared.bag.connect();
    const got = collect(self);
    await self.query('listen chan_self');
    await self.query("notify chan_self, 'me'");
    await waitFor(() => got.length >= 1, 20_000, 'own notification');
    expect(got[0]!.payload).toBe('me');
  });

  it('LISTEN run again through a named prepared statement after UNLISTEN subscribes again (as postgres.js does)', async () => {
    const listener = await shared.bag.connect();
    const notifier = await shared.bag.connect();
    const got = collect(listener);
    const listen = { name: 'listen_again', text: 'listen chan_again' };
    const unlisten = { name: 'unlisten_again', text: 'unlisten chan_again' };
    await listener.query(listen);
    await notifier.query("notify chan_again, 'a'");
    await waitFor(() => got.length >= 1, 20_000, 'the first notification');
    await listener.query(unlisten);
    await notifier.query("notify chan_again, 'b'");
    // pg sends only Bind/Execute now: the statement was parsed by the first call.
    await listener.query(listen);
    await notifier.query("notify chan_again, 'c'");
    await waitFor(() => got.length >= 2, 20_000, 'the notification after LISTEN again');
    expect(got.map((n) => n.payload)).toEqual(['a', 'c']);
  });
});
