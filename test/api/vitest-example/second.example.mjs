import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createTestDatabase } from '../../../dist/src/package-api.js';

let db;
beforeAll(async () => {
  db = await createTestDatabase({ template: inject('ppgTemplate'), url: inject('ppgUrl') });
});
afterAll(() => db.drop());

test('second file has a database of its own, seeded', async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("insert into todos values ('from second')");
    const { rows } = await client.query('select title from todos order by title');
    expect(rows.map((r) => r.title)).toEqual(['from second', 'seeded']);
  } finally {
    await client.end();
  }
});
