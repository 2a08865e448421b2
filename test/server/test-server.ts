import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDbServer, type DbServer, type DbServerOptions } from '../../src/server/db-server.js';

/**
 * One template cache for the whole run (and across runs): every server after the first copies a
 * pristine data directory instead of running initdb.
 */
export const TEMPLATE_CACHE_DIR = path.join(os.tmpdir(), 'ppg-dev-test-templates');

export interface TestServer {
  server: DbServer;
  /** The temp folder holding `dataRoot`; removed by cleanup(). */
  tempDir: string;
  dataRoot: string;
  url: string;
  port: number;
  /** URL of another database / user / password on the same server. */
  urlFor(options?: { database?: string; user?: string; password?: string; params?: string }): string;
  /** Closes the server (idempotent) and removes the temp folder. */
  cleanup(): Promise<void>;
}

export type TestServerOptions = Partial<Omit<DbServerOptions, 'templateCacheDir'>>;

/** Starts a real server on 127.0.0.1 port 0 in a fresh temp dir (or on `dataRoot` when given). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-server-test-'));
  const dataRoot = options.dataRoot ?? path.join(tempDir, 'data');
  let server: DbServer;
  try {
    server = await startDbServer({ host: '127.0.0.1', port: 0, ...options, dataRoot, templateCacheDir: TEMPLATE_CACHE_DIR });
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  return {
    server,
    tempDir,
    dataRoot,
    url: server.url,
    port: server.port,
    urlFor(o = {}) {
      const u = encodeURIComponent(o.user ?? user);
      const p = encodeURIComponent(o.password ?? password);
      const extra = o.params ? `&${o.params}` : '';
      return `postgres://${u}:${p}@127.0.0.1:${server.port}/${encodeURIComponent(o.database ?? 'postgres')}?sslmode=disable${extra}`;
    },
    async cleanup() {
      try {
        await server.close();
      } finally {
        await rm(tempDir, { recursive: true, force: true });
      }
    },
  };
}
