import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { rejectionOf, waitFor } from './async-checks.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/**
 * Temporary objects belong to the client that made them, as each Postgres backend has its own pg_temp:
 * invisible to other clients, gone when the client disconnects or runs DISCARD TEMP, and two clients can
 * hold objects of the same name at once.
 */
const shared = useSharedServer(startTestServer);

/** Relations and standalone types left in the engine's temp schema, beyond the server's own. */
const LEFTOVERS_SQL = `
  select count(*)::int as n from (
    select relname as name from pg_class where relnamespace = pg_my_temp_schema()
    union all
    select typname from pg_type where typnamespace = pg_my_temp_schema() and typrelid = 0
  ) o where name !~ '^ppg_temp_names'`;

describe('temporary objects per client', () => {
  it('two clients each hold a temp table of the same name, with its own rows, serial key and named index', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    for (const [client, label] of [[a, 'a'], [b, 'b']] as const) {
      await client.query('create temp table numbers (id serial primary key, label text not null)');
      await client.query('create index numbers_label on numbers (label)');
      await client.query('insert into numbers (label) values ($1), ($1)', [label]);
    }
    // Interleaved, so the engine passes between the two clients on every query.
    for (let i = 0; i < 3; i++) {
      await a.query('insert into numbers (label) values ($1)', ['a']);
      await b.query('insert into numbers (label) values ($1)', ['b']);
    }
    expect((await a.query('select label, count(*)::int as n, max(id) as top from numbers group by label')).rows).toEqual([{ label: 'a', n: 5, top: 5 }]);
    expect((await b.query('select label, count(*)::int as n, max(id) as top from numbers group by label')).rows).toEqual([{ label: 'b', n: 5, top: 5 }]);
    expect((await a.query("select count(*)::int as n from pg_indexes where indexname = 'numbers_label' and schemaname like 'pg_temp%'")).rows).toEqual([{ n: 1 }]);
  });

  it("another client cannot see a client's temp table by its name", async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('create temp table private_rows as select 1 as x');
    expect((await rejectionOf(b.query('select * from private_rows'))).code).toBe('42P01');
    expect((await b.query("select to_regclass('pg_temp.private_rows') as r")).rows).toEqual([{ r: null }]);
    expect((await a.query('select x from private_rows')).rows).toEqual([{ x: 1 }]);
  });

  it('a client that disconnects leaves no temp objects behind, whether they were in place or set aside', async () => {
    const watcher = await shared.bag.connect();
    const before = (await watcher.query(LEFTOVERS_SQL)).rows[0].n as number;
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query("create temp table gone (id serial primary key); create temp view gone_view as select * from gone; create temp sequence gone_seq");
    await b.query("create type pg_temp.mood as enum ('ok', 'not ok'); create temp table kept (m pg_temp.mood)");
    await b.query('select 1'); // b's objects in place, a's set aside
    await a.end();
    await b.end();
    await waitFor(async () => (await watcher.query(LEFTOVERS_SQL)).rows[0].n === before, 10_000, 'the departed clients\' temp objects to be dropped');
    const c = await shared.bag.connect();
    await c.query('create temp table gone (id int)');
    expect((await c.query('select count(*)::int as n from gone')).rows).toEqual([{ n: 0 }]);
  });

  it("DISCARD TEMP drops the client's own temp objects only", async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('create temp table mine (x int); insert into mine values (1)');
    await b.query('create temp table mine (x int); insert into mine values (2)');
    await b.query('discard temp');
    expect((await rejectionOf(b.query('select * from mine'))).code).toBe('42P01');
    expect((await a.query('select x from mine')).rows).toEqual([{ x: 1 }]);
    await b.query('create temp table mine (x int)');
    expect((await b.query('select count(*)::int as n from mine')).rows).toEqual([{ n: 0 }]);
  });

  it('temp objects made inside a transaction, ON COMMIT DROP and ON COMMIT DELETE ROWS behave as in Postgres', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('begin');
    await a.query('create temp table scratch (x int) on commit drop');
    await a.query('create temp table rows_go (x int) on commit delete rows');
    await a.query('insert into scratch values (1); insert into rows_go values (1)');
    const waiting = b.query('create temp table scratch (y text)');
    await a.query('commit');
    await waiting;
    expect((await rejectionOf(a.query('select * from scratch'))).code).toBe('42P01');
    expect((await a.query('select count(*)::int as n from rows_go')).rows).toEqual([{ n: 0 }]);
    expect((await b.query("select column_name from information_schema.columns where table_name = 'scratch'")).rows).toEqual([{ column_name: 'y' }]);
  });

  it("prepared statements on a temp table keep reading their own client's table (postgres.js, which prepares)", async () => {
    const a = postgres(shared.srv.url, { max: 1, onnotice: () => undefined });
    const b = postgres(shared.srv.url, { max: 1, onnotice: () => undefined });
    try {
      await a`create temp table t (v text)`;
      await b`create temp table t (v text)`;
      for (let i = 0; i < 4; i++) {
        await a`insert into t values (${`a${i}`})`;
        await b`insert into t values (${`b${i}`})`;
      }
      expect((await a`select string_agg(v, ',' order by v) as s from t where v like ${'%'}`)[0]!.s).toBe('a0,a1,a2,a3');
      expect((await b`select string_agg(v, ',' order by v) as s from t where v like ${'%'}`)[0]!.s).toBe('b0,b1,b2,b3');
    } finally {
      await Promise.all([a.end({ timeout: 5 }), b.end({ timeout: 5 })]);
    }
  });

  it('five pooled connections make the same temp table at once (as test suites do) and each sees only its own row', async () => {
    const pool = shared.bag.pool({ max: 5 });
    const clients = await Promise.all(Array.from({ length: 5 }, () => pool.connect()));
    try {
      await Promise.all(clients.map(async (client, i) => {
        await client.query('create temp table work (n int)');
        await client.query('insert into work values ($1)', [i]);
      }));
      const seen = await Promise.all(clients.map(async (client) => (await client.query('select array_agg(n) as ns from work')).rows[0].ns as number[]));
      expect(seen).toEqual([[0], [1], [2], [3], [4]]);
    } finally {
      for (const client of clients) client.release();
    }
  });

  it('COPY FROM STDIN fills each client\'s own temp table, and enum types of the same name stay apart', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query("create type pg_temp.level as enum ('low', 'high'); create temp table loaded (n int, l pg_temp.level)");
    await b.query("create type pg_temp.level as enum ('debug', 'info', 'warn'); create temp table loaded (n int, l pg_temp.level)");
    await Promise.all([
      pipeline(Readable.from([Buffer.from('1\tlow\n2\thigh\n')]), a.query(copyStreams.from('copy loaded from stdin'))),
      pipeline(Readable.from([Buffer.from('3\tinfo\n')]), b.query(copyStreams.from('copy loaded from stdin'))),
    ]);
    expect((await a.query('select n, l::text from loaded order by n')).rows).toEqual([{ n: 1, l: 'low' }, { n: 2, l: 'high' }]);
    expect((await b.query('select n, l::text from loaded order by n')).rows).toEqual([{ n: 3, l: 'info' }]);
    expect((await b.query("select enum_range(null::pg_temp.level)::text as r")).rows).toEqual([{ r: '{debug,info,warn}' }]);
  });

  it('after a cancelled statement restarts the engine (which loses temp objects, as documented), temp tables work again for every client', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    await a.query('create temp table before_restart (x int)');
    await b.query('create temp table before_restart (x int)');
    await b.query("set statement_timeout = '300ms'");
    expect((await rejectionOf(b.query('select pg_sleep(30)'))).code).toBe('57014');
    await b.query('reset statement_timeout');
    for (const client of [a, b]) {
      expect((await client.query("select to_regclass('pg_temp.before_restart') as r")).rows).toEqual([{ r: null }]);
      await client.query('create temp table after_restart (x int)');
    }
    await a.query('insert into after_restart values (1)');
    expect((await b.query('select count(*)::int as n from after_restart')).rows).toEqual([{ n: 0 }]);
    expect((await a.query('select count(*)::int as n from after_restart')).rows).toEqual([{ n: 1 }]);
  });

  it("a role's client and a superuser's client each keep their own temp table of the same name (objects owned by either are switched)", async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role temp_owner login password 't'");
    const url = new URL(shared.srv.url);
    url.username = 'temp_owner';
    url.password = 't';
    const owner = await shared.bag.connect({ connectionString: url.toString() });
    await owner.query('create temp table scratch (who text)');
    await owner.query("insert into scratch values ('owner')");
    await admin.query('create temp table scratch (who text)');
    await admin.query("insert into scratch values ('admin')");
    for (let i = 0; i < 2; i++) {
      expect((await owner.query('select who, current_user as me from scratch')).rows).toEqual([{ who: 'owner', me: 'temp_owner' }]);
      expect((await admin.query('select who, current_user as me from scratch')).rows).toEqual([{ who: 'admin', me: 'postgres' }]);
    }
  });
});
