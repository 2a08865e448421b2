import pg from 'pg';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { readFile } from 'node:fs/promises';
import { generatePrismaClient, importPrismaClient, SCHEMA_SQL_PATH } from './support/generate-client.js';
import { startPrismaInstance, type PrismaInstance } from './support/prisma-instance.js';

/**
 * Issue target: Prisma Client `findMany` of 100 rows over the HTTP endpoint (prisma+postgres://,
 * accelerateUrl) takes at most 2x the time over @prisma/adapter-pg on the TCP URL.
 * Run: `npx tsc -p . && npx vitest bench --run test/prisma/find-many.bench.ts`.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Client = any;
let instance: PrismaInstance;
let tcp: Client;
let http: Client;

beforeAll(async () => {
  const [folder, started, { PrismaPg }] = await Promise.all([generatePrismaClient(), startPrismaInstance('bench'), import('@prisma/adapter-pg')]);
  instance = started;
  const { PrismaClient } = (await importPrismaClient(folder)) as { PrismaClient: new (options: object) => Client };
  const client = new pg.Client({ connectionString: instance.databaseUrl });
  await client.connect();
  await client.query(await readFile(SCHEMA_SQL_PATH, 'utf8'));
  await client.query(`INSERT INTO "User" (email, name) SELECT 'u' || i || '@example.com', 'User ' || i FROM generate_series(1, 100) AS i`);
  await client.end();
  tcp = new PrismaClient({ adapter: new PrismaPg({ connectionString: instance.databaseUrl }) });
  http = new PrismaClient({ accelerateUrl: instance.prismaPostgresUrl });
  // Warm both paths (connection pools, query compiler) outside the measurement.
  for (const prisma of [tcp, http]) for (let i = 0; i < 20; i++) await prisma.user.findMany();
}, 120_000);

afterAll(async () => {
  await tcp?.$disconnect();
  await http?.$disconnect();
  await instance?.stop();
});

describe('findMany 100 rows', () => {
  bench('TCP via @prisma/adapter-pg', async () => {
    const rows = await tcp.user.findMany();
    if (rows.length !== 100) throw new Error(`expected 100 rows, got ${rows.length}`);
  }, { time: 3000, warmupTime: 500 });
  bench('HTTP via accelerateUrl', async () => {
    const rows = await http.user.findMany();
    if (rows.length !== 100) throw new Error(`expected 100 rows, got ${rows.length}`);
  }, { time: 3000, warmupTime: 500 });
});
