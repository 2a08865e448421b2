import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { waitFor } from './async-checks.js';
import { rawConnect, type RawConnection } from './raw-connection.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { errorFields, parseBackend, startupMessage } from './wire-frames.js';

/** The limits Postgres puts on connections that have not logged in yet. */
const shared = useSharedServer(() => startTestServer({ authenticationTimeoutMs: 400, maxAuthenticating: 4 }));

function fatalOf(raw: RawConnection): Record<string, string> {
  const error = parseBackend(raw.received()).find((m) => m.tag === 'E');
  expect(error, `an ErrorResponse in ${raw.received().toString('latin1')}`).toBeDefined();
  return errorFields(error!.body);
}

async function loginWorks(): Promise<void> {
  const client = new pg.Client({ connectionString: shared.srv.url });
  await client.connect();
  try {
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await client.end();
  }
}

describe('authentication_timeout', () => {
  it('a connection that sends nothing is closed with FATAL 08006 once the timeout passes', async () => {
    const silent = await rawConnect(shared.srv.port);
    await silent.closed;
    expect(fatalOf(silent)).toMatchObject({ S: 'FATAL', C: '08006', M: 'canceling authentication due to timeout' });
  });

  it('a connection that stops in the middle of SCRAM is closed the same way', async () => {
    const stalled = await rawConnect(shared.srv.port);
    stalled.socket.write(startupMessage({ user: 'postgres', database: 'postgres' }));
    await stalled.closed;
    expect(parseBackend(stalled.received()).map((m) => m.tag)).toEqual(['R', 'E']);
    expect(fatalOf(stalled).C).toBe('08006');
  });
});

describe('a cap on connections still authenticating', () => {
  it('beyond the cap a new connection gets FATAL 53300 at once; logins work again when the half-open ones are gone', async () => {
    const halfOpen = await Promise.all([1, 2, 3, 4].map(async () => {
      const raw = await rawConnect(shared.srv.port);
      raw.socket.write(startupMessage({ user: 'postgres', database: 'postgres' }));
      await raw.until((data) => data.length > 0);
      return raw;
    }));
    const refused = await rawConnect(shared.srv.port);
    await refused.closed;
    expect(fatalOf(refused)).toMatchObject({ S: 'FATAL', C: '53300', M: 'sorry, too many clients already' });
    for (const raw of halfOpen) raw.destroy();
    await Promise.all(halfOpen.map((raw) => raw.closed));
    // The server counts them down as it sees each socket close; a login may race that, so retry briefly.
    let lastError: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await loginWorks();
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    throw lastError;
  });

  it('the server closes its side of every refused connection (no socket left half-open)', async () => {
    await waitFor(() => shared.srv.server.openSockets() === 0, 10_000, 'the server to have no sockets at the start');
    const halfOpen = await Promise.all([1, 2, 3, 4].map(async () => {
      const raw = await rawConnect(shared.srv.port);
      raw.socket.write(startupMessage({ user: 'postgres', database: 'postgres' }));
      await raw.until((data) => data.length > 0);
      return raw;
    }));
    const refused = await Promise.all([1, 2, 3].map(() => rawConnect(shared.srv.port)));
    await Promise.all(refused.map((raw) => raw.closed));
    for (const raw of refused) expect(fatalOf(raw).C).toBe('53300');
    for (const raw of halfOpen) raw.destroy();
    await waitFor(() => shared.srv.server.openSockets() === 0, 10_000, 'the server to close every socket');
  });

  it('a login to a database that does not exist leaves no socket behind', async () => {
    await waitFor(() => shared.srv.server.openSockets() === 0, 10_000, 'the server to have no sockets at the start');
    const client = new pg.Client({ connectionString: shared.srv.url.replace(/\/postgres\?/, '/no_such_db?') });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toMatchObject({ code: '3D000' });
    await waitFor(() => shared.srv.server.openSockets() === 0, 10_000, 'the server to close the refused socket');
  });
});
