import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EXTENSIONS_SCHEMA_PATH, generatePrismaClient, importPrismaClient } from './support/generate-client.js';
import { useMigrateWorkspace } from './support/migrate-workspace.js';
import { migrateDev, wasmPanics } from './support/schema-engine.js';

/**
 * A Prisma project whose schema starts with extensions (previewFeatures = ["postgresqlExtensions"],
 * citext, pgcrypto, uuid-ossp, pgvector): `migrate dev` twice (the second replays the history into the
 * shadow database: the shadow server's PGlite, or a database made with CREATE DATABASE), then Prisma
 * Client 7 reads and writes, vectors through raw queries. Migrations run through the schema engine's
 * Wasm build as in prisma-migrate.test.ts.
 */

// The generated client is untyped here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Client = any;

async function extensionsOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ extname: string }>('SELECT extname FROM pg_extension ORDER BY extname')).rows.map((row) => row.extname);
  } finally {
    await client.end();
  }
}

describe.each([
  ['with the shadow database server', true],
  ['with a shadow database made by CREATE DATABASE', false],
])('Prisma with extensions, %s', (_label, withShadowUrl) => {
  const ws = useMigrateWorkspace('extensions-test', EXTENSIONS_SCHEMA_PATH, withShadowUrl);

  it('migrate dev creates the extensions, a second migrate dev replays them in the shadow database, Prisma Client reads and writes', async () => {
    const first = await migrateDev(ws.options, 'init');
    expect(first.createdMigration).toMatch(/^\d{14}_init$/);
    const sql = await readFile(path.join(ws.options.migrationsDir, first.createdMigration!, 'migration.sql'), 'utf8');
    for (const name of ['citext', 'pgcrypto', 'uuid-ossp', 'vector']) expect(sql).toContain(`CREATE EXTENSION IF NOT EXISTS "${name}"`);
    expect(await extensionsOf(ws.instance.databaseUrl)).toEqual(['citext', 'pgcrypto', 'plpgsql', 'uuid-ossp', 'vector']);

    // The second run replays the history into the shadow database (CREATE EXTENSION there too) and
    // diffs it with the schema. Through this harness the engine then writes a migration of nothing but
    // the same idempotent CREATE EXTENSION IF NOT EXISTS lines; it does so against a native
    // PostgreSQL 15 as well (checked by hand with the same harness), so that is what is expected here.
    const second = await migrateDev(ws.options, 'again');
    const statements = second.createdMigration === null ? [] : (await readFile(path.join(ws.options.migrationsDir, second.createdMigration, 'migration.sql'), 'utf8'))
      .split('\n').filter((line) => line.trim() !== '' && !line.startsWith('--'));
    for (const line of statements) expect(line).toMatch(/^CREATE EXTENSION IF NOT EXISTS "(citext|pgcrypto|uuid-ossp|vector)";$/);
    expect(second.appliedMigrationNames).toEqual(second.createdMigration === null ? [] : [second.createdMigration]);
    if (withShadowUrl) expect(await extensionsOf(ws.instance.shadowDatabaseUrl)).toEqual(['citext', 'pgcrypto', 'plpgsql', 'uuid-ossp', 'vector']);
    expect(wasmPanics).toEqual([]);

    const [{ PrismaClient }, { PrismaPg }] = await Promise.all([
      generatePrismaClient(EXTENSIONS_SCHEMA_PATH).then(importPrismaClient) as Promise<{ PrismaClient: new (o: object) => Client }>,
      import('@prisma/adapter-pg'),
    ]);
    const prisma: Client = new PrismaClient({ adapter: new PrismaPg({ connectionString: ws.instance.databaseUrl }) });
    try {
      const account = await prisma.account.create({ data: { email: 'Ada@Example.com' } });
      expect(account.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(account.legacyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
      // citext: the unique lookup ignores case.
      expect(await prisma.account.findUnique({ where: { email: 'ada@example.COM' } })).toMatchObject({ id: account.id });
      await expect(prisma.account.create({ data: { email: 'ADA@example.com' } })).rejects.toMatchObject({ code: 'P2002' });

      const other = await prisma.account.create({ data: { email: 'bob@example.com' } });
      await prisma.$executeRaw`UPDATE "Account" SET embedding = ${'[1,2,3]'}::vector WHERE id = ${account.id}::uuid`;
      await prisma.$executeRaw`UPDATE "Account" SET embedding = ${'[3,2,1]'}::vector WHERE id = ${other.id}::uuid`;
      const nearest = await prisma.$queryRaw<{ email: string; distance: number }[]>`
        SELECT email::text, embedding <-> ${'[3,2,2]'}::vector AS distance FROM "Account" ORDER BY embedding <-> ${'[3,2,2]'}::vector LIMIT 1`;
      expect(nearest).toEqual([{ email: 'bob@example.com', distance: 1 }]);
    } finally {
      await prisma.$disconnect();
    }
  });
});
