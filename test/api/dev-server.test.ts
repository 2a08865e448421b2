import { describe, expect, it } from 'vitest';
import { getDevServer, startDevServer } from '../../src/package-api.js';
import { queryRows } from '../support/pg-client.js';
import { runPpg } from '../support/ppg-process.js';
import { useSandbox } from '../support/sandbox-hooks.js';

/** The programmatic API, in this process, against a temp PPG_DEV_HOME. */
const box = useSandbox();

describe('startDevServer / getDevServer', () => {
  it('memory: a throwaway server with the whole URL family; nothing of it is left after close()', async () => {
    const server = await startDevServer({ persistence: 'memory', port: 0, env: box().env, cwd: box().project });
    try {
      expect(await queryRows(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      await queryRows(server.url, 'create table t (v int)');
      expect(server.prismaUrl).toMatch(/^prisma\+postgres:\/\/localhost:\d+\/\?api_key=/);
      const health = await fetch(`http://127.0.0.1:${new URL(server.prismaUrl.replace('prisma+postgres:', 'http:')).port}/health`);
      expect(health.status).toBe(200);
      expect(await queryRows(server.shadowUrl.replace('localhost', '127.0.0.1'), 'select current_database() as db')).toEqual([{ db: 'postgres' }]);
      // Not an instance of the state directory: ppg dev ls and getDevServer do not see it.
      expect(await getDevServer(server.name, { env: box().env })).toBeNull();
    } finally {
      await server.close();
    }
    await expect(queryRows(server.url, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const again = await startDevServer({ persistence: 'memory', port: 0, env: box().env, cwd: box().project });
    try {
      expect(await queryRows(again.url, "select count(*)::int as n from pg_tables where tablename = 't'")).toEqual([{ n: 0 }]);
    } finally {
      await again.close();
    }
  });

  it('persistent: an instance of the state directory, seen by getDevServer and ppg dev ls while it runs, with its data kept across close()', async () => {
    const first = await startDevServer({ name: 'api-db', env: box().env, cwd: box().project });
    try {
      await queryRows(first.url, "create table kept (v text); insert into kept values ('yes')");
      expect(await getDevServer('api-db', { env: box().env })).toEqual({ name: 'api-db', url: first.url, shadowUrl: first.shadowUrl, prismaUrl: first.prismaUrl });
      const listed = await runPpg(['dev', 'ls', '--json'], { env: box().env, cwd: box().project });
      expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'api-db', status: 'running', url: first.url })]);
      await expect(startDevServer({ name: 'api-db', env: box().env, cwd: box().project })).rejects.toMatchObject({ code: expect.stringMatching(/^(INSTANCE|DATA_DIR)_LOCKED$/) });
    } finally {
      await first.close();
    }
    expect(await getDevServer('api-db', { env: box().env })).toBeNull();
    const second = await startDevServer({ name: 'api-db', env: box().env, cwd: box().project });
    try {
      expect(second.url).toBe(first.url);
      expect(await queryRows(second.url, 'select v from kept')).toEqual([{ v: 'yes' }]);
    } finally {
      await second.close();
    }
  });
});
