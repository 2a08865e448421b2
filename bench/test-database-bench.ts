import pg from 'pg';
import { closeTestDatabasePools, createTestDatabase } from '../src/api/test-database.js';
import type { Attempt, Side } from './bench-phases.js';
import { sleep } from './processes.js';
import { median } from './stats.js';

/**
 * A fresh database per test: `createTestDatabase({ template })` from the package API against a ppg-dev
 * instance (cold: made on demand; warm: taken from the pool the API refills in the background), and the
 * statements underneath measured on both servers, interleaved: CREATE DATABASE … TEMPLATE, a first query on
 * the copy, DROP DATABASE.
 */
export interface StatementSamples {
  createMs: number[];
  firstQueryMs: number[];
  dropMs: number[];
}

export interface TestDbSamples {
  statements: Record<Side, StatementSamples>;
  coldHandoutMs: number[];
  warmHandoutMs: number[];
}

export function emptyTestDbSamples(): TestDbSamples {
  const statements = (): StatementSamples => ({ createMs: [], firstQueryMs: [], dropMs: [] });
  return { statements: { ppg: statements(), native: statements() }, coldHandoutMs: [], warmHandoutMs: [] };
}

const TEMPLATE = 'bench_template';

/** What a migrated and seeded app database looks like: two tables, keys, an index, 11k rows (~3 MB). */
const SEED = [
  'CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  'CREATE TABLE posts (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, title text NOT NULL, body text NOT NULL)',
  'CREATE INDEX posts_user_id ON posts (user_id)',
  "INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 1000) g",
  "INSERT INTO posts (user_id, title, body) SELECT 1 + g % 1000, 'post ' || g, repeat('lorem ipsum ', 20) FROM generate_series(1, 10000) g",
];

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Makes the template database; its seeding connection is closed again (Postgres copies no template in use). */
async function seedTemplate(serverUrl: string): Promise<void> {
  const admin = await connect(serverUrl);
  try {
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  const seed = await connect(databaseUrl(serverUrl, TEMPLATE));
  try {
    for (const sql of SEED) await seed.query(sql);
  } finally {
    await seed.end();
  }
}

/** The statements on one open connection to the server's main database, as a test helper would issue them. */
async function statementRound(admin: pg.Client, serverUrl: string, name: string, samples: StatementSamples): Promise<void> {
  samples.createMs.push(await timed(() => admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`)));
  samples.firstQueryMs.push(await timed(async () => {
    const client = await connect(databaseUrl(serverUrl, name));
    await client.query('SELECT count(*) FROM posts');
    await client.end();
  }));
  // WITH (FORCE), as TestDatabase.drop() does: a backend still exiting after end() must not fail the drop.
  samples.dropMs.push(await timed(() => admin.query(`DROP DATABASE ${name} WITH (FORCE)`)));
}

export async function measureTestDatabases(urls: Record<Side, string | null>, count: number, samples: TestDbSamples, attempt: Attempt): Promise<void> {
  const sides = (['ppg', 'native'] as const).filter((side) => urls[side] !== null);
  const seeded = new Set<Side>();
  for (const side of sides) {
    if (await attempt(`test db: seed the template on ${side}`, () => seedTemplate(urls[side] as string).then(() => true))) seeded.add(side);
  }
  const ppgUrl = seeded.has('ppg') ? urls.ppg : null;

  await attempt('test db: CREATE DATABASE … TEMPLATE / first query / DROP DATABASE', async () => {
    const admins = new Map<Side, pg.Client>();
    try {
      for (const side of seeded) admins.set(side, await connect(urls[side] as string));
      for (let i = 0; i < count; i++) {
        for (const [side, admin] of admins) await statementRound(admin, urls[side] as string, `bench_copy_${side}_${i}`, samples.statements[side]);
      }
    } finally {
      await Promise.all([...admins.values()].map((admin) => admin.end().catch(() => undefined)));
    }
  });
  if (!ppgUrl) return;

  await attempt('test db: createTestDatabase, cold (warm: 0)', async () => {
    for (let i = 0; i < count; i++) {
      let handed: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
      samples.coldHandoutMs.push(await timed(async () => { handed = await createTestDatabase({ template: TEMPLATE, url: ppgUrl, warm: 0 }); }));
      await handed?.drop();
    }
  });

  await attempt('test db: createTestDatabase, warm pool', async () => {
    try {
      // The first call makes a copy and starts the pool's 2; afterwards each hand-out takes the older of two
      // ready copies and one new one is made, as in one process that hands out a database now and then (the
      // pool is per process: vitest's test files, each in a process of its own, all get the cold figure).
      // The pauses are generous: a copy still in the making would show up as a cold figure.
      const coldMs = median(samples.coldHandoutMs) || 1000;
      await (await createTestDatabase({ template: TEMPLATE, url: ppgUrl })).drop();
      await sleep(Math.min(15_000, 3 * coldMs));
      const pauseMs = Math.min(10_000, Math.max(300, 1.5 * coldMs));
      for (let i = 0; i < count; i++) {
        await sleep(pauseMs);
        let handed: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
        samples.warmHandoutMs.push(await timed(async () => { handed = await createTestDatabase({ template: TEMPLATE, url: ppgUrl }); }));
        await handed?.drop();
      }
    } finally {
      await closeTestDatabasePools();
    }
  });
}
