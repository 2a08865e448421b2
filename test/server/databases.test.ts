import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rejectionOf, startTestServer, useSharedServer } from './server-fixture.js';

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
});
