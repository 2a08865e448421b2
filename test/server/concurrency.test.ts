import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rejectionOf, waitFor } from './async-checks.js';
import { dataRows, RawExchange } from './raw-exchange.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { fe } from './wire-frames.js';

const shared = useSharedServer(startTestServer);

describe('many clients on one engine', () => {
  it('a pg.Pool of 10 runs 200 concurrent queries (some in transactions): all succeed, none reset', async () => {
    const setup = await shared.bag.connect();
    await setup.query('create table pool_t (i int primary key)');
    const pool = shared.bag.pool({ max: 10 });
    let poolErrors = 0;
    pool.on('error', () => poolErrors++);
    const work = Array.from({ length: 200 }, async (_, i) => {
      if (i % 10 === 0) {
        const client = await pool.connect();
        try {
          await client.query('begin');
          await client.query('insert into pool_t values ($1)', [i]);
          const seen = await client.query('select count(*)::int as n from pool_t where i = $1', [i]);
          await client.query('commit');
          return seen.rows[0].n as number;
        } finally {
          client.release();
        }
      }
      const res = await pool.query('select $1::int as i, md5($1::text) as h', [i]);
      return res.rows[0].i === i ? 1 : -1;
    });
    const results = await Promise.allSettled(work);
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    expect(results.map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(Array(200).fill(1));
    expect(poolErrors).toBe(0);
    expect(pool.totalCount).toBeLessThanOrEqual(10);
    const count = await setup.query('select count(*)::int as n from pool_t');
    expect(count.rows[0].n).toBe(20);
  });

  it('transaction affinity: another client\'s statement never runs inside an open transaction', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('create table aff_t (who text)');
    await a.query('begin');
    await a.query("insert into aff_t values ('A')");
    let bDone = false;
    const bInsert = b.query("insert into aff_t values ('B') returning (select count(*) from aff_t)::int as before").then((r) => {
      bDone = true;
      return r;
    });
    // Once B is in the waiting line it cannot have run inside A's transaction, nor run before A ends.
    await waitFor(() => shared.srv.server.waitingClients() === 1, 10_000, "B's insert to queue");
    expect(bDone).toBe(false);
    const inTx = await a.query("select count(*)::int as n from aff_t where who = 'B'");
    expect(inTx.rows[0].n).toBe(0);
    await a.query('rollback');
    const bRes = await bInsert;
    // B ran after A's rollback: it saw no rows and its own insert survives A's rollback.
    expect(bRes.rows[0].before).toBe(0);
    const rows = await b.query('select who from aff_t order by who');
    expect(rows.rows).toEqual([{ who: 'B' }]);
    // No WARNING "there is already a transaction in progress" leaked to B: B is idle, not in a tx.
    const status = await b.query('select count(*)::int as n from aff_t');
    expect(status.rows[0].n).toBe(1);
  });

  it('5 clients each insert then commit or roll back, concurrently: exactly the committed rows remain', async () => {
    const setup = await shared.bag.connect();
    await setup.query('create table five_t (client int, n int)');
    const clients = await Promise.all(Array.from({ length: 5 }, () => shared.bag.connect()));
    await Promise.all(clients.map(async (client, c) => {
      for (let round = 0; round < 4; round++) {
        await client.query('begin');
        for (let n = 0; n < 3; n++) await client.query('insert into five_t values ($1, $2)', [c, round * 10 + n]);
        const own = await client.query('select count(*)::int as n from five_t where client = $1 and n >= $2', [c, round * 10]);
        expect(own.rows[0].n).toBe(3);
        await client.query((c + round) % 2 === 0 ? 'commit' : 'rollback');
      }
    }));
    const expected: string[] = [];
    for (let c = 0; c < 5; c++) {
      for (let round = 0; round < 4; round++) {
        if ((c + round) % 2 === 0) for (let n = 0; n < 3; n++) expected.push(`${c}:${round * 10 + n}`);
      }
    }
    const rows = await setup.query("select client || ':' || n as k from five_t");
    expect(rows.rows.map((r) => r.k as string).sort()).toEqual(expected.sort());
  });

  it('a client whose socket is destroyed inside a transaction is rolled back and a waiting client proceeds', async () => {
    const setup = await shared.bag.connect();
    await setup.query('create table ghost_t (v text)');
    const a = await shared.bag.connect();
    await a.query('begin');
    await a.query("insert into ghost_t values ('ghost')");
    const b = await shared.bag.connect();
    // B queues behind A's open transaction.
    const bQuery = b.query("select count(*)::int as n from ghost_t where v = 'ghost'");
    await waitFor(() => shared.srv.server.waitingClients() === 1, 20_000, "B to queue behind A's transaction");
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const bRes = await bQuery;
    expect(bRes.rows[0].n).toBe(0);
    // And the engine is not left inside a transaction: a new transaction starts cleanly.
    await b.query('begin');
    await b.query("insert into ghost_t values ('real')");
    await b.query('commit');
    const c = await shared.bag.connect();
    const all = await c.query('select v from ghost_t');
    expect(all.rows).toEqual([{ v: 'real' }]);
  });

  it('an error inside a transaction leaves only that connection aborted (25P02) until ROLLBACK; then it works', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('create table abort_t (v int)');
    await a.query('begin');
    await a.query('insert into abort_t values (1)');
    expect((await rejectionOf(a.query('select 1/0'))).code).toBe('22012');
    expect((await rejectionOf(a.query('select 1'))).code).toBe('25P02');
    expect((await rejectionOf(a.query('insert into abort_t values (2)'))).code).toBe('25P02');
    // B is queued while A is in its failed transaction, and is not affected by it.
    const bQuery = b.query('select count(*)::int as n from abort_t');
    await a.query('rollback');
    expect((await bQuery).rows[0].n).toBe(0);
    expect((await a.query('select 5 as v')).rows).toEqual([{ v: 5 }]);
    await a.query('begin');
    await a.query('insert into abort_t values (3)');
    await a.query('commit');
    expect((await b.query('select v from abort_t')).rows).toEqual([{ v: 3 }]);
  });

  it('COMMIT of a failed transaction reports ROLLBACK and the next client sees nothing from it', async () => {
    const a = await shared.bag.connect();
    await a.query('create table failcommit_t (v int)');
    await a.query('begin');
    await a.query('insert into failcommit_t values (1)');
    await rejectionOf(a.query('select * from no_such_table'));
    const commit = await a.query('commit');
    expect(commit.command).toBe('ROLLBACK');
    const b = await shared.bag.connect();
    expect((await b.query('select count(*)::int as n from failcommit_t')).rows[0].n).toBe(0);
  });

  it('interleaved transactions from a postgres.js-style pool keep isolation under load', async () => {
    const setup = await shared.bag.connect();
    await setup.query('create table counter_t (id int primary key, n int)');
    await setup.query('insert into counter_t values (1, 0)');
    const pool = shared.bag.pool({ max: 4 });
    // Read-modify-write without row locks is only correct if transactions never interleave.
    await Promise.all(Array.from({ length: 40 }, async () => {
      const client: pg.PoolClient = await pool.connect();
      try {
        await client.query('begin');
        const cur = await client.query('select n from counter_t where id = 1');
        await client.query('update counter_t set n = $1 where id = 1', [(cur.rows[0].n as number) + 1]);
        await client.query('commit');
      } finally {
        client.release();
      }
    }));
    expect((await setup.query('select n from counter_t where id = 1')).rows[0].n).toBe(40);
  });

  it('a Parse-only batch is answered while another client holds a transaction, without touching that transaction', async () => {
    // Single-threaded clients (pgbench -M prepared) block on PQprepare for one connection while another of
    // theirs holds a transaction: Postgres answers the Parse at once, so must we.
    const holder = await shared.bag.connect();
    const preparer = await shared.bag.connect();
    await holder.query('create table pb_t (v int)');
    await preparer.query('create schema pb_own');
    await preparer.query('create table pb_own.only_mine (w int)');
    await preparer.query('set search_path = pb_own, public');
    const holderPath = (await holder.query('show search_path')).rows[0].search_path;
    await holder.query('begin');
    await holder.query('insert into pb_t values (1)');

    const parse = async (name: string, text: string) => {
      const ex = new RawExchange(Buffer.concat([fe.parse(name, text), fe.describe('S', name), fe.sync()]));
      await preparer.query(ex as unknown as pg.QueryConfig);
      return ex.done;
    };
    // Resolved with the preparer's own search_path, not the holder's.
    const ok = await parse('mine', 'select w from only_mine where w = $1');
    expect(ok.map((m) => m.name)).toEqual(['parseComplete', 'parameterDescription', 'rowDescription', 'readyForQuery']);
    expect(ok.at(-1)!.status).toBe('I');
    // A failing Parse reports its error to the preparer only; the holder's transaction is not aborted.
    const bad = await parse('broken', 'select * from no_such_table');
    expect(bad.filter((m) => m.name === 'error').map((m) => m.code)).toEqual(['42P01']);
    expect(bad.at(-1)!.status).toBe('I');
    expect((await holder.query('select count(*)::int as n from pb_t')).rows[0].n).toBe(1);
    expect((await holder.query('show search_path')).rows[0].search_path).toBe(holderPath);
    expect(holderPath).not.toContain('pb_own');
    await holder.query('commit');

    // The prepared statement exists afterwards and executes with the preparer's data.
    await preparer.query('insert into only_mine values (5)');
    const run = new RawExchange(Buffer.concat([fe.bind('', 'mine', ['5']), fe.execute(), fe.sync()]));
    await preparer.query(run as unknown as pg.QueryConfig);
    expect(dataRows(await run.done)).toEqual([['5']]);
    expect((await preparer.query('select count(*)::int as n from pb_t')).rows[0].n).toBe(1);
  });
});
