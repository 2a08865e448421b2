import { parentPort, workerData } from 'node:worker_threads';
import { mayChangeRoles, readRoles } from './engine-roles.js';
import { BACKEND, concatBytes, queryMessage, SYNC_MESSAGE } from './wire-messages.js';
import { installSessionFunctions, mayDropSessionFunctions, preparePGlite, type OpenedPGlite } from './pglite-open.js';
import { SLOT, type EngineReply, type EngineRequest, type EngineWorkerData } from './engine-protocol.js';

/**
 * The worker thread that owns one database's PGlite. It runs one request at a time, in the order they
 * arrive, so the main thread can match replies to requests by order alone. SQL runs only here: while a
 * statement runs, the main thread keeps serving sockets, timers and other databases, and can end this
 * thread to interrupt it (see engine.ts).
 */

/** Output is sent on while a batch runs once this much has gathered, so a big result streams. */
const STREAM_CHUNK_BYTES = 256 * 1024;

const port = parentPort!;
const { dataDir, wasmModule, slots } = workerData as EngineWorkerData;
// PGlite starts as far as it can without the data directory while the thread waits for 'open' (a thread
// booted ahead of a restart or a reopen waits the longest): see preparePGlite.
let prepared = preparePGlite(dataDir, wasmModule);
let opened: OpenedPGlite | null = null;
const requests: EngineRequest[] = [];
let running = false;
/** A batch mentioned roles; they are read again once no transaction is open (a rollback may undo them). */
let rolesDirty = false;
/** A batch may have DISCARDed the server's temporary functions; they are made again between batches. */
let functionsDirty = false;

function reply(message: EngineReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

const ROLLBACK = queryMessage('ROLLBACK');

async function exec(bytes: Uint8Array, detached: boolean): Promise<void> {
  const db = opened!.db;
  let lastOutput = new Uint8Array(0);
  let previousOutput = new Uint8Array(0);
  let parts: Uint8Array[] = [];
  let size = 0;
  await db.execProtocolRawStream(bytes, {
    syncToFs: false,
    onRawData: (chunk) => {
      // The chunk is a view into WASM memory, reused by the next write: copy it.
      previousOutput = lastOutput;
      lastOutput = chunk.slice();
      parts.push(lastOutput);
      size += chunk.length;
      if (size >= STREAM_CHUNK_BYTES) {
        const data = concatBytes(parts);
        reply({ kind: 'chunk', data }, [data.buffer as ArrayBuffer]);
        parts = [];
        size = 0;
      }
    },
  });
  const data = concatBytes(parts);
  let leftOpen = false;
  const complete = endsWithReadyForQuery(lastOutput.length >= 6 ? lastOutput : concatBytes([previousOutput, lastOutput]));
  if (detached && (db.isInTransaction() || !complete)) {
    // Other clients' batches are queued behind this one and must not run inside what it left open. The
    // main side only detaches batches that cannot do this; if one did anyway, it is undone and reported.
    leftOpen = true;
    if (!complete) db.execProtocolRawSync(SYNC_MESSAGE);
    if (db.isInTransaction()) db.execProtocolRawSync(ROLLBACK);
  }
  const inTransaction = db.isInTransaction();
  rolesDirty ||= mayChangeRoles(bytes);
  // Only between batches: in an unfinished extended batch (no ReadyForQuery yet) a query of ours would
  // become part of the client's batch.
  const betweenBatches = !inTransaction && (complete || leftOpen);
  const roles = rolesDirty && betweenBatches ? readRoles(db) : undefined;
  functionsDirty ||= mayDropSessionFunctions(bytes);
  if (functionsDirty && betweenBatches) {
    installSessionFunctions(db);
    functionsDirty = false;
  }
  if (roles) rolesDirty = false;
  reply({ kind: 'done', data, inTransaction, ...(roles ? { roles } : {}), ...(leftOpen ? { leftOpen } : {}) }, [data.buffer as ArrayBuffer]);
}

/**
 * The batch's output ends with ReadyForQuery (the batch is complete): `output` holds at least the last six
 * bytes PGlite wrote.
 */
function endsWithReadyForQuery(output: Uint8Array): boolean {
  return output.length >= 6 && output[output.length - 6] === BACKEND.ReadyForQuery;
}

async function handle(request: EngineRequest): Promise<void> {
  switch (request.kind) {
    case 'open':
      opened = await prepared.open();
      reply({ kind: 'opened', parameterStatus: [...opened.parameterStatus], roles: readRoles(opened.db) });
      return;
    case 'exec':
      if (slots && request.slot !== undefined && Atomics.compareExchange(slots, request.slot, SLOT.QUEUED, SLOT.STARTED) === SLOT.SKIP) {
        reply({ kind: 'skipped' });
        return;
      }
      return exec(request.bytes, request.detached === true);
    case 'catalog':
      await opened!.extensions.installCatalog();
      reply({ kind: 'done', data: new Uint8Array(0), inTransaction: opened!.db.isInTransaction() });
      return;
    case 'close': {
      const db = opened?.db;
      if (db && !db.closed) {
        if (db.isInTransaction()) db.execProtocolRawSync(request.rollback);
        await db.close();
      }
      opened = null;
      if (request.prepare) prepared = preparePGlite(dataDir, wasmModule);
      reply({ kind: 'closed' });
      return;
    }
  }
}

async function pump(): Promise<void> {
  if (running) return;
  running = true;
  while (requests.length > 0) {
    const request = requests.shift()!;
    try {
      await handle(request);
    } catch (error) {
      const fields = error as { code?: unknown; hint?: unknown };
      reply({
        kind: 'failed',
        message: error instanceof Error ? error.message : String(error),
        code: typeof fields.code === 'string' ? fields.code : undefined,
        hint: typeof fields.hint === 'string' ? fields.hint : undefined,
      });
    }
  }
  running = false;
}

port.on('message', (request: EngineRequest) => {
  requests.push(request);
  void pump();
});
