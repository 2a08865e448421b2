import pg from 'pg';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './async-checks.js';
import { rawConnect } from './raw-connection.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { errorFields, GSSENC_REQUEST, parseBackend, SSL_REQUEST, startupMessage } from './wire-frames.js';

const shared = useSharedServer(startTestServer);

describe('connection handshake and authentication', () => {
  it('SSLRequest is answered with a single \'N\', and the same socket can then send a startup', async () => {
    const raw = await rawConnect(shared.srv.port);
    try {
      raw.socket.write(SSL_REQUEST);
      const first = await raw.until((d) => d.length >= 1);
      expect(first.subarray(0, 1).toString()).toBe('N');
      expect(first.length).toBe(1);
      raw.socket.write(startupMessage({ user: 'postgres', database: 'postgres' }));
      const reply = await raw.until((d) => d.length >= 9);
      // An authentication request ('R') follows: the server asks for a password.
      expect(reply.subarray(1, 2).toString()).toBe('R');
    } finally {
      raw.destroy();
    }
  });

  it('GSSENCRequest is answered with \'N\' (not a dropped connection)', async () => {
    const raw = await rawConnect(shared.srv.port);
    try {
      raw.socket.write(GSSENC_REQUEST);
      const first = await raw.until((d) => d.length >= 1);
      expect(first.subarray(0, 1).toString()).toBe('N');
    } finally {
      raw.destroy();
    }
  });

  it('password authentication with the URL credentials works for pg and postgres.js, and reports server parameters', async () => {
    const client = await shared.bag.connect();
    expect((await client.query('select current_user as u')).rows[0].u).toBe('postgres');
    const sql = postgres(shared.srv.url, { max: 1, onnotice: () => undefined });
    try {
      const rows = await sql`select 1 as one`;
      expect(rows[0]!.one).toBe(1);
      // postgres.js reads these ParameterStatus values during startup.
      expect(sql.parameters.server_version).toMatch(/^\d+/);
      expect(sql.parameters.client_encoding).toBe('UTF8');
      expect(sql.parameters.integer_datetimes).toBe('on');
      expect(sql.parameters.standard_conforming_strings).toBe('on');
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('a wrong password fails with 28P01, an unknown user too; the server keeps serving', async () => {
    const wrong = new pg.Client({ connectionString: shared.srv.urlFor({ password: 'not-the-password' }) });
    wrong.on('error', () => undefined);
    expect((await rejectionOf(wrong.connect())).code).toBe('28P01');
    await wrong.end().catch(() => undefined);
    const stranger = new pg.Client({ connectionString: shared.srv.urlFor({ user: 'mallory', password: 'postgres' }) });
    stranger.on('error', () => undefined);
    expect((await rejectionOf(stranger.connect())).code).toBe('28P01');
    await stranger.end().catch(() => undefined);
    const sql = postgres(shared.srv.urlFor({ password: 'nope' }), { max: 1, onnotice: () => undefined, connect_timeout: 20 });
    try {
      expect(((await rejectionOf(sql`select 1`)) as { code?: string }).code).toBe('28P01');
    } finally {
      await sql.end({ timeout: 5 });
    }
    const ok = await shared.bag.connect();
    expect((await ok.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('a custom user/password given to the server is the one accepted', async () => {
    const custom = await startTestServer({ user: 'alice', password: 's3cret pass' });
    try {
      expect(custom.url).toContain('alice');
      const client = new pg.Client({ connectionString: custom.url });
      await client.connect();
      try {
        expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await client.end();
      }
      const postgresUser = new pg.Client({ connectionString: custom.urlFor({ user: 'postgres', password: 'postgres' }) });
      postgresUser.on('error', () => undefined);
      expect((await rejectionOf(postgresUser.connect())).code).toBe('28P01');
      await postgresUser.end().catch(() => undefined);
    } finally {
      await custom.cleanup();
    }
  });

  it('a StartupMessage with an unsupported protocol version gets an ErrorResponse, not a silent abort', async () => {
    const raw = await rawConnect(shared.srv.port);
    try {
      const msg = startupMessage({ user: 'postgres' });
      msg.writeInt32BE(0x00040000, 4); // protocol 4.0
      raw.socket.write(msg);
      const data = await raw.until((d) => parseBackend(d).some((m) => m.tag === 'E'));
      const error = parseBackend(data).find((m) => m.tag === 'E');
      expect(error, 'an ErrorResponse').toBeDefined();
      // Postgres says 0A000 (unsupported frontend protocol); 08P01 (protocol violation) is acceptable too.
      expect(['0A000', '08P01']).toContain(errorFields(error!.body).C);
    } finally {
      raw.destroy();
    }
  });
});
