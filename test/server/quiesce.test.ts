import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './async-checks.js';
import { startTestServer, type TestServer } from './test-server.js';

/** DbServer.quiesce: copying and replacing a running server's database folders without a restart. */
let current: TestServer | undefined;
const clients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await current?.cleanup();
  current = undefined;
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

describe('DbServer.quiesce', () => {
  it("wait: a client's query during the hold waits and gets its answer afterwards; the copy has the committed rows", async () => {
    const t = (current = await startTestServer());
    const client = await connect(t.url);
    await client.query("create table items (v text); insert into items values ('before')");
    const copy = path.join(t.tempDir, 'copy');
    let answered = false;
    let during: Promise<unknown> | undefined;
    await t.server.quiesce('wait', async () => {
      during = client.query("insert into items values ('during') returning v").then((r) => {
        answered = true;
        return r.rows;
      });
      await waitFor(() => t.server.waitingClients() === 1);
      await cp(path.join(t.dataRoot, 'postgres'), path.join(copy, 'postgres'), { recursive: true });
      expect(answered).toBe(false);
    });
    expect(await during).toEqual([{ v: 'during' }]);
    // The copy opens in a server of its own, with what was committed before the hold.
    const other = await startTestServer({ dataRoot: copy });
    try {
      const otherClient = await connect(other.url);
      expect((await otherClient.query('select v from items')).rows).toEqual([{ v: 'before' }]);
    } finally {
      await other.cleanup();
    }
  });

  it('wait: an open transaction finishes before the hold begins', async () => {
    const t = (current = await startTestServer());
    const client = await connect(t.url);
    await client.query('create table t (v int)');
    await client.query('begin');
    await client.query('insert into t values (1)');
    let held = false;
    const quiesced = t.server.quiesce('wait', async () => {
      held = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(held).toBe(false);
    await client.query('commit');
    await quiesced;
    expect(held).toBe(true);
    expect((await client.query('select count(*)::int as n from t')).rows).toEqual([{ n: 1 }]);
  });

  it('terminate: connected clients get FATAL 57P01; folders swapped meanwhile are what the server serves after', async () => {
    const t = (current = await startTestServer());
    const client = await connect(t.url);
    await client.query("create table gone (v text)");
    const ended = new Promise<Error & { code?: string }>((resolve) => client.on('error', resolve));
    let lateClient: Promise<pg.Client> | undefined;
    await t.server.quiesce('terminate', async () => {
      // A connection made during the hold logs in and waits for its engine.
      lateClient = connect(t.url);
      for (const entry of await readdir(t.dataRoot, { withFileTypes: true })) {
        if (entry.isDirectory()) await rm(path.join(t.dataRoot, entry.name), { recursive: true });
      }
    });
    expect((await ended).code).toBe('57P01');
    const late = await lateClient!;
    expect((await late.query("select count(*)::int as n from pg_tables where schemaname = 'public'")).rows).toEqual([{ n: 0 }]);
    const fresh = await connect(t.url);
    expect((await fresh.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});
