import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { delay, waitFor } from './async-checks.js';
import { rawConnect } from './raw-connection.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { cstr, fe, frame, int32, startupMessage } from './wire-frames.js';

const shared = useSharedServer(startTestServer);

function socketOf(client: pg.Client): net.Socket {
  return (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
}

/** After every abuse: a fresh client still connects and a query still works. */
async function serverStillWorks(): Promise<void> {
  const client = await shared.bag.connect();
  expect((await client.query('select $1::int + 1 as v', [41])).rows).toEqual([{ v: 42 }]);
  expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
}

/** Writes bytes on an authenticated connection and waits for the server to close it. */
async function abuseAuthenticated(bytes: Buffer): Promise<pg.Client & { errors: Error[] }> {
  const victim = await shared.bag.connect();
  const socket = socketOf(victim);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(bytes);
  await Promise.race([closed, delay(20_000).then(() => {
    throw new Error('server did not close the connection after a malformed message');
  })]);
  return victim;
}

describe('malformed input does not hurt the server or other clients', () => {
  it('garbage bytes instead of a startup packet: that connection is closed', async () => {
    const raw = await rawConnect(shared.srv.port);
    raw.socket.write(randomBytes(300));
    await Promise.race([raw.closed, delay(20_000)]);
    expect(raw.isClosed()).toBe(true);
    raw.destroy();
    await serverStillWorks();
  });

  it('a startup packet with an absurd length is refused without waiting for 2 GB', async () => {
    const raw = await rawConnect(shared.srv.port);
    raw.socket.write(Buffer.concat([int32(0x7ffffff0), int32(196608), cstr('user'), cstr('postgres')]));
    await Promise.race([raw.closed, delay(20_000)]);
    expect(raw.isClosed()).toBe(true);
    raw.destroy();
    await serverStillWorks();
  });

  it('a client that sends a startup packet and vanishes, and one that sends half a startup packet', async () => {
    for (let i = 0; i < 5; i++) {
      const raw = await rawConnect(shared.srv.port);
      raw.socket.write(startupMessage({ user: 'postgres', database: 'postgres' }));
      raw.destroy();
      const half = await rawConnect(shared.srv.port);
      half.socket.write(startupMessage({ user: 'postgres' }).subarray(0, 10));
      half.destroy();
    }
    await serverStillWorks();
  });

  it('a client that connects and sends nothing does not block others', async () => {
    const silent = await rawConnect(shared.srv.port);
    try {
      await serverStillWorks();
    } finally {
      silent.destroy();
    }
  });

  it('after auth: a message with an absurd length closes that connection (FATAL), others go on', async () => {
    const other = await shared.bag.connect();
    await other.query('select 1');
    await abuseAuthenticated(Buffer.concat([Buffer.from('Q'), int32(0x7ffffff0), Buffer.from('select 1')]));
    expect((await other.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    await serverStillWorks();
  });

  it('after auth: a length below 4 and an unknown message type close that connection', async () => {
    await abuseAuthenticated(Buffer.concat([Buffer.from('Q'), int32(2)]));
    await abuseAuthenticated(frame('z', Buffer.from('whatever')));
    await serverStillWorks();
  });

  it('after auth: a truncated Query followed by the client vanishing', async () => {
    const victim = await shared.bag.connect();
    const socket = socketOf(victim);
    const q = fe.query('select 123456');
    // destroy() drops what is still queued in this process: wait until the partial frame is sent. The
    // server reads it before the connection's end (TCP keeps the order).
    await new Promise<void>((resolve, reject) => socket.write(q.subarray(0, q.length - 5), (error) => (error ? reject(error) : resolve())));
    socket.destroy();
    await serverStillWorks();
  });

  it('after auth: garbage bytes inside a well-formed frame get an error, not a crash', async () => {
    // A Bind with a parameter count that does not match its body.
    const victim = await shared.bag.connect();
    const socket = socketOf(victim);
    let answered = false;
    socket.once('data', () => (answered = true));
    socket.once('close', () => (answered = true));
    socket.write(Buffer.concat([fe.parse('', 'select $1::int'), frame('B', Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 5]), int32(999)])), fe.sync()]));
    // Either an ErrorResponse (08P01) with the connection kept, or a closed connection: both fine.
    await waitFor(() => answered, 20_000, 'the server to answer the malformed Bind');
    await serverStillWorks();
  });

  it('a client that vanishes in the middle of an extended batch (Parse+Bind+Flush) does not block or leak', async () => {
    const victim = await shared.bag.connect();
    const socket = socketOf(victim);
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.write(Buffer.concat([fe.parse('', "select 'victim'::text as leaked"), fe.bind('', '', []), fe.flush()]));
    // ParseComplete and BindComplete (5 bytes each): the server is in the middle of the batch when the client goes.
    await waitFor(() => received >= 10, 20_000, 'ParseComplete and BindComplete');
    socket.destroy();
    const other = await shared.bag.connect();
    const res = await other.query("select 'mine'::text as col");
    expect(res.rows).toEqual([{ col: 'mine' }]);
    expect(res.fields.map((f) => f.name)).toEqual(['col']);
  });

  it('many connections opened and destroyed abruptly while others query', async () => {
    const worker = await shared.bag.connect();
    const churn = (async () => {
      for (let i = 0; i < 20; i++) {
        const c = await shared.bag.connect();
        if (i % 2 === 0) void c.query('select pg_sleep(0)').catch(() => undefined);
        socketOf(c).destroy();
      }
    })();
    for (let i = 0; i < 40; i++) expect((await worker.query('select $1::int as i', [i])).rows[0].i).toBe(i);
    await churn;
    await waitFor(async () => (await worker.query('select 1 as one')).rows.length === 1);
    await serverStillWorks();
  });
});
