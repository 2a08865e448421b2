import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './async-checks.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

const shared = useSharedServer(startTestServer);

async function connectTo(database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: shared.srv.urlFor({ database }), connectionTimeoutMillis: 30_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('databases', () => {
  it('CREATE DATABASE x, then x is a separate database; DROP DATABASE removes it', async () => {
    const main = await shared.bag.connect();
    await main.query('create database shop');
    expect(await shared.srv.server.databases()).toContain('shop');
    expect(existsSync(path.join(shared.srv.dataRoot, 'shop'))).toBe(true);
    const shop = await connectTo('shop');
    try {
      await shop.query('create table only_in_shop (v int)');
      await shop.query('insert into only_in_shop values (1)');
      expect((await shop.query('select count(*)::int as n from only_in_shop')).rows[0].n).toBe(1);
      // Not visible from postgres.
      expect((await rejectionOf(main.query('select * from only_in_shop'))).code).toBe('42P01');
      await main.query('create table only_in_main (v int)');
      expect((await rejectionOf(shop.query('select * from only_in_main'))).code).toBe('42P01');
      // Transactions on two databases do not block each other.
      await main.query('begin');
      await main.query('insert into only_in_main values (1)');
      expect((await shop.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
      await main.query('commit');
      // DROP while someone is connected is refused, as in Postgres.
      expect((await rejectionOf(main.query('drop database shop'))).code).toBe('55006');
    } finally {
      await shop.end();
    }
    await main.query('drop database shop');
    expect(await shared.srv.server.databases()).not.toContain('shop');
    const gone = new pg.Client({ connectionString: shared.srv.urlFor({ database: 'shop' }) });
    gone.on('error', () => undefined);
    expect((await rejectionOf(gone.connect())).code).toBe('3D000');
    await gone.end().catch(() => undefined);
  });

  it('current_database() reports the database the client connected to', async () => {
    const main = await shared.bag.connect();
    await main.query('create database named_db');
    const named = await connectTo('named_db');
    try {
      expect((await named.query('select current_database() as db')).rows[0].db).toBe('named_db');
    } finally {
      await named.end();
      await main.query('drop database named_db');
    }
  });

  it('connecting to an unknown database fails with 3D000 and the server goes on', async () => {
    const client = new pg.Client({ connectionString: shared.srv.urlFor({ database: 'no_such_db' }) });
    client.on('error', () => undefined);
    const error = await rejectionOf(client.connect());
    expect(error.code).toBe('3D000');
    expect(error.message).toContain('no_such_db');
    await client.end().catch(() => undefined);
    const ok = await shared.bag.connect();
    expect((await ok.query('select current_database() as db')).rows[0].db).toBe('postgres');
  });

  it('CREATE DATABASE of an existing name gives 42P04; DROP DATABASE IF EXISTS of a missing one succeeds', async () => {
    const main = await shared.bag.connect();
    await main.query('create database dup_db');
    expect((await rejectionOf(main.query('create database dup_db'))).code).toBe('42P04');
    await main.query('drop database dup_db');
    await main.query('drop database if exists dup_db');
    expect((await rejectionOf(main.query('drop database dup_db'))).code).toBe('3D000');
  });

  it('a database dropped and re-created is empty', async () => {
    const main = await shared.bag.connect();
    await main.query('create database again_db');
    let again = await connectTo('again_db');
    await again.query('create table t (v int)');
    await again.end();
    await main.query('drop database again_db');
    await main.query('create database again_db');
    again = await connectTo('again_db');
    try {
      expect((await rejectionOf(again.query('select * from t'))).code).toBe('42P01');
    } finally {
      await again.end();
    }
    await main.query('drop database again_db');
  });

  it('CREATE DATABASE … TEMPLATE copies another database (schema, rows, extensions) under its own name; the template stays as it was', async () => {
    const main = await shared.bag.connect();
    await main.query('create database seeded');
    const seeded = await connectTo('seeded');
    await seeded.query('create extension citext');
    await seeded.query("create table people (name citext primary key); insert into people values ('Ada'), ('Linus')");
    await seeded.end();

    await main.query('create database copy_one template seeded');
    const copy = await connectTo('copy_one');
    try {
      expect((await copy.query('select current_database() as db')).rows).toEqual([{ db: 'copy_one' }]);
      expect((await copy.query("select name from people where name = 'ADA'")).rows).toEqual([{ name: 'Ada' }]);
      await copy.query("insert into people values ('Grace')");
    } finally {
      await copy.end();
    }
    const again = await connectTo('seeded');
    try {
      expect((await again.query('select count(*)::int as n from people')).rows[0].n).toBe(2);
      // A template in use cannot be copied, as in Postgres.
      const inUse = await rejectionOf(main.query('create database copy_two template seeded'));
      expect(inUse.code).toBe('55006');
      expect(inUse.message).toBe('source database "seeded" is being accessed by other users');
    } finally {
      await again.end();
    }
    expect((await rejectionOf(main.query('create database copy_three template nope'))).code).toBe('3D000');
    // template0/template1 mean a fresh database, as the default does.
    await main.query('create database fresh template template0');
    const fresh = await connectTo('fresh');
    try {
      expect((await fresh.query("select count(*)::int as n from pg_tables where schemaname = 'public'")).rows[0].n).toBe(0);
    } finally {
      await fresh.end();
    }
  });
});
