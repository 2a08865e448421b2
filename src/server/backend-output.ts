import { parseErrorFields, readCString, type TransactionStatus } from './wire-messages.js';

/**
 * Fast scans over what PGlite returns for a batch. Called once per batch on the hot path, so it walks
 * frame headers only and never copies unless something must be removed.
 */
export interface OutputSummary {
  /** Status byte of the last ReadyForQuery, or null if the output has none (mid-batch, COPY). */
  status: TransactionStatus | null;
  hasNotification: boolean;
  hasParameterStatus: boolean;
  hasError: boolean;
  hasCopyIn: boolean;
}

const Z = 0x5a;
const A = 0x41;
const S = 0x53;
const E = 0x45;
const G = 0x47;

export function summarizeOutput(out: Uint8Array): OutputSummary {
  const summary: OutputSummary = { status: null, hasNotification: false, hasParameterStatus: false, hasError: false, hasCopyIn: false };
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let offset = 0;
  while (offset + 5 <= out.length) {
    const type = out[offset]!;
    const length = view.getInt32(offset + 1);
    if (type === Z) summary.status = String.fromCharCode(out[offset + 5]!) as TransactionStatus;
    else if (type === A) summary.hasNotification = true;
    else if (type === S) summary.hasParameterStatus = true;
    else if (type === E) summary.hasError = true;
    else if (type === G) summary.hasCopyIn = true;
    offset += 1 + length;
  }
  return summary;
}

export interface BackendFrame {
  type: number;
  /** The whole frame, header included (a view into the output). */
  bytes: Uint8Array;
}

export function splitFrames(out: Uint8Array): BackendFrame[] {
  const frames: BackendFrame[] = [];
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let offset = 0;
  while (offset + 5 <= out.length) {
    const length = view.getInt32(offset + 1);
    frames.push({ type: out[offset]!, bytes: out.subarray(offset, offset + 1 + length) });
    offset += 1 + length;
  }
  return frames;
}

export interface Notification {
  channel: string;
  payload: string;
}

export function parseNotification(frameBytes: Uint8Array): Notification {
  const channel = readCString(frameBytes, 9);
  const payload = readCString(frameBytes, channel.next);
  return { channel: channel.value, payload: payload.value };
}

export function parameterStatusName(frameBytes: Uint8Array): string {
  return readCString(frameBytes, 5).value;
}

export const FRAME_TYPE = { Z, A, S, E, G, N: 0x4e, PARSE_COMPLETE: 0x31, CLOSE_COMPLETE: 0x33 } as const;

const D = 0x44;

/** Text-format rows of every DataRow in the output (NULL as null). For the server's own small queries. */
export function dataRows(out: Uint8Array): (string | null)[][] {
  const decoder = new TextDecoder();
  const rows: (string | null)[][] = [];
  for (const f of splitFrames(out)) {
    if (f.type !== D) continue;
    const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    const columns = view.getInt16(5);
    let offset = 7;
    const row: (string | null)[] = [];
    for (let c = 0; c < columns; c++) {
      const length = view.getInt32(offset);
      offset += 4;
      if (length < 0) row.push(null);
      else {
        row.push(decoder.decode(f.bytes.subarray(offset, offset + length)));
        offset += length;
      }
    }
    rows.push(row);
  }
  return rows;
}

/** The first ErrorResponse's fields, or null. */
export function firstError(out: Uint8Array): Map<string, string> | null {
  for (const f of splitFrames(out)) {
    if (f.type === E) return parseErrorFields(f.bytes.subarray(5));
  }
  return null;
}
