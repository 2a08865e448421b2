import { execFile } from 'node:child_process';
import pg from 'pg';
import postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { AVAILABLE_EXTENSIONS_HINT } from '../../src/server/extension-errors.js';
import { rejectionOf } from './async-checks.js';
import { findBinary } from './find-binary.js';
import { dataRows, RawExchange } from './raw-exchange.js';
import { useRestartFixture } from './restart-fixture.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { fe } from './wire-frames.js';

/**
 * Every extension the pinned PGlite ships, plus pgvector, through plain SQL from wire clients. Each row
 * creates the extension in a fresh database and runs a query that needs its library (or its SQL objects
 * when it has no library), so a bundle that is listed but not loadable fails here.
 */
type Proof = (c: pg.Client) => Promise<unknown>;

function runPsql(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000, env: { ...process.env, PGCONNECT_TIMEOUT: '30' } }, (error, stdout, stderr) => {
      if (error && error.killed) reject(error);
      else resolve({ stdout, stderr });
    });
  });
}

const one = async (c: pg.Client, sql: string): Promise<unknown> => Object.values((await c.query(sql)).rows[0] ?? {})[0];

const EXTENSIONS: [name: string, proof: Proof, expected: unknown][] = [
  ['amcheck', async (c) => {
    await c.query('create table t (i int primary key); insert into t select generate_series(1, 100)');
    return one(c, "select bt_index_check('t_pkey')::text");
  }, ''],
  ['autoinc', async (c) => {
    await c.query(`create sequence s; create table t (id int, v text);
      create trigger t before insert on t for each row execute procedure autoinc(id, s);
      insert into t (id, v) values (0, 'a')`);
    return one(c, 'select id from t');
  }, 1],
  ['bloom', async (c) => {
    await c.query('create table t (a int, b int); insert into t select g, g % 7 from generate_series(1, 1000) g; create index ti on t using bloom (a, b)');
    await c.query('set enable_seqscan = off');
    return one(c, 'select count(*)::int from t where a = 5 and b = 5');
  }, 1],
  ['btree_gin', async (c) => {
    await c.query('create table t (a int); insert into t select generate_series(1, 100); create index on t using gin (a)');
    return one(c, 'select count(*)::int from t where a = 42');
  }, 1],
  ['btree_gist', async (c) => {
    await c.query('create table t (room int, during tsrange, exclude using gist (room with =, during with &&))');
    await c.query("insert into t values (1, '[2026-01-01 10:00, 2026-01-01 11:00)')");
    return (await rejectionOf(c.query("insert into t values (1, '[2026-01-01 10:30, 2026-01-01 12:00)')"))).code;
  }, '23P01'],
  ['citext', (c) => one(c, "select 'A'::citext = 'a'"), true],
  ['cube', (c) => one(c, "select cube_distance('(0,0)'::cube, '(3,4)'::cube)"), 5],
  ['dict_int', (c) => one(c, "select ts_lexize('intdict', '12345678')::text"), '{123456}'],
  ['dict_xsyn', async (c) => {
    await c.query("alter text search dictionary xsyn (rules = 'xsyn_sample', keeporig = false, matchsynonyms = true)");
    return one(c, "select ts_lexize('xsyn', 'supernova')::text");
  }, '{sn,sne,1987a}'],
  ['earthdistance', (c) => one(c, 'select round(earth_distance(ll_to_earth(0, 0), ll_to_earth(0, 1)))::int'), 111320],
  ['file_fdw', async (c) => {
    await c.query(`create server files foreign data wrapper file_fdw;
      create foreign table version (v text) server files options (filename '/pglite/data/PG_VERSION')`);
    return one(c, 'select v from version');
  }, '18'],
  ['fuzzystrmatch', (c) => one(c, "select levenshtein('kitten', 'sitting')"), 3],
  ['hstore', (c) => one(c, "select ('a=>1, b=>2'::hstore) -> 'b'"), '2'],
  ['insert_username', async (c) => {
    await c.query(`create table t (v int, who text);
      create trigger t before insert on t for each row execute procedure insert_username(who);
      insert into t (v) values (1)`);
    return one(c, 'select who from t');
  }, 'postgres'],
  ['intarray', (c) => one(c, "select icount('{1,2,3}'::int[])"), 3],
  ['isn', (c) => one(c, "select is_valid('9780393040029'::ean13)"), true],
  ['lo', (c) => one(c, 'select pg_typeof(1::lo)::text'), 'lo'],
  ['ltree', (c) => one(c, "select 'top.science'::ltree @> 'top.science.astronomy'::ltree"), true],
  ['moddatetime', async (c) => {
    await c.query(`create table t (v int, changed timestamp default '2000-01-01');
      create trigger t before update on t for each row execute procedure moddatetime(changed);
      insert into t (v) values (1); update t set v = 2`);
    return one(c, "select changed > '2000-01-01' from t");
  }, true],
  ['pageinspect', async (c) => {
    await c.query('create table t (i int); insert into t select generate_series(1, 10)');
    return one(c, "select count(*)::int from heap_page_items(get_raw_page('t', 0))");
  }, 10],
  ['pg_buffercache', (c) => one(c, 'select count(*) > 0 from pg_buffercache'), true],
  ['pg_freespacemap', async (c) => {
    await c.query('create table t (i int); insert into t select generate_series(1, 10)');
    await c.query('vacuum t');
    return one(c, "select count(*)::int from pg_freespace('t')");
  }, 1],
  // Its functions read logical-decoding snapshot files; none exist here, so the library's own error proves it loaded.
  ['pg_logicalinspect', async (c) => (await rejectionOf(c.query("select * from pg_get_logical_snapshot_info('0-40796E18.snap')"))).message.includes('0-40796E18.snap'), true],
  // Collecting needs the library preloaded at start; the restart test below covers that.
  ['pg_stat_statements', (c) => one(c, "select count(*)::int from pg_proc where proname = 'pg_stat_statements_reset'"), 1],
  ['pg_surgery', async (c) => {
    await c.query('create table t (i int); insert into t values (1)');
    await c.query("select heap_force_freeze('t'::regclass, array['(0,1)']::tid[])");
    return one(c, 'select i from t');
  }, 1],
  ['pg_trgm', (c) => one(c, "select round(similarity('word', 'words')::numeric, 3)::text"), '0.571'],
  ['pg_visibility', async (c) => {
    await c.query('create table t (i int); insert into t values (1)');
    await c.query('vacuum t');
    return one(c, "select all_visible from pg_visibility_map('t', 0)");
  }, true],
  ['pg_walinspect', async (c) => {
    const before = await one(c, 'select pg_current_wal_lsn()::text');
    await c.query('create table t (i int); insert into t values (1)');
    return one(c, `select count(*) > 0 from pg_get_wal_records_info('${String(before)}', pg_current_wal_lsn())`);
  }, true],
  ['pgcrypto', (c) => one(c, "select encode(digest('x', 'sha256'), 'hex')"), '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'],
  ['refint', async (c) => {
    await c.query(`create table parent (id int primary key); create table child (pid int);
      create trigger child after insert or update on child for each row execute procedure check_primary_key('pid', 'parent', 'id')`);
    return (await rejectionOf(c.query('insert into child values (1)'))).message;
  }, 'tuple references non-existent key'],
  ['seg', (c) => one(c, "select seg_size('1 .. 3'::seg)"), 2],
  ['tablefunc', (c) => one(c, 'select count(*)::int from normal_rand(5, 0, 1)'), 5],
  ['tcn', async (c) => {
    await c.query(`create table t (id int primary key);
      create trigger t after insert on t for each row execute function triggered_change_notification()`);
    const notified = new Promise<string>((resolve) => c.once('notification', (n) => resolve(n.payload ?? '')));
    await c.query('listen tcn');
    await c.query('insert into t values (7)');
    return notified;
  }, '"t",I,"id"=\'7\''],
  ['tsm_system_rows', async (c) => {
    await c.query('create table t (i int); insert into t select generate_series(1, 100)');
    return one(c, 'select count(*)::int from t tablesample system_rows(3)');
  }, 3],
  ['tsm_system_time', async (c) => {
    await c.query('create table t (i int); insert into t select generate_series(1, 100)');
    return one(c, 'select count(*)::int from t tablesample system_time(1000)');
  }, 100],
  ['unaccent', (c) => one(c, "select unaccent('Hôtel Crème Brûlée')"), 'Hotel Creme Brulee'],
  ['uuid-ossp', async (c) => /^[0-9a-f-]{36}$/.test(String(await one(c, 'select uuid_generate_v4()'))), true],
  ['vector', async (c) => {
    await c.query(`create table items (id int primary key, embedding vector(3));
      insert into items select g, array[g, g * 2, g * 3]::vector(3) from generate_series(1, 200) g;
      create index on items using hnsw (embedding vector_l2_ops);
      create index on items using ivfflat (embedding vector_cosine_ops) with (lists = 4)`);
    await c.query('set enable_seqscan = off');
    const plan = (await c.query("explain select id from items order by embedding <-> '[10,20,30]' limit 1")).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Scan using items_embedding_idx/);
    return (await c.query("select id, embedding <-> '[10,20,30]' as l2, round((embedding <#> '[1,1,1]')::numeric) as ip from items order by embedding <-> '[10,20,30]' limit 1")).rows[0];
  }, { id: 10, l2: 0, ip: '-60' }],
];

describe('extensions', () => {
  const shared = useSharedServer(() => startTestServer());

  it('pg_available_extensions lists every shipped extension and pgvector, and nothing is installed yet', async () => {
    const c = await shared.bag.connect();
    const available = (await c.query('select name from pg_available_extensions order by name')).rows.map((r) => r.name as string);
    expect(available).toEqual([...EXTENSIONS.map(([name]) => name), 'plpgsql'].sort());
    expect((await c.query('select extname from pg_extension')).rows).toEqual([{ extname: 'plpgsql' }]);
  });

  // One fresh database for all rows (each database is a PGlite instance of its own, ~150 MB that a
  // process never gets back); each row keeps its tables in a schema of its own.
  describe('in a fresh database', () => {
    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: shared.srv.url });
      await admin.connect();
      try {
        await admin.query('create database ext_all');
      } finally {
        await admin.end();
      }
    });

    it.each(EXTENSIONS)('CREATE EXTENSION "%s" and a query that needs it', async (name, proof, expected) => {
      const c = await shared.bag.connect({ connectionString: shared.srv.urlFor({ database: 'ext_all' }) });
      await c.query(`create extension if not exists "${name}" cascade`);
      const schema = `row_${name.replace(/-/g, '_')}`;
      await c.query(`create schema ${schema}; set search_path = ${schema}, public`);
      expect(await proof(c)).toEqual(expected);
    });
  });

  it('LOAD-only modules (auto_explain, passwordcheck, pg_overexplain) load and take effect', async () => {
    const c = await shared.bag.connect();
    await c.query("load 'auto_explain'");
    expect((await c.query('show auto_explain.log_min_duration')).rows[0]).toEqual({ 'auto_explain.log_min_duration': '-1' });
    await c.query("load 'pg_overexplain'");
    const plan = (await c.query('explain (debug) select 1')).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Disabled Nodes|Command Type|PlannedStmt/);
    await c.query("load 'passwordcheck'");
    expect((await rejectionOf(c.query("create role weak login password 'x'"))).message).toMatch(/password is too short/);
  });

  it('a statement parsed while another client holds a transaction still finds every extension when executed later', async () => {
    const admin = await shared.bag.connect();
    await admin.query('create database ext_parse');
    try {
      const url = shared.srv.urlFor({ database: 'ext_parse' });
      const holder = await shared.bag.connect({ connectionString: url });
      const client = await shared.bag.connect({ connectionString: url });
      await holder.query('begin');
      await holder.query('select 1');
      // Parse-only while the engine is held: it runs beside the holder's transaction (parse-beside.ts).
      const parse = new RawExchange(Buffer.concat([fe.parse('avail', 'select count(*)::int from pg_available_extensions'), fe.sync()]));
      await client.query(parse as unknown as pg.QueryConfig);
      expect((await parse.done).filter((m) => m.name === 'error')).toEqual([]);
      await holder.query('commit');
      const run = new RawExchange(Buffer.concat([fe.bind('', 'avail'), fe.execute(), fe.sync()]));
      await client.query(run as unknown as pg.QueryConfig);
      expect(dataRows(await run.done)).toEqual([[String(EXTENSIONS.length + 1)]]);
    } finally {
      await shared.bag.endAll();
      const again = await shared.bag.connect();
      await again.query('drop database ext_parse with (force)');
    }
  });

  // The next tests use the main database (opening another one costs a PGlite each); each removes what it created.
  it('IF NOT EXISTS, WITH SCHEMA, ALTER EXTENSION … UPDATE and DROP EXTENSION, inside a transaction block', async () => {
    const d = await shared.bag.connect();
    await d.query('begin');
    await d.query('create schema ext');
    await d.query("create extension if not exists citext with schema ext version '1.4'");
    await d.query('create extension if not exists citext');
    await d.query('set local search_path = public, ext');
    expect(await one(d, "select 'A'::citext = 'a'")).toBe(true);
    await d.query('alter extension citext update');
    await d.query('commit');
    expect((await d.query("select extversion, extnamespace::regnamespace::text as schema from pg_extension where extname = 'citext'")).rows)
      .toEqual([{ extversion: '1.8', schema: 'ext' }]);
    // Rolled back: nothing stays, and a later CREATE works.
    await d.query('begin');
    await d.query('create extension pg_trgm');
    await d.query('rollback');
    expect(await one(d, "select count(*)::int from pg_extension where extname = 'pg_trgm'")).toBe(0);
    await d.query('drop extension citext cascade; drop schema ext');
    expect(await one(d, "select count(*)::int from pg_extension where extname = 'citext'")).toBe(0);
  });

  it('the extended protocol (postgres.js) creates and uses extensions too', async () => {
    const sql = postgres(shared.srv.url, { max: 1, onnotice: () => undefined });
    try {
      await sql`create extension if not exists "uuid-ossp"`;
      const [row] = await sql`select uuid_generate_v4() as id, ${'A'}::text as t`;
      expect(String(row!.id)).toMatch(/^[0-9a-f-]{36}$/);
      const available = await sql`select count(*)::int as n from pg_available_extensions where name = ${'vector'}`;
      expect(available[0]!.n).toBe(1);
      await sql`drop extension "uuid-ossp"`;
    } finally {
      await sql.end();
    }
  });

  it('an extension that is not shipped gets Postgres\' error with a hint; the connection and server go on', async () => {
    const c = await shared.bag.connect();
    for (const name of ['postgis', 'timescaledb', 'pg_cron']) {
      const error = await rejectionOf(c.query(`create extension ${name}`)) as Error & { code?: string; hint?: string; detail?: string };
      expect(error.message).toBe(`extension "${name}" is not available`);
      expect(['0A000', '58P01']).toContain(error.code);
      expect(error.hint).toBe(AVAILABLE_EXTENSIONS_HINT);
    }
    await c.query('begin');
    const inTx = await rejectionOf(c.query('create extension if not exists postgis')) as Error & { hint?: string };
    expect(inTx.hint).toBe(AVAILABLE_EXTENSIONS_HINT);
    expect((await rejectionOf(c.query('select 1'))).message).toMatch(/current transaction is aborted/);
    await c.query('rollback');
    expect(await one(c, 'select 1')).toBe(1);
    const other = await shared.bag.connect();
    expect(await one(other, "select 'A'::text")).toBe('A');
  });

  const psql = findBinary('psql');
  it.skipIf(!psql)('psql \\dx lists the installed extensions with versions and descriptions', async () => {
    const d = await shared.bag.connect();
    await d.query('create extension pgcrypto; create extension vector');
    try {
      // Not spawnSync: the server runs on this process's event loop.
      const out = await runPsql(psql!, [shared.srv.url, '-X', '-A', '-t', '-c', '\\dx']);
      expect(out.stderr).toBe('');
      const rows = out.stdout.trim().split('\n').map((l) => l.split('|').slice(0, 3).join('|'));
      expect(rows).toEqual(['pgcrypto|1.4|public', 'plpgsql|1.0|pg_catalog', 'vector|0.8.7|public']);
      expect(out.stdout).toMatch(/cryptographic functions/);
    } finally {
      await d.query('drop extension pgcrypto; drop extension vector');
    }
  });
});

describe('extensions across a restart', () => {
  const { tempDataRoot, serverOn, connect } = useRestartFixture('ppg-dev-ext-restart-');

  it('a database reopens with its extensions: data typed by them, their functions and indexes, pg_stat_statements collecting', async () => {
    const dataRoot = await tempDataRoot();
    const first = await serverOn(dataRoot);
    const a = await connect(first.url);
    await a.query(`create extension vector; create extension citext; create extension pg_trgm; create extension pgcrypto;
      create extension pg_stat_statements;
      create table docs (id serial primary key, email citext unique, body text, embedding vector(3));
      create index on docs using gin (body gin_trgm_ops);
      create index on docs using hnsw (embedding vector_l2_ops);
      insert into docs (email, body, embedding) values ('Ann@Example.com', 'hello world', '[1,2,3]'), ('bob@example.com', 'goodbye', '[3,2,1]')`);
    await a.query('create database other');
    const o = await connect(first.urlFor({ database: 'other' }));
    await o.query("create extension hstore; create table h (v hstore); insert into h values ('k=>v')");
    await first.server.close();

    const second = await serverOn(dataRoot);
    const b = await connect(second.url);
    expect((await b.query("select id from docs where email = 'ann@example.com'")).rows).toEqual([{ id: 1 }]);
    expect((await b.query("select id from docs order by embedding <-> '[3,2,2]' limit 1")).rows).toEqual([{ id: 2 }]);
    expect(await one(b, "select count(*)::int from docs where body % 'helo world'")).toBe(1);
    expect(await one(b, "select length(gen_random_bytes(16))")).toBe(16);
    expect(await one(b, "select count(*) > 0 from pg_stat_statements where query ilike '%from docs%'")).toBe(true);
    const p = await connect(second.urlFor({ database: 'other' }));
    expect(await one(p, "select v -> 'k' from h")).toBe('v');
  });
});
