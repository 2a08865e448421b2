import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkApiKey, type InstanceIdentity } from './api-key-check.js';
import { isServableClientVersion } from './client-version-check.js';
import { buildPrismaDevUrls, type PrismaDevUrls } from './prisma-dev-urls.js';
import { classifyRoute, isLocalHostHeader } from './prisma-http-routes.js';
import { startQueryPlanExecutor, type ParsedJsonBody, type QueryPlanExecutor } from './query-plan-executor-bridge.js';
import { readJsonBody } from './read-json-body.js';

/**
 * The HTTP endpoint behind `prisma+postgres://localhost:<port>/?api_key=…`: what Prisma Client 7 calls
 * when it is given `accelerateUrl`. Queries arrive as query plans compiled by the client, and
 * `@prisma/query-plan-executor` (loaded lazily: it is a 5 MB bundle) runs them in-process against the
 * instance's TCP server, like `prisma dev` does. ppg-dev adds only the edges: the api_key check, a body
 * size limit, a JSON check, the client-version check and clear answers for the Prisma 5/6 protocol.
 */

export interface PrismaHttpServerOptions {
  /** Instance name; api_keys must carry it. */
  name: string;
  /** TCP URL of the main database (as `buildPrismaDevUrls` makes it); the executor connects here. */
  databaseUrl: string;
  /** TCP URL of the shadow database; only its port matters (api_keys must carry it). */
  shadowDatabaseUrl: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. Default 0 (`prisma dev`'s is 51213; choosing it is the caller's job). */
  port?: number;
  /** Largest accepted request body. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Largest response the executor may build. Default 128 MiB. */
  maxResponseBytes?: number;
  /** Per-query time limit. Default 5 minutes. */
  queryTimeoutMs?: number;
  /** Upper bound on an interactive transaction's `timeout` and `maxWait`. Default 5 minutes. */
  maxTransactionTimeoutMs?: number;
  /**
   * Time a client has to send its request headers; a slower one (headers trickled a byte at a time) gets
   * 408 and is closed. Default 20 s.
   */
  headersTimeoutMs?: number;
  /** One line per failed request (5xx) and per executor error. Default: silent. */
  log?: (line: string) => void;
}

export interface PrismaHttpServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The URL family for this instance with the real HTTP port (the one to print and write to .env). */
  readonly urls: PrismaDevUrls;
  /** Stops listening, rolls back the executor's open transactions and closes its pool. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
const AUTH_CACHE_SIZE = 32;

/** Prisma Client 7 sends its own version here (see isServableClientVersion). */
const ENGINE_HASH_HEADER = 'prisma-engine-hash';

function sendJson(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length, ...headers });
  response.end(bytes);
}

/** Prisma Client shows `error` as the message of the PrismaClientKnownRequestError it throws. */
function sendError(response: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: message }, headers);
}

const LINGER_MS = 2_000;
/** Enough for the client to read the answer; a client that goes on sending more is cut off. */
const LINGER_BYTES = 8 * 1024 * 1024;

function lingerThenClose(request: http.IncomingMessage): void {
  const socket = request.socket;
  let discarded = 0;
  const close = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) close();
  });
  request.on('end', close);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function portOf(url: string, label: string): { port: number; user: string; password: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${label} is not a URL`);
  }
  const port = Number(parsed.port || 5432);
  return { port, user: decodeURIComponent(parsed.username || 'postgres'), password: decodeURIComponent(parsed.password || 'postgres') };
}

/**
 * Starts the endpoint. The executor and its pool are created on the first query request (a bad
 * `databaseUrl` is then reported to that request).
 * Fails with the listen error (EADDRINUSE) when the port is taken.
 */
export async function startPrismaHttpServer(options: PrismaHttpServerOptions): Promise<PrismaHttpServer> {
  const database = portOf(options.databaseUrl, 'databaseUrl');
  const shadow = portOf(options.shadowDatabaseUrl, 'shadowDatabaseUrl');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? (() => undefined);
  // Created on the first request that needs it: the bundle costs ~0.2 s and ~80 MB, and most instances
  // are only ever reached over TCP.
  let executorStart: Promise<QueryPlanExecutor> | null = null;
  const getExecutor = (): Promise<QueryPlanExecutor> => {
    executorStart ??= startQueryPlanExecutor({
      databaseUrl: options.databaseUrl,
      ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(options.queryTimeoutMs !== undefined ? { queryTimeoutMs: options.queryTimeoutMs } : {}),
      ...(options.maxTransactionTimeoutMs !== undefined ? { maxTransactionTimeoutMs: options.maxTransactionTimeoutMs } : {}),
      log,
    });
    return executorStart;
  };
  const shutdownExecutor = async (): Promise<void> => {
    if (executorStart) await (await executorStart).shutdown();
  };


  const identity: InstanceIdentity = {
    name: options.name,
    httpPort: 0,
    databasePort: database.port,
    shadowDatabasePort: shadow.port,
  };

  const authCache = new Map<string, ReturnType<typeof checkApiKey>>();

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (!isLocalHostHeader(request.headers.host)) {
      sendError(response, 403, `Forbidden: the ppg-dev instance "${options.name}" answers only requests addressed to localhost.`);
      return;
    }
    const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const route = classifyRoute(request.method ?? 'GET', pathname);
    switch (route.kind) {
      case 'health':
        sendJson(response, 200, { name: options.name });
        return;
      case 'not-found':
        sendError(response, 404, `Not found: ${request.method} ${pathname} is not a route of the ppg-dev instance "${options.name}".`);
        return;
      case 'method-not-allowed':
        sendError(response, 405, `Method not allowed: ${pathname} takes ${route.allow}.`, { allow: route.allow });
        return;
      case 'legacy':
        sendError(
          response,
          400,
          `Prisma Client ${route.clientVersion} speaks the Prisma 5/6 Accelerate protocol, which the ppg-dev instance ` +
            `"${options.name}" does not serve over HTTP. Use the TCP URL ${buildUrls().databaseUrl} with a driver adapter ` +
            `(@prisma/adapter-pg), or upgrade to Prisma ${(await getExecutor()).version}.`,
        );
        return;
      case 'executor':
        break;
    }

    const authorization = firstHeader(request.headers.authorization);
    let auth = authorization === undefined ? undefined : authCache.get(authorization);
    if (!auth) {
      auth = checkApiKey(authorization, identity);
      // A client sends the same key with every request; decoding it each time costs more than the routing.
      if (authorization !== undefined && authorization.length <= 4096) {
        if (authCache.size >= AUTH_CACHE_SIZE) authCache.clear();
        authCache.set(authorization, auth);
      }
    }
    if (!auth.ok) {
      sendError(response, auth.status, auth.message);
      return;
    }
    const clientVersion = firstHeader(request.headers[ENGINE_HASH_HEADER]);
    const executor = await getExecutor();
    const executorVersion = executor.version;
    if (!isServableClientVersion(clientVersion, executorVersion)) {
      sendError(
        response,
        400,
        `Prisma Client ${clientVersion ?? '<missing version>'} is not supported over HTTP by the ppg-dev instance ` +
          `"${options.name}", which runs query plans of Prisma Client ${executorVersion.replace(/\.\d+$/, '.x')}. Install @prisma/client@${executorVersion}, ` +
          `or use the TCP URL ${buildUrls().databaseUrl} with a driver adapter (@prisma/adapter-pg).`,
      );
      return;
    }
    let body: ParsedJsonBody | undefined;
    if (route.needsBody) {
      const read = await readJsonBody(request, maxBodyBytes);
      if (!read.ok) {
        if (read.status === 413) {
          // The rest of the body is still coming. Closing at once, with it unread, makes the kernel send a
          // reset that can destroy the 413 before the client reads it; so read and discard for a while
          // (a lingering close, as nginx does), then close. No `connection: close` header: Node would
          // then close the socket itself as soon as the answer is written.
          sendError(response, 413, read.message);
          lingerThenClose(request);
          return;
        }
        sendError(response, read.status, read.message);
        return;
      }
      body = { text: read.text, value: read.value };
    }
    await executor.forward(request, response, body);
  }

  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  // Node checks the headers timeout on this interval (30 s by default), so it must be finer than the timeout.
  const server = http.createServer({ headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1_000, headersTimeout / 4)) }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`prisma http: ${request.method} ${request.url} failed: ${(error as Error)?.stack ?? String(error)}`);
      sendError(response, 500, `Internal error in the ppg-dev instance "${options.name}": ${(error as Error)?.message ?? String(error)}`);
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await shutdownExecutor().catch(() => undefined);
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  identity.httpPort = port;

  function buildUrls(): PrismaDevUrls {
    return buildPrismaDevUrls({
      name: options.name,
      httpPort: port,
      databasePort: database.port,
      shadowDatabasePort: shadow.port,
      user: database.user,
      password: database.password,
    });
  }
  const urls = buildUrls();

  let closing: Promise<void> | null = null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    urls,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await shutdownExecutor();
      })();
      return closing;
    },
  };
}
