import type http from 'node:http';

/**
 * Runs @prisma/query-plan-executor in this process and bridges Node's http requests to its
 * fetch-style (Hono) handler. The executor is the same one `prisma dev` runs: it connects to the
 * instance's TCP server with its own pg pool and executes the query plans Prisma Client 7 compiles.
 * Loaded lazily by the HTTP server only: it is a 5 MB bundle.
 */

export interface QueryPlanExecutorOptions {
  /** TCP URL of the database the executor's pool connects to. */
  databaseUrl: string;
  /** Default 128 MiB. */
  maxResponseBytes?: number;
  /** Default 5 minutes. */
  queryTimeoutMs?: number;
  /** Upper bound on an interactive transaction's `timeout` and `maxWait`. Default 5 minutes. */
  maxTransactionTimeoutMs?: number;
  /** Receives a line for every 5xx answer. */
  log: (line: string) => void;
}

export interface QueryPlanExecutor {
  /** The executor's version: the Prisma Client version whose query plans it runs. */
  readonly version: string;
  /** Answers one request; `body` is the already-read JSON body of POST routes. */
  forward(request: http.IncomingMessage, response: http.ServerResponse, body: ParsedJsonBody | undefined): Promise<void>;
  /** Rolls back open transactions and closes the pool. */
  shutdown(): Promise<void>;
}

type ExecutorModule = typeof import('@prisma/query-plan-executor');

const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

export interface ParsedJsonBody {
  text: string;
  value: unknown;
}

/**
 * A Request whose body was already read and parsed here (for the size limit and the JSON check). The
 * executor's router reads bodies only through json()/text(); answering those from the parsed copy
 * skips a second parse and a web-stream round trip per query (measurable at ~1 ms requests).
 */
function requestWithParsedBody(url: string, init: RequestInit, body: ParsedJsonBody): Request {
  const request = new Request(url, init);
  const bytes = (): ArrayBuffer => {
    const buffer = Buffer.from(body.text, 'utf8');
    return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
  };
  // Own properties shadow the prototype's readers (a subclass cannot override them: lib.dom types them as properties).
  Object.defineProperties(request, {
    json: { value: () => Promise.resolve(body.value) },
    text: { value: () => Promise.resolve(body.text) },
    arrayBuffer: { value: () => Promise.resolve(bytes()) },
  });
  return request;
}

/**
 * The executor finds its per-request logger through OpenTelemetry's active context. Without a
 * registered context manager that context is a no-op and every request fails with "No active logger
 * found", so register the AsyncLocalStorage one unless the host process already has one.
 */
async function ensureContextManager(): Promise<void> {
  const [{ context, ROOT_CONTEXT }, { AsyncLocalStorageContextManager }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
  ]);
  const probe = Symbol('ppg-dev context probe');
  const works = context.with(ROOT_CONTEXT.setValue(probe, true), () => context.active().getValue(probe) === true);
  if (!works) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/**
 * Creates the executor and its pool (the pool connects lazily, on the first query). Throws on an
 * unsupported database URL.
 */
export async function startQueryPlanExecutor(options: QueryPlanExecutorOptions): Promise<QueryPlanExecutor> {
  const { log } = options;
  await ensureContextManager();
  const executorModule: ExecutorModule = await import('@prisma/query-plan-executor');
  const executorVersion = executorModule.version;
  const { parseDuration } = executorModule;
  const toDuration = (ms: number) => parseDuration(`PT${ms / 1000}S`);
  const maxTransactionMs = options.maxTransactionTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const executor = await executorModule.Server.create({
    databaseUrl: options.databaseUrl,
    queryTimeout: toDuration(options.queryTimeoutMs ?? DEFAULT_TIMEOUT_MS),
    maxTransactionTimeout: toDuration(maxTransactionMs),
    maxTransactionWaitTime: toDuration(maxTransactionMs),
    maxResponseSize: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    // The executor logs through a context logger; without one per request its error path throws.
    perRequestLogContext: { logFormat: 'text', logLevel: 'off' },
  });

  async function forward(request: http.IncomingMessage, response: http.ServerResponse, body: ParsedJsonBody | undefined): Promise<void> {
    const headers = new Headers();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value === undefined || key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(key, item);
    }
    // The body is already checked to be JSON; Hono's validator insists on the JSON content type.
    if (body !== undefined) headers.set('content-type', 'application/json');
    const url = `http://127.0.0.1${request.url ?? '/'}`;
    const init = { method: request.method ?? 'GET', headers };
    const executorRequest = body === undefined ? new Request(url, init) : requestWithParsedBody(url, init, body);
    const executorResponse = await executor.fetch(executorRequest);
    const bytes = Buffer.from(await executorResponse.arrayBuffer());
    const outgoing: Record<string, string> = {};
    executorResponse.headers.forEach((value, key) => {
      if (key !== 'content-length' && key !== 'transfer-encoding') outgoing[key] = value;
    });
    if (executorResponse.status >= 500) log(`prisma http: ${request.method} ${request.url} -> ${executorResponse.status} ${bytes.toString('utf8').slice(0, 500)}`);
    response.writeHead(executorResponse.status, { ...outgoing, 'content-length': String(bytes.length) });
    response.end(request.method === 'HEAD' ? undefined : bytes);
  }

  return { version: executorVersion, forward, shutdown: () => executor.shutdown() };
}
