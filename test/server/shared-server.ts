import type net from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** Tracks `pg` clients so a test can always end them, even after a failure. */
export class ClientBag {
  private readonly clients = new Set<pg.Client>();
  private readonly pools = new Set<pg.Pool>();

  constructor(private readonly url: string) {}

  /** A connected client that records (not throws) async 'error' events, e.g. a FATAL after idle timeout. */
  async connect(config: Partial<pg.ClientConfig> = {}): Promise<pg.Client & { errors: Error[] }> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 30_000, ...config }) as pg.Client & { errors: Error[] };
    client.errors = [];
    client.on('error', (error) => client.errors.push(error));
    this.clients.add(client);
    await client.connect();
    return client;
  }

  pool(config: Partial<pg.PoolConfig> = {}): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.url, connectionTimeoutMillis: 30_000, ...config });
    pool.on('error', () => undefined);
    this.pools.add(pool);
    return pool;
  }

  async endAll(): Promise<void> {
    const ends: Promise<unknown>[] = [];
    for (const client of this.clients) {
      // A client whose server hangs would wait forever for end(): destroy its socket after 5 s.
      const stream = (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
      let timer: NodeJS.Timeout | undefined;
      ends.push(Promise.race([
        client.end().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            stream.destroy();
            resolve();
          }, 5_000);
        }),
      ]).finally(() => clearTimeout(timer)));
    }
    for (const pool of this.pools) ends.push(pool.end().catch(() => undefined));
    this.clients.clear();
    this.pools.clear();
    await Promise.all(ends);
  }
}

export interface SharedServer<S extends { url: string; cleanup(): Promise<void> }> {
  /** Set in beforeAll. */
  srv: S;
  /** Clients of the current test; ended after each test. */
  bag: ClientBag;
}

/**
 * One server for the tests of a file (or of the describe block it is called in): started before them,
 * every client a test opened through `bag` ended after it, the server and its temp dir removed at the end.
 */
export function useSharedServer<S extends { url: string; cleanup(): Promise<void> }>(start: () => Promise<S>): SharedServer<S> {
  const shared = {} as SharedServer<S>;
  beforeAll(async () => {
    shared.srv = await start();
    shared.bag = new ClientBag(shared.srv.url);
  });
  afterEach(async () => shared.bag?.endAll());
  afterAll(async () => shared.srv?.cleanup());
  return shared;
}
