import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * For tests that stop a server and start another on the same data root: a temp data root, servers on it
 * and clients of them, all ended (last made, first ended) after each test.
 */
export interface RestartFixture {
  tempDataRoot(): Promise<string>;
  serverOn(dataRoot: string): Promise<TestServer>;
  connect(url: string): Promise<pg.Client>;
  onCleanup(cleanup: () => Promise<void>): void;
}

export function useRestartFixture(prefix = 'ppg-dev-restart-'): RestartFixture {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  const onCleanup = (cleanup: () => Promise<void>): void => {
    cleanups.push(cleanup);
  };
  return {
    onCleanup,
    async tempDataRoot() {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      onCleanup(() => rm(dir, { recursive: true, force: true }));
      return path.join(dir, 'data');
    },
    async serverOn(dataRoot) {
      const srv = await startTestServer({ dataRoot });
      onCleanup(() => srv.cleanup());
      return srv;
    },
    async connect(url) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
      client.on('error', () => undefined);
      await client.connect();
      onCleanup(() => client.end());
      return client;
    },
  };
}
