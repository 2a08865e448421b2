import pg from 'pg';
import { expect } from 'vitest';
import { delay } from './async-checks.js';
import { rawConnect } from './raw-connection.js';
import { int32 } from './wire-frames.js';

/** Ways to cancel a `pg` client's query from outside, as clients do it. */

export type KeyedClient = pg.Client & { processID: number | null; secretKey: number | null };

/** Sends a CancelRequest for `client` on a fresh connection, as libpq and pg do. */
export async function sendCancel(port: number, client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as unknown as KeyedClient;
  expect(processID, 'BackendKeyData pid').not.toBeNull();
  expect(secretKey, 'BackendKeyData secret').not.toBeNull();
  const raw = await rawConnect(port);
  try {
    raw.socket.write(Buffer.concat([int32(16), int32(80877102), int32(processID!), int32(secretKey!)]));
    // The server closes a cancel connection without answering.
    await Promise.race([raw.closed, delay(5_000)]);
  } finally {
    raw.destroy();
  }
}

/** pg's own cancel: a second connection sending CancelRequest with this client's BackendKeyData. */
export function pgCancel(client: pg.Client, query: unknown, url: string): void {
  const canceller = new pg.Client({ connectionString: url });
  (canceller as unknown as { cancel(c: pg.Client, q: unknown): void }).cancel(client, query);
}
