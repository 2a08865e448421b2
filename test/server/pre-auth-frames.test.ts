import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersWithin } from '../support/pg-client.js';
import { rawScramLogin } from '../support/raw-scram-login.js';
import { type ChildServer, startChildServer } from './child-server.js';
import { rawConnect } from './raw-connection.js';
import { cstr, fe, frame, int32, startupMessage } from './wire-frames.js';

/**
 * Frames that arrive before authentication is done. The server runs in a child process: a handshake that
 * spins would freeze an in-process server together with the test runner.
 */
let srv: ChildServer;
beforeAll(async () => {
  srv = await startChildServer();
});
afterAll(async () => srv?.cleanup());

const startup = startupMessage({ user: 'postgres', database: 'postgres' });

describe('bytes sent with the startup packet, before authentication', () => {
  it('a type-0 frame in the same write as the startup packet does not freeze the server (the reported one-packet DoS)', async () => {
    const raw = await rawConnect(srv.port);
    raw.socket.write(Buffer.concat([startup, Buffer.from([0x00, 0, 0, 0, 12]), Buffer.alloc(8)]));
    await raw.until((data) => data.length > 0, 5_000);
    raw.destroy();
    await answersWithin(srv.url, 2_000);
  });

  it('a zero-length frame, a short frame and a huge length right after the startup packet', async () => {
    for (const tail of [Buffer.alloc(8), Buffer.concat([Buffer.from('p'), int32(2)]), Buffer.concat([Buffer.from('p'), int32(0x7ffffff0)])]) {
      const raw = await rawConnect(srv.port);
      raw.socket.write(Buffer.concat([startup, tail]));
      await Promise.race([raw.closed, raw.until((data) => data.includes(Buffer.from('E')), 3_000)]);
      raw.destroy();
      await answersWithin(srv.url, 2_000);
    }
  });

  it('a password message that is not SASL, and a SASL response with lengths that lie', async () => {
    const bodies = [
      frame('p', cstr('plaintext')),
      frame('p', Buffer.concat([cstr('SCRAM-SHA-256'), int32(1_000_000), Buffer.from('n,,n=,r=abc')])),
      frame('p', Buffer.concat([cstr('SCRAM-SHA-256'), int32(-5)])),
      frame('p', Buffer.concat([cstr('SCRAM-SHA-256'), int32(-1)])),
      frame('p', Buffer.from('no terminator')),
    ];
    for (const body of bodies) {
      const raw = await rawConnect(srv.port);
      raw.socket.write(Buffer.concat([startup, body]));
      await Promise.race([raw.closed, raw.until(() => false, 2_000).catch(() => undefined)]);
      raw.destroy();
      await answersWithin(srv.url, 2_000);
    }
    expect(srv.stderr()).not.toMatch(/RangeError|TypeError/);
  });

  it('a query pipelined in the same write as the SCRAM final message is answered after the login', async () => {
    const login = await rawScramLogin(srv.port, 'postgres', 'postgres', fe.query("select 'pipelined' as v"));
    try {
      const received = await login.readyCount(2);
      expect(received.includes(Buffer.from('pipelined'))).toBe(true);
    } finally {
      login.socket.destroy();
    }
  });

  it('Terminate instead of a startup packet closes the connection without a word, as Postgres does', async () => {
    const raw = await rawConnect(srv.port);
    raw.socket.write(frame('X'));
    await raw.closed;
    expect(raw.received()).toEqual(Buffer.alloc(0));
  });

  it('after all of that, a normal login and query still work', async () => {
    const client = new pg.Client({ connectionString: srv.url });
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });
});
