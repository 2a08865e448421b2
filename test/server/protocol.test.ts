import pg from 'pg';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { waitFor } from './async-checks.js';
import { dataRows, RawExchange } from './raw-exchange.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { fe } from './wire-frames.js';

const shared = useSharedServer(startTestServer);

describe('simple and extended protocol', () => {
  it('pg: simple query with several statements, and extended query with parameters and types', async () => {
    const client = await shared.bag.connect();
    // Simple protocol: several statements in one Query message; pg returns one result per statement.
    const multi = (await client.query('create table proto_t (id int primary key, note text, at timestamptz); insert into proto_t values (1, $$a$$, now()), (2, null, now()); select count(*)::int as n from proto_t')) as unknown as pg.QueryResult[];
    expect(Array.isArray(multi)).toBe(true);
    expect(multi.at(-1)!.rows).toEqual([{ n: 2 }]);
    // Extended protocol (Parse/Bind/Describe/Execute/Sync) with typed parameters.
    const res = await client.query('select id, note, $1::int + id as plus, $2::text as label from proto_t where id = any($3::int[]) order by id', [40, 'x', [1, 2]]);
    expect(res.rows).toEqual([
      { id: 1, note: 'a', plus: 41, label: 'x' },
      { id: 2, note: null, plus: 42, label: 'x' },
    ]);
    expect(res.fields.map((f) => f.name)).toEqual(['id', 'note', 'plus', 'label']);
    // Binary-ish round trips through parameters.
    const bytes = Buffer.from([0, 1, 2, 255]);
    const echo = await client.query('select $1::bytea as b, $2::jsonb as j', [bytes, JSON.stringify({ a: [1, 2] })]);
    expect(Buffer.compare(echo.rows[0].b as Buffer, bytes)).toBe(0);
    expect(echo.rows[0].j).toEqual({ a: [1, 2] });
  });

  it('pg: an error in the extended protocol reports its SQLSTATE and the connection goes on', async () => {
    const client = await shared.bag.connect();
    const err = (await client.query('select $1::int / 0', [1]).catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe('22012');
    const syntax = (await client.query('selec 1').catch((e: unknown) => e)) as { code?: string };
    expect(syntax.code).toBe('42601');
    expect((await client.query('select $1::text as v', ['still here'])).rows).toEqual([{ v: 'still here' }]);
  });

  it('pg: pipeline mode sends many extended queries before reading, each gets its own answer', async () => {
    const client = await shared.bag.connect({ pipeline: true } as Partial<pg.ClientConfig>);
    const queries = Array.from({ length: 50 }, (_, i) => client.query('select $1::int * 2 as v', [i]));
    const results = await Promise.all(queries);
    expect(results.map((r) => r.rows[0].v as number)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });

  it('raw: one write holding Parse/Bind/Describe/Execute ×3 and a single Sync answers all, in order', async () => {
    const client = await shared.bag.connect();
    const batch = Buffer.concat([
      fe.parse('', 'select $1::int + 1 as a'),
      fe.bind('', '', ['1']),
      fe.describe('P', ''),
      fe.execute(),
      fe.bind('', '', ['10']),
      fe.execute(),
      fe.parse('', 'select $1::text as b'),
      fe.bind('', '', ['z']),
      fe.execute(),
      fe.sync(),
    ]);
    const ex = new RawExchange(batch);
    await client.query(ex as unknown as pg.QueryConfig);
    const msgs = await ex.done;
    expect(dataRows(msgs)).toEqual([['2'], ['11'], ['z']]);
    expect(msgs.filter((m) => m.name === 'readyForQuery')).toHaveLength(1);
    expect(msgs.filter((m) => m.name === 'error')).toHaveLength(0);
  });

  it('raw: after an error mid-batch the rest is skipped until Sync, and exactly one ReadyForQuery arrives', async () => {
    const client = await shared.bag.connect();
    const ex = new RawExchange(Buffer.concat([
      fe.parse('', 'select 1/0'),
      fe.bind('', '', []),
      fe.execute(),
      fe.parse('', 'select 42'),
      fe.bind('', '', []),
      fe.execute(),
      fe.sync(),
    ]));
    await client.query(ex as unknown as pg.QueryConfig);
    const msgs = await ex.done;
    expect(msgs.filter((m) => m.name === 'error').map((m) => m.code)).toEqual(['22012']);
    expect(dataRows(msgs)).toEqual([]);
    expect(msgs.filter((m) => m.name === 'readyForQuery').map((m) => m.status)).toEqual(['I']);
    expect((await client.query('select 7 as v')).rows).toEqual([{ v: 7 }]);
  });

  it('postgres.js: simple (unsafe), extended (tagged), prepared and pipelined queries', async () => {
    const sql = postgres(shared.srv.url, { max: 2, onnotice: () => undefined });
    try {
      await sql.unsafe('create table pjs_t (id serial primary key, v text)');
      const inserted = await sql`insert into pjs_t (v) values (${'a'}), (${'b'}) returning id, v`;
      expect(inserted.map((r) => r.v)).toEqual(['a', 'b']);
      const rows = await sql`select v from pjs_t where id = ${inserted[1]!.id as number}`;
      expect(rows.map((r) => r.v)).toEqual(['b']);
      // Many at once on few connections: postgres.js pipelines them.
      const many = await Promise.all(Array.from({ length: 40 }, (_, i) => sql`select ${i}::int as i`));
      expect(many.map((r) => r[0]!.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      const simple = await sql.unsafe('select 1 as one; select 2 as two', [], { prepare: false } as never).simple();
      expect(simple.length).toBeGreaterThanOrEqual(1);
      const err = (await sql`select 1/${0}::int`.catch((e: unknown) => e)) as { code?: string };
      expect(err.code).toBe('22012');
      const ok = await sql`select ${'fine'}::text as f`;
      expect(ok[0]!.f).toBe('fine');
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('postgres.js with prepare:false (unnamed statements) in a transaction', async () => {
    const sql = postgres(shared.srv.url, { max: 3, prepare: false, onnotice: () => undefined });
    try {
      await sql`create table pjs_tx (v int)`;
      await sql.begin(async (tx) => {
        await tx`insert into pjs_tx values (${1})`;
        await tx`insert into pjs_tx values (${2})`;
      });
      await sql.begin(async (tx) => {
        await tx`insert into pjs_tx values (${3})`;
        throw new Error('roll me back');
      }).catch(() => undefined);
      const rows = await sql`select v from pjs_tx order by v`;
      expect(rows.map((r) => r.v)).toEqual([1, 2]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('a split extended batch (Parse+Flush on A, B runs, then Bind/Execute/Sync on A) never gives A B\'s data', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    const ex = new RawExchange(Buffer.concat([fe.parse('', "select 'from A'::text as a_col"), fe.flush()]));
    const aDone = a.query(ex as unknown as pg.QueryConfig);
    await waitFor(() => ex.has('parseComplete'), 20_000, 'ParseComplete for A');
    // B runs its own unnamed statements meanwhile. With a correct scheduler it waits for A's Sync,
    // so do not await it before finishing A.
    const bResult = b.query("select 'from B'::text as b_col, $1::int as n", [5]);
    const bSimple = b.query("select 'B simple' as s");
    ex.write(Buffer.concat([fe.bind('', '', []), fe.describe('P', ''), fe.execute(), fe.sync()]));
    await aDone;
    const msgs = await ex.done;
    expect(msgs.filter((m) => m.name === 'error')).toEqual([]);
    expect(dataRows(msgs)).toEqual([['from A']]);
    const desc = msgs.find((m) => m.name === 'rowDescription') as { fields?: { name: string }[] } | undefined;
    expect(desc?.fields?.map((f) => f.name)).toEqual(['a_col']);
    expect((await bResult).rows).toEqual([{ b_col: 'from B', n: 5 }]);
    expect((await bSimple).rows).toEqual([{ s: 'B simple' }]);
  });
});
