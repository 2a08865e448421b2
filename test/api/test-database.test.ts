import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { closeTestDatabasePools, createTestDatabase } from '../../src/package-api.js';
import { queryRows } from '../support/pg-client.js';
import { rejectionOf } from '../server/async-checks.js';
import { useSharedServer } from '../server/shared-server.js';
import { startTestServer } from '../server/test-server.js';

/** createTestDatabase against a real server: copies of a seeded template, one per test, warm pool included. */
const shared = useSharedServer(startTestServer);

async function seedTemplate(): Promise<void> {
  await queryRows(shared.srv.url, 'create database seeded');
  const seeded = new pg.Client({ connectionString: shared.srv.urlFor({ database: 'seeded' }) });
  await seeded.connect();
  await seeded.query("create table todos (title text); insert into todos values ('write tests'), ('ship')");
  await seeded.end();
}

describe('createTestDatabase', () => {
  it('hands out independent copies of the template, keeps copies ready, and drops what it made', async () => {
    await seedTemplate();
    const first = await createTestDatabase({ template: 'seeded', url: shared.srv.url, warm: 2 });
    const second = await createTestDatabase({ template: 'seeded', url: shared.srv.url, warm: 2 });
    try {
      expect(first.name).not.toBe(second.name);
      expect(await queryRows(first.url, 'select current_database() as db')).toEqual([{ db: first.name }]);
      await queryRows(first.url, "insert into todos values ('only in first')");
      expect(await queryRows(second.url, 'select title from todos order by title')).toEqual([{ title: 'ship' }, { title: 'write tests' }]);
      expect(await queryRows(shared.srv.urlFor({ database: 'seeded' }), 'select count(*)::int as n from todos')).toEqual([{ n: 2 }]);
    } finally {
      await first.drop();
      await second.drop();
    }
    expect((await rejectionOf(queryRows(first.url, 'select 1'))).code).toBe('3D000');
    // The pool made copies ahead of demand; closing it drops them, leaving only what was there before.
    await closeTestDatabasePools();
    expect(await shared.srv.server.databases()).toEqual(['postgres', 'seeded']);
  });

  it('a template that does not exist, or no server URL, is a clear error', async () => {
    expect((await rejectionOf(createTestDatabase({ template: 'missing', url: shared.srv.url, warm: 0 }))).code).toBe('3D000');
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect((await rejectionOf(createTestDatabase({ template: 'seeded' }))).code).toBe('NO_SERVER_URL');
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });
});
