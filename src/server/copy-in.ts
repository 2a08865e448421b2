import { splitFrames, summarizeOutput } from './backend-output.js';
import type { Engine } from './engine.js';
import { BACKEND, concatBytes, copyFailMessage, frame, FRONTEND, queryMessage, type TransactionStatus } from './wire-messages.js';

/**
 * COPY FROM STDIN. PGlite cannot pause inside a COPY, so the data of one is held until the client ends it,
 * and the whole COPY (query, data, CopyDone) runs as one batch at the end; until then the engine is free
 * for others (outside a transaction). The client's COPY query is answered first from a probe.
 */

/** Bigger COPY FROM STDIN payloads are refused rather than buffered. */
export const COPY_LIMIT_BYTES = 512 * 1024 * 1024;

export interface CopyStart {
  /** What the client gets: the CopyInResponse, or the statement's real output (an error). */
  reply: Uint8Array;
  /** The client now sends the data. */
  started: boolean;
  /** The transaction status the COPY leaves until its data comes (null: the output said none). */
  status: TransactionStatus | null;
}

/**
 * Tells whether the COPY can start, on an engine the client owns (with the client's transaction `status`):
 * the statement runs with an immediate CopyFail, which yields the exact CopyInResponse (or the exact
 * error) and no rows; inside a transaction it runs in a savepoint, so the transaction comes out as it was.
 * If the statement fails, it runs again alone inside a transaction, so the error (and the aborted
 * transaction) is real. In a failed transaction it just runs, for Postgres' own 25P02.
 */
export async function probeCopy<S>(engine: Engine<S>, query: Uint8Array, status: TransactionStatus): Promise<CopyStart> {
  if (status === 'E') {
    const out = await engine.exec(query);
    return { reply: out, started: false, status: summarizeOutput(out).status };
  }
  const inTransaction = status === 'T';
  const fail = copyFailMessage('ppg-dev probe');
  const out = await engine.exec(inTransaction
    ? concatBytes([queryMessage('SAVEPOINT ppg_copy_probe'), query, fail, queryMessage('ROLLBACK TO SAVEPOINT ppg_copy_probe; RELEASE SAVEPOINT ppg_copy_probe')])
    : concatBytes([query, fail]));
  const copyInResponse = splitFrames(out).find((f) => f.type === BACKEND.CopyInResponse);
  if (!copyInResponse) {
    const real = inTransaction ? await engine.exec(query) : out;
    return { reply: real, started: false, status: summarizeOutput(real).status };
  }
  return { reply: copyInResponse.bytes.slice(), started: true, status };
}

export class CopyInBuffer {
  private parts: Uint8Array[] = [];
  private size = 0;

  /**
   * `query` is the COPY statement's Query message; `csv` says it reads CSV (see `withoutCsvEndMarker`).
   * `limitBytes` defaults to COPY_LIMIT_BYTES.
   */
  constructor(
    readonly query: Uint8Array,
    private readonly csv: boolean,
    private readonly limitBytes = COPY_LIMIT_BYTES,
  ) {}

  /**
   * Takes the client's next message. Returns null while the COPY goes on, else the batch that ends it: the
   * query, the data and CopyDone; or the query and a CopyFail (the client's own, or ours when the data
   * passes the limit or another message type arrives), so the engine reports the failure in its words.
   */
  receive(message: Uint8Array): Uint8Array[] | null {
    const type = message[0]!;
    if (type === FRONTEND.CopyData) {
      this.size += message.length;
      if (this.size > this.limitBytes) {
        this.parts = [];
        return [this.query, copyFailMessage(`COPY data exceeds ppg-dev's limit of ${this.limitBytes} bytes; split it into smaller COPY statements`)];
      }
      this.parts.push(message);
      return null;
    }
    if (type === FRONTEND.Flush || type === FRONTEND.Sync) return null; // ignored during COPY, as Postgres does
    const parts = this.parts;
    this.parts = [];
    if (type === FRONTEND.CopyDone) return [this.query, ...(this.csv ? withoutCsvEndMarker(parts) : parts), message];
    if (type === FRONTEND.CopyFail) return [this.query, message];
    return [this.query, copyFailMessage(`unexpected message type 0x${type.toString(16)} during COPY from stdin`)];
  }
}

/**
 * psql up to 17 ends inline data (`COPY … FROM STDIN` in a script or on stdin) with a `\.` line and sends
 * that line as data; Postgres 18 reads it as a CSV row ("invalid input syntax … \"\\.\""), so a final `\.`
 * line (alone on its line, as the last bytes) is dropped. Only the last line: anywhere else it is data, as in
 * Postgres 18. Text format needs nothing (the server still takes `\.` as the end there). `copyData` are
 * whole CopyData messages; the marker may be split across them.
 */
export function withoutCsvEndMarker(copyData: Uint8Array[]): Uint8Array[] {
  const marker = endMarkerLength(copyData);
  if (marker === 0) return copyData;
  const kept = copyData.slice();
  let drop = marker;
  while (drop > 0) {
    const last = kept.pop()!;
    const payload = last.length - 5;
    if (payload > drop) kept.push(frame(FRONTEND.CopyData, last.subarray(5, last.length - drop)));
    drop -= Math.min(drop, payload);
  }
  return kept;
}

/** Up to 6 bytes: a line break (or the start of the data) and `\.`, `\.\n` or `\.\r\n`. */
const TAIL_BYTES = 6;
const END_MARKER = /[\r\n](\\\.(?:\r?\n)?)$/;

function endMarkerLength(copyData: Uint8Array[]): number {
  let tail = '';
  let total = 0;
  for (let i = copyData.length - 1; i >= 0; i--) {
    const payload = copyData[i]!.subarray(5);
    total += payload.length;
    const take = Math.min(payload.length, TAIL_BYTES - tail.length);
    if (take > 0) tail = String.fromCharCode(...payload.subarray(payload.length - take)) + tail;
  }
  // The start of the data is the start of a line.
  const match = END_MARKER.exec(total === tail.length ? `\n${tail}` : tail);
  return match ? match[1]!.length : 0;
}
