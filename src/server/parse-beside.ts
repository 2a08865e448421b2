import { splitFrames } from './backend-output.js';
import { EngineInterruptedError, type Engine } from './engine.js';
import { BACKEND, concatBytes, DESCRIBE_TARGET, FRONTEND, queryMessage } from './wire-messages.js';

/**
 * Parse (and Describe/Close of statements) without Bind/Execute needs no transaction of its own. Postgres
 * answers it at once even while other sessions hold transactions, and single-threaded clients rely on that
 * (pgbench -M prepared calls a blocking PQprepare for one connection while another holds a transaction it
 * can only finish afterwards). So such a batch may run inside the owner's idle transaction, within a
 * savepoint that is always rolled back: the owner's transaction and settings come out unchanged, while
 * prepared statements (not transactional) stay. When it may is the scheduler's call
 * (SessionScheduler.routeParseOnly).
 */

/** Parse, Describe/Close of a prepared statement, and Sync: nothing that binds or executes. */
export function isParseOnly(parts: Uint8Array[]): boolean {
  return parts.every((f) => f[0] === FRONTEND.Parse || f[0] === FRONTEND.Sync
    || ((f[0] === FRONTEND.Describe || f[0] === FRONTEND.Close) && f[5] === DESCRIBE_TARGET.Statement));
}

export interface BesideOutput {
  /** The batch's answer for the client, without ReadyForQuery (the engine's carries the owner's status). */
  reply: Uint8Array[];
  failed: boolean;
  /** ParseComplete and CloseComplete messages in it (see SessionStatements.record). */
  parsed: number;
  closed: number;
}

/**
 * Runs the parse-only `batch` beside the owner's transaction, after `switchSql` (the client's settings, or
 * null), as one request so nothing of the owner's runs in between; ROLLBACK TO also undoes the settings.
 * Errors and notices pass through `clientText`. Resolves null if the engine was stopped meanwhile.
 */
export async function runParseBeside<S>(
  engine: Engine<S>, batch: Uint8Array, switchSql: string | null, clientText: (message: Uint8Array) => Uint8Array,
): Promise<BesideOutput | null> {
  const parts = [queryMessage('SAVEPOINT ppg_parse_beside')];
  if (switchSql) parts.push(queryMessage(switchSql));
  parts.push(batch, queryMessage('ROLLBACK TO SAVEPOINT ppg_parse_beside; RELEASE SAVEPOINT ppg_parse_beside'));
  let out: Uint8Array;
  try {
    out = await engine.exec(concatBytes(parts));
  } catch (error) {
    if (error instanceof EngineInterruptedError) return null;
    throw error;
  }
  const own = splitAtReadyForQuery(out)[switchSql ? 2 : 1] ?? new Uint8Array(0);
  const result: BesideOutput = { reply: [], failed: false, parsed: 0, closed: 0 };
  for (const f of splitFrames(own)) {
    if (f.type === BACKEND.ReadyForQuery) continue;
    if (f.type === BACKEND.ParseComplete) result.parsed++;
    else if (f.type === BACKEND.CloseComplete) result.closed++;
    else if (f.type === BACKEND.ErrorResponse) result.failed = true;
    result.reply.push(f.type === BACKEND.ErrorResponse || f.type === BACKEND.NoticeResponse ? clientText(f.bytes) : f.bytes);
  }
  return result;
}

/** The output of each ReadyForQuery-terminated request in `out`, in order. */
function splitAtReadyForQuery(out: Uint8Array): Uint8Array[] {
  const segments: Uint8Array[] = [];
  let start = 0;
  for (const f of splitFrames(out)) {
    if (f.type !== BACKEND.ReadyForQuery) continue;
    const end = f.bytes.byteOffset - out.byteOffset + f.bytes.length;
    segments.push(out.subarray(start, end));
    start = end;
  }
  return segments;
}
