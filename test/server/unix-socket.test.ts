import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf } from './async-checks.js';
import { findBinary } from './find-binary.js';
import { startTestServer, type TestServer } from './test-server.js';

/** The Unix-domain socket next to the TCP port, as Postgres has it. */
let socketDir: string;
const servers: TestServer[] = [];

beforeEach(async () => {
  socketDir = await mkdtemp(path.join(os.tmpdir(), 'ppg-sock-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.cleanup()));
  await rm(socketDir, { recursive: true, force: true });
});

async function serve(): Promise<TestServer> {
  const server = await startTestServer({ socketDir });
  servers.push(server);
  return server;
}

function socketClient(server: TestServer, password = 'postgres'): pg.Client {
  const client = new pg.Client({ host: socketDir, port: server.port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined);
  return client;
}

describe('Unix-domain socket', () => {
  it('serves .s.PGSQL.<port> in the socket directory, with password authentication, and removes it on close', async () => {
    const server = await serve();
    expect(server.server.socketPath).toBe(path.join(socketDir, `.s.PGSQL.${server.port}`));
    const client = socketClient(server);
    await client.connect();
    try {
      expect((await client.query('select 41 + 1 as v')).rows).toEqual([{ v: 42 }]);
      // The same databases as over TCP.
      await client.query('create table via_socket (v int)');
    } finally {
      await client.end();
    }
    const tcp = new pg.Client({ connectionString: server.url });
    await tcp.connect();
    expect((await tcp.query("select count(*)::int as n from pg_tables where tablename = 'via_socket'")).rows).toEqual([{ n: 1 }]);
    await tcp.end();
    expect((await rejectionOf(socketClient(server, 'wrong').connect())).code).toBe('28P01');
    await server.cleanup();
    expect(existsSync(path.join(socketDir, `.s.PGSQL.${server.port}`))).toBe(false);
  });

  it('psql connects through the socket directory (-h <dir> -p <port>)', async () => {
    const psql = findBinary('psql');
    expect(psql, 'psql is installed by .ci/run').not.toBeNull();
    const server = await serve();
    // Asynchronously: the server lives in this process.
    const result = await promisify(execFile)(psql!, ['-X', '-At', '-h', socketDir, '-p', String(server.port), '-U', 'postgres', '-d', 'postgres', '-c', 'select 7 * 6'], {
      env: { ...process.env, PGPASSWORD: 'postgres' }, encoding: 'utf8', timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('42');
  });

  it('a file left by a dead server is replaced; a live server on the same socket is refused (SOCKET_IN_USE)', async () => {
    const first = await serve();
    const port = first.port;
    await first.server.close();
    await writeFile(path.join(socketDir, `.s.PGSQL.${port}`), 'left by a server that died');
    const second = await startTestServer({ socketDir, port });
    servers.push(second);
    const client = socketClient(second);
    await client.connect();
    await client.end();
    // Same port on another loopback address: TCP allows it, the socket path is the same one.
    const clash = await rejectionOf(startTestServer({ socketDir, port, host: '127.0.0.2' }).then((third) => {
      servers.push(third);
      return third;
    }));
    expect(clash.code).toBe('SOCKET_IN_USE');
    expect(existsSync(path.join(socketDir, `.s.PGSQL.${port}`))).toBe(true);
  });
});
