/**
 * Encoding and decoding of the Postgres wire messages the server itself produces or inspects.
 * Everything else passes through as opaque bytes.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function frame(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function cstring(value: string): Uint8Array {
  const bytes = encoder.encode(value);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

// ---- frontend messages the server sends to PGlite on its own behalf ----

export function queryMessage(sql: string): Uint8Array {
  return frame('Q', cstring(sql));
}

export const SYNC_MESSAGE: Uint8Array = frame('S', new Uint8Array(0));

export function copyFailMessage(reason: string): Uint8Array {
  return frame('f', cstring(reason));
}

export function startupMessage(params: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of Object.entries(params)) parts.push(cstring(key), cstring(value));
  parts.push(new Uint8Array(1));
  const body = concatBytes(parts);
  const out = new Uint8Array(8 + body.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, out.length);
  view.setInt32(4, 196608);
  out.set(body, 8);
  return out;
}

// ---- backend messages ----

export type TransactionStatus = 'I' | 'T' | 'E';

export function readyForQuery(status: TransactionStatus): Uint8Array {
  return frame('Z', encoder.encode(status));
}

export function parameterStatus(name: string, value: string): Uint8Array {
  return frame('S', concatBytes([cstring(name), cstring(value)]));
}

export function backendKeyData(pid: number, secret: number): Uint8Array {
  return frame('K', concatBytes([int32(pid), int32(secret)]));
}

export function commandComplete(tag: string): Uint8Array {
  return frame('C', cstring(tag));
}

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** ErrorResponse ('E'), or NoticeResponse ('N') for WARNING/NOTICE severities. */
export function errorResponse(fields: ErrorFields): Uint8Array {
  const parts = [
    encoder.encode('S'), cstring(fields.severity),
    encoder.encode('V'), cstring(fields.severity),
    encoder.encode('C'), cstring(fields.code),
    encoder.encode('M'), cstring(fields.message),
  ];
  if (fields.detail !== undefined) parts.push(encoder.encode('D'), cstring(fields.detail));
  if (fields.hint !== undefined) parts.push(encoder.encode('H'), cstring(fields.hint));
  parts.push(new Uint8Array(1));
  const notice = fields.severity === 'WARNING' || fields.severity === 'NOTICE';
  return frame(notice ? 'N' : 'E', concatBytes(parts));
}

export function notificationResponse(pid: number, channel: string, payload: string): Uint8Array {
  return frame('A', concatBytes([int32(pid), cstring(channel), cstring(payload)]));
}

// ---- reading ----

/** Reads a NUL-terminated string at `offset`; returns it and the offset after the NUL (or -1 if unterminated). */
export function readCString(bytes: Uint8Array, offset: number): { value: string; next: number } {
  const end = bytes.indexOf(0, offset);
  if (end < 0) return { value: '', next: -1 };
  return { value: decoder.decode(bytes.subarray(offset, end)), next: end + 1 };
}

/** Parses the fields of an ErrorResponse/NoticeResponse body (without the 5-byte header). */
export function parseErrorFields(body: Uint8Array): Map<string, string> {
  const fields = new Map<string, string>();
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const key = String.fromCharCode(body[offset]!);
    const { value, next } = readCString(body, offset + 1);
    if (next < 0) break;
    fields.set(key, value);
    offset = next;
  }
  return fields;
}
