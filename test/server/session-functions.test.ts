import { describe, expect, it } from 'vitest';
import type { KeyedClient } from './cancel-request.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/**
 * The engine's own temporary functions (pglite-open.ts installSessionFunctions) are made without checking
 * their bodies (check_function_bodies off for that transaction only). A client's setting of it is its own:
 * the server making them again after the client's DISCARD TEMP leaves it as the client set it.
 */
const shared = useSharedServer(startTestServer);

describe("the engine's session functions", () => {
  it("are made again after DISCARD TEMP without touching the client's check_function_bodies, and work", async () => {
    const client = await shared.bag.connect();
    await client.query('set check_function_bodies = off');
    await client.query('discard temp');
    expect((await client.query('show check_function_bodies')).rows).toEqual([{ check_function_bodies: 'off' }]);
    await client.query('reset check_function_bodies');
    await client.query('discard temp');
    expect((await client.query('show check_function_bodies')).rows).toEqual([{ check_function_bodies: 'on' }]);
    expect((await client.query('select pg_backend_pid() as pid')).rows).toEqual([{ pid: (client as unknown as KeyedClient).processID }]);
    expect((await client.query("select count(*)::int as n from pg_stat_activity where pid = pg_backend_pid()")).rows).toEqual([{ n: 1 }]);
  });
});
