import pg from 'pg';

/** Opens a real `pg` client on `url`, runs `fn`, always closes it. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function queryRows<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  return withClient(url, async (client) => (await client.query(sql)).rows as T[]);
}

/**
 * A healthy client connects to `url` and gets `select 41 + 1` answered within `ms` (each step), or throws:
 * the check that a server is neither frozen nor wedged after abuse.
 */
export async function answersWithin(url: string, ms: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: ms, query_timeout: ms });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query('SELECT 41 + 1 AS v');
    if (rows[0]?.v !== 42) throw new Error(`expected 42, got ${JSON.stringify(rows)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
