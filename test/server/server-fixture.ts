import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
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

/** Resolves with the error a promise rejects with; fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Polls `check` until it returns true; fails after `timeoutMs` (a failure bound, not a speed check). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Path of a PostgreSQL client binary, or null (tests then skip with the reason in their name). */
export function findBinary(name: string): string | null {
  for (const candidate of [`/usr/bin/${name}`, `/usr/local/bin/${name}`]) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', [name], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : null;
}

// ---- raw protocol helpers (for tests that must see the bytes) ----

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    int32(196608),
    ...Object.entries(params).map(([k, v]) => Buffer.from(`${k}\0${v}\0`)),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

/** A typed frontend message: tag byte, Int32 length, body. */
export function frame(tag: string, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(tag, 'latin1'), int32(body.length + 4), body]);
}

export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

/** A raw TCP socket to the server that collects everything received. */
export interface RawConnection {
  socket: net.Socket;
  received(): Buffer;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Waits until `received()` satisfies `check` or the socket closes. */
  until(check: (data: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
  destroy(): void;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = Buffer.alloc(0);
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    isClosed = true;
    resolve();
  }));
  return {
    socket,
    received: () => data,
    closed,
    isClosed: () => isClosed,
    async until(check, timeoutMs = 20_000) {
      await waitFor(() => check(data) || isClosed, timeoutMs, 'raw socket data');
      return data;
    },
    destroy: () => socket.destroy(),
  };
}

/** Backend messages in a byte buffer (whole frames only). */
export function parseBackend(data: Buffer): { tag: string; body: Buffer }[] {
  const out: { tag: string; body: Buffer }[] = [];
  let i = 0;
  while (i + 5 <= data.length) {
    const len = data.readInt32BE(i + 1);
    if (i + 1 + len > data.length) break;
    out.push({ tag: String.fromCharCode(data[i]!), body: data.subarray(i + 5, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}

/** Fields of an ErrorResponse/NoticeResponse body, keyed by field type ('C' = SQLSTATE, 'M' = message). */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const type = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    fields[type] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return fields;
}

export const SSL_REQUEST = Buffer.concat([int32(8), int32(80877103)]);
export const GSSENC_REQUEST = Buffer.concat([int32(8), int32(80877104)]);

// ---- extended-protocol frame builders (frontend) ----

export const fe = {
  parse: (name: string, text: string): Buffer => frame('P', Buffer.concat([cstr(name), cstr(text), Buffer.from([0, 0])])),
  /** Text-format parameters, text-format results. */
  bind: (portal: string, statement: string, values: (string | null)[] = []): Buffer => {
    const parts: Buffer[] = [cstr(portal), cstr(statement), Buffer.from([0, 0]), Buffer.alloc(2)];
    parts[3]!.writeInt16BE(values.length);
    for (const v of values) {
      if (v === null) parts.push(int32(-1));
      else {
        const b = Buffer.from(v);
        parts.push(int32(b.length), b);
      }
    }
    parts.push(Buffer.from([0, 0]));
    return frame('B', Buffer.concat(parts));
  },
  describe: (kind: 'S' | 'P', name: string): Buffer => frame('D', Buffer.concat([Buffer.from(kind), cstr(name)])),
  execute: (portal = '', maxRows = 0): Buffer => frame('E', Buffer.concat([cstr(portal), int32(maxRows)])),
  sync: (): Buffer => frame('S'),
  flush: (): Buffer => frame('H'),
  query: (sql: string): Buffer => frame('Q', cstr(sql)),
};

/** A backend message as pg-protocol parses it. */
export interface PgMessage {
  name: string;
  fields?: (string | null)[];
  code?: string;
  message?: string;
  status?: string;
}

/**
 * A custom pg "submittable" that writes raw frontend bytes on an authenticated pg connection and
 * collects every backend message until ReadyForQuery. `write()` sends more bytes mid-exchange
 * (e.g. the second half of a split extended batch).
 */
export class RawExchange {
  readonly messages: PgMessage[] = [];
  readonly done: Promise<PgMessage[]>;
  private connection: { stream: net.Socket; on(e: string, f: (m: PgMessage) => void): void; off(e: string, f: (m: PgMessage) => void): void } | null = null;
  private resolve!: (m: PgMessage[]) => void;
  private reject!: (e: Error) => void;
  private readonly listener = (m: PgMessage): void => {
    this.messages.push(m);
    // pg forgets a query after an ErrorResponse, so watch for ReadyForQuery ourselves.
    if (m.name === 'readyForQuery') this.finish();
  };

  private finish(): void {
    this.connection?.off('message', this.listener);
    this.resolve(this.messages);
  }

  constructor(private readonly first: Buffer) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined);
  }

  submit(connection: NonNullable<RawExchange['connection']>): null {
    this.connection = connection;
    connection.on('message', this.listener);
    connection.stream.write(this.first);
    return null;
  }

  write(bytes: Buffer): void {
    if (!this.connection) throw new Error('not submitted yet');
    this.connection.stream.write(bytes);
  }

  has(name: string): boolean {
    return this.messages.some((m) => m.name === name);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCommandComplete(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
  handleError(error: Error & { severity?: string }): void {
    // Server errors arrive as messages too; only a dead connection ends the exchange here.
    if (!error.severity || error.severity === 'FATAL') {
      this.connection?.off('message', this.listener);
      this.reject(error);
    }
  }
  handleReadyForQuery(): void {
    this.finish();
  }
}

export function dataRows(messages: PgMessage[]): (string | null)[][] {
  return messages.filter((m) => m.name === 'dataRow').map((m) => m.fields ?? []);
}

export interface ChildServer {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then SIGKILL if it does not exit (a blocked event loop ignores SIGTERM); removes the temp dir. */
  cleanup(): Promise<void>;
}

/**
 * Starts a server in a child node process (built dist/ required), so a hung engine cannot hang the test.
 * A `dataRoot` or `templateCacheDir` given here belongs to the caller and outlives cleanup().
 */
export async function startChildServer(options: { dataRoot?: string; templateCacheDir?: string } = {}): Promise<ChildServer> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-server-child-'));
  const script = new URL('./server-child.mjs', import.meta.url).pathname;
  const args = [script, options.dataRoot ?? path.join(tempDir, 'data'), options.templateCacheDir ?? TEMPLATE_CACHE_DIR];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(tempDir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitFor(() => out.includes('\n'), 60_000, 'the child server to start'),
      exited.then(() => {
        throw new Error(`child server exited: ${err}`);
      }),
    ]);
  } catch (error) {
    await cleanup();
    throw error;
  }
  const info = JSON.parse(out.split('\n')[0]!) as { port: number; url: string };
  return { ...info, child, stderr: () => err, cleanup };
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
