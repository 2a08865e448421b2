import net from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { closeTestDatabasePools, createTestDatabase } from '../../src/package-api.js';
import { queryRows } from '../support/pg-client.js';
import { rejectionOf } from '../server/async-checks.js';
import { useSharedServer } from '../server/shared-server.js';
import { cstr, frame, int32 } from '../server/wire-frames.js';
import { startTestServer } from '../server/test-server.js';

/** createTestDatabase against a real server: copies of a seeded template, one per test, warm pool included. */
const shared = useSharedServer(startTestServer);

async function seedTemplate(): Promise<void> {
  await queryRows(shared.srv.url, 'create database seeded');
  const seeded = new pg.Client({ connectionString: shared.srv.urlFor({ database: 'seeded' }) });
  await seeded.connect();
  await seeded.query("create table todos (title text); insert into todos values ('write tests'), ('ship')");
  await seeded.end();
}

describe('createTestDatabase', () => {
  it('hands out independent copies of the template, keeps copies ready, and drops what it made', async () => {
    await seedTemplate();
    const first = await createTestDatabase({ template: 'seeded', url: shared.srv.url, warm: 2 });
    const second = await createTestDatabase({ template: 'seeded', url: shared.srv.url, warm: 2 });
    try {
      expect(first.name).not.toBe(second.name);
      expect(await queryRows(first.url, 'select current_database() as db')).toEqual([{ db: first.name }]);
      await queryRows(first.url, "insert into todos values ('only in first')");
      expect(await queryRows(second.url, 'select title from todos order by title')).toEqual([{ title: 'ship' }, { title: 'write tests' }]);
      expect(await queryRows(shared.srv.urlFor({ database: 'seeded' }), 'select count(*)::int as n from todos')).toEqual([{ n: 2 }]);
    } finally {
      await first.drop();
      await second.drop();
    }
    expect((await rejectionOf(queryRows(first.url, 'select 1'))).code).toBe('3D000');
    // The pool made copies ahead of demand; closing it drops them, leaving only what was there before.
    await closeTestDatabasePools();
    expect(await shared.srv.server.databases()).toEqual(['postgres', 'seeded']);
  });

  it('a template that does not exist, or no server URL, is a clear error', async () => {
    expect((await rejectionOf(createTestDatabase({ template: 'missing', url: shared.srv.url, warm: 0 }))).code).toBe('3D000');
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect((await rejectionOf(createTestDatabase({ template: 'seeded' }))).code).toBe('NO_SERVER_URL');
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  it('a connection the server ends (FATAL 57P01, as at its shutdown) rejects the call instead of crashing the process', async () => {
    // A fake server: accepts the startup, says ready, and at once ends the session as a Postgres shutting
    // down does, before the client has sent its statement. pg emits that as an 'error' event.
    const fatal = ['SFATAL', 'VFATAL', 'C57P01', 'Mterminating connection due to administrator command'].map(cstr);
    const goodbye = Buffer.concat([
      frame('R', int32(0)), // AuthenticationOk
      frame('Z', Buffer.from('I')),
      frame('E', Buffer.concat([...fatal, Buffer.from([0])])),
    ]);
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(goodbye));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
      await expect(createTestDatabase({ template: 'seeded', url, warm: 0 })).rejects.toMatchObject({ code: '57P01' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
