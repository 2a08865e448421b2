import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTlsIdentity } from '../../src/daemon/tls-certificate.js';
import { findBinary } from './find-binary.js';
import { rawConnect } from './raw-connection.js';
import { startTestServer, type TestServer } from './test-server.js';
import { SSL_REQUEST } from './wire-frames.js';

/** TLS as Postgres serves it: SSLRequest → 'S', then the whole startup over TLS; plain text stays possible. */
let stateRoot: string;
let srv: TestServer;

beforeAll(async () => {
  stateRoot = await mkdtemp(path.join(os.tmpdir(), 'ppg-tls-'));
  srv = await startTestServer({ tls: await ensureTlsIdentity(stateRoot) });
});
afterAll(async () => {
  await srv?.cleanup();
  await rm(stateRoot, { recursive: true, force: true });
});

describe('TLS', () => {
  it('makes the certificate once, key readable by the user only', async () => {
    const file = path.join(stateRoot, 'tls', 'server.pem');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await ensureTlsIdentity(stateRoot);
    expect(again).toEqual(await ensureTlsIdentity(stateRoot));
    expect(again.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('answers SSLRequest with S', async () => {
    const raw = await rawConnect(srv.port);
    raw.socket.write(SSL_REQUEST);
    const answer = await raw.until((data) => data.length > 0);
    expect(answer.subarray(0, 1).toString()).toBe('S');
    raw.destroy();
  });

  it('pg with ssl (sslmode=require semantics) talks over TLS; sslmode=disable stays plain', async () => {
    const secure = new pg.Client({ connectionString: srv.url.replace('sslmode=disable', 'sslmode=no-verify') });
    await secure.connect();
    try {
      const stream = (secure as unknown as { connection: { stream: TLSSocket } }).connection.stream;
      expect(stream.encrypted).toBe(true);
      expect((await secure.query('select $1::int * 2 as v', [21])).rows).toEqual([{ v: 42 }]);
    } finally {
      await secure.end();
    }
    const plain = new pg.Client({ connectionString: srv.url });
    await plain.connect();
    try {
      expect((plain as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream.encrypted).toBeFalsy();
      expect((await plain.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await plain.end();
    }
  });

  it("direct TLS (sslnegotiation=direct, Postgres 17's handshake without SSLRequest, ALPN postgresql) works too", async () => {
    const direct = new pg.Client({ connectionString: srv.url.replace('sslmode=disable', 'sslmode=no-verify&sslnegotiation=direct') });
    await direct.connect();
    try {
      const stream = (direct as unknown as { connection: { stream: TLSSocket } }).connection.stream;
      expect(stream.encrypted).toBe(true);
      expect(stream.alpnProtocol).toBe('postgresql');
      expect((await direct.query('select $1::int + 1 as v', [41])).rows).toEqual([{ v: 42 }]);
    } finally {
      await direct.end();
    }
  });

  it('direct TLS without ALPN postgresql is refused in the TLS handshake', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: srv.port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error) => resolve(`refused: ${error.message}`));
    });
    expect(outcome).toMatch(/^refused: .*(no_application_protocol|alert)/i);
  });

  it('postgres.js with ssl: require, and a wrong password over TLS is still 28P01', async () => {
    const sql = postgres(srv.url.replace('?sslmode=disable', ''), { ssl: 'require', max: 1 });
    try {
      expect(await sql`select 'tls' as v`).toEqual([{ v: 'tls' }]);
    } finally {
      await sql.end();
    }
    const wrong = new pg.Client({ connectionString: srv.urlFor({ password: 'nope' }).replace('sslmode=disable', 'sslmode=no-verify') });
    wrong.on('error', () => undefined);
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('psql with sslmode=require connects and reports an SSL connection', async () => {
    const psql = findBinary('psql');
    expect(psql, 'psql is installed by .ci/run').not.toBeNull();
    const { stdout } = await promisify(execFile)(psql!, ['-X', '-At', srv.url.replace('sslmode=disable', 'sslmode=require'), '-c', '\\conninfo'], { encoding: 'utf8', timeout: 30_000 });
    expect(stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
  });
});
