import { scanFrames } from './frame-reader.js';
import { BACKEND, parseErrorFields, readCString, type TransactionStatus } from './wire-messages.js';

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

export function summarizeOutput(out: Uint8Array): OutputSummary {
  const summary: OutputSummary = { status: null, hasNotification: false, hasParameterStatus: false, hasError: false, hasCopyIn: false };
  scanFrames(out, (type, start) => {
    if (type === BACKEND.ReadyForQuery) summary.status = String.fromCharCode(out[start + 5]!) as TransactionStatus;
    else if (type === BACKEND.NotificationResponse) summary.hasNotification = true;
    else if (type === BACKEND.ParameterStatus) summary.hasParameterStatus = true;
    else if (type === BACKEND.ErrorResponse) summary.hasError = true;
    else if (type === BACKEND.CopyInResponse) summary.hasCopyIn = true;
  });
  return summary;
}

export interface BackendFrame {
  type: number;
  /** The whole frame, header included (a view into the output). */
  bytes: Uint8Array;
}

export function splitFrames(out: Uint8Array): BackendFrame[] {
  const frames: BackendFrame[] = [];
  scanFrames(out, (type, start, end) => frames.push({ type, bytes: out.subarray(start, end) }));
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

/** Text-format rows of every DataRow in the output (NULL as null). For the server's own small queries. */
export function dataRows(out: Uint8Array): (string | null)[][] {
  const decoder = new TextDecoder();
  const rows: (string | null)[][] = [];
  for (const f of splitFrames(out)) {
    if (f.type !== BACKEND.DataRow) continue;
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
    if (f.type === BACKEND.ErrorResponse) return parseErrorFields(f.bytes.subarray(5));
  }
  return null;
}
