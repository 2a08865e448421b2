import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH } from './support/generate-client.js';
import { useMigrateWorkspace } from './support/migrate-workspace.js';
import { createdShadowDatabases, dbPush, migrateDev, migrateStatus, wasmPanics } from './support/schema-engine.js';

/**
 * `prisma migrate dev` (twice in a row), `migrate status` and `db push` against a ppg-dev instance,
 * with the printed shadow database URL and with none (Prisma then makes its own shadow database with
 * CREATE DATABASE and drops it). Prisma's native schema-engine binary is downloaded at install time
 * from outside the npm registry and is not available on these machines, so the commands are driven
 * through the official Wasm build of the same engine (@prisma/schema-engine-wasm) over
 * @prisma/adapter-pg, the way the CLI drives it (see support/schema-engine.ts).
 */

const ADDED_MODEL = `
model Comment {
  id     Int    @id @default(autoincrement())
  body   String
  postId Int
}
`;

async function columnsOf(url: string, table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name',
      ['public', table],
    );
    return result.rows.map((row) => row.column_name);
  } finally {
    await client.end();
  }
}

async function databaseNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe.each([
  ['with the printed shadow database URL', true],
  ['without a shadow database URL (CREATE DATABASE)', false],
])('Prisma migrations %s', (_label, withShadowUrl) => {
  const ws = useMigrateWorkspace('migrate-test', SCHEMA_PATH, withShadowUrl);

  it('runs migrate dev twice in a row, then status and db push', async () => {
    const first = await migrateDev(ws.options, 'init');
    expect(first.createdMigration).toMatch(/^\d{14}_init$/);
    expect(first.appliedMigrationNames).toEqual([first.createdMigration]);
    expect(await columnsOf(ws.instance.databaseUrl, 'Post')).toEqual(['authorId', 'id', 'meta', 'published', 'score', 'tags', 'title', 'views']);
    const sql = await readFile(path.join(ws.options.migrationsDir, first.createdMigration!, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "User"');

    // Unchanged schema: nothing to create, nothing pending.
    expect(await migrateDev(ws.options, 'noop')).toEqual({ createdMigration: null, appliedMigrationNames: [] });

    await writeFile(ws.options.schemaPath, (await readFile(ws.options.schemaPath, 'utf8')) + ADDED_MODEL);
    const second = await migrateDev(ws.options, 'add_comment');
    expect(second.createdMigration).toMatch(/^\d{14}_add_comment$/);
    expect(second.appliedMigrationNames).toEqual([second.createdMigration]);
    expect(await columnsOf(ws.instance.databaseUrl, 'Comment')).toEqual(['body', 'id', 'postId']);
    expect((await readdir(ws.options.migrationsDir)).sort()).toEqual([first.createdMigration, second.createdMigration, 'migration_lock.toml'].sort());

    const status = await migrateStatus(ws.options);
    expect(status).toMatchObject({ hasMigrationsTable: true, history: null, failedMigrationNames: [], editedMigrationNames: [] });

    await writeFile(ws.options.schemaPath, (await readFile(ws.options.schemaPath, 'utf8')).replace('  body   String\n', '  body   String\n  votes  Int    @default(0)\n'));
    const pushed = await dbPush(ws.options);
    expect(pushed.executedSteps).toBeGreaterThan(0);
    expect(pushed.unexecutable).toEqual([]);
    expect(await columnsOf(ws.instance.databaseUrl, 'Comment')).toEqual(['body', 'id', 'postId', 'votes']);

    // Without a URL the engine made its own shadow databases with CREATE DATABASE; all are dropped again.
    if (!withShadowUrl) expect(createdShadowDatabases.length).toBeGreaterThan(0);
    expect((await databaseNames(ws.instance.databaseUrl)).filter((name) => name.startsWith('prisma_migrate_shadow_db_'))).toEqual([]);
    expect(wasmPanics).toEqual([]);
  });
});
