import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PpgError } from '../ppg-error.js';

/**
 * A fresh database per test: a copy of a prepared template database (migrated and seeded once), made by
 * `CREATE DATABASE … TEMPLATE` on the server. After the first hand-out, a few copies are kept ready in the
 * background, so the next hand-out in this process does not wait for a copy.
 */
export interface TestDatabaseOptions {
  /** The database to copy. No client may be connected to it while copies are made (Postgres' rule). */
  template: string;
  /** Any URL of the server (its database is ignored). Default: DATABASE_URL. */
  url?: string;
  /** How many copies to keep ready. Default 2; 0 makes every copy on demand. */
  warm?: number;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (connected clients are ended, as DROP DATABASE … WITH (FORCE) does). Idempotent. */
  drop(): Promise<void>;
}

interface Pool {
  serverUrl: string;
  template: string;
  ready: Promise<string>[];
}

const pools = new Map<string, Pool>();

function urlOf(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Runs one statement on the server's main database (never on the template: that would block the copy). */
async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf(serverUrl, 'postgres') });
  // A server that ends the session outside a statement (FATAL 57P01 when it shuts down, say while the pool
  // refills in the background) makes pg emit 'error'; unheard, that crashes the whole test process. It is
  // reported through this call's promise instead.
  let lost: unknown;
  client.on('error', (error) => {
    lost ??= error;
  });
  await client.connect();
  try {
    await client.query(sql);
  } catch (error) {
    throw lost ?? error;
  } finally {
    await client.end();
  }
}

async function makeCopy(pool: Pool): Promise<string> {
  const name = `test_${pool.template.replace(/[^a-z0-9_]/gi, '').slice(0, 30).toLowerCase()}_${randomBytes(5).toString('hex')}`;
  await onServer(pool.serverUrl, `CREATE DATABASE ${quote(name)} TEMPLATE ${quote(pool.template)}`);
  return name;
}

function refill(pool: Pool, warm: number): void {
  while (pool.ready.length < warm) {
    const copy = makeCopy(pool);
    copy.catch(() => undefined); // reported to whoever takes it
    pool.ready.push(copy);
  }
}

export async function createTestDatabase(options: TestDatabaseOptions): Promise<TestDatabase> {
  const serverUrl = options.url ?? process.env.DATABASE_URL;
  if (!serverUrl) throw new PpgError('NO_SERVER_URL', 'createTestDatabase needs the server URL', { hint: 'pass { url } or set DATABASE_URL (ppg dev --detach prints it)' });
  const warm = options.warm ?? 2;
  const key = `${new URL(serverUrl).host}\u0000${options.template}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = { serverUrl, template: options.template, ready: [] }));
  const name = await (pool.ready.shift() ?? makeCopy(pool));
  refill(pool, warm);
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: urlOf(serverUrl, name),
    drop: () => (dropped ??= onServer(serverUrl, `DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`)),
  };
}

/** Drops the copies kept ready (call it when the test run ends; a vitest globalSetup teardown does). */
export async function closeTestDatabasePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.flatMap((pool) => pool.ready.map(async (ready) => {
    const name = await ready.catch(() => null);
    if (name) await onServer(pool.serverUrl, `DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`).catch(() => undefined);
  })));
}
