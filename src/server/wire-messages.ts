/**
 * The server's one vocabulary of the Postgres wire protocol: message type codes, and the encoding and
 * decoding of the messages the server itself produces or inspects. Everything else passes through as opaque
 * bytes. (Cutting bytes into messages is frame-reader.ts.)
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---- message type codes ----

/** What a client sends, by message name. The same byte means another message from the server ('D', 'E' …). */
export const FRONTEND = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  /** PasswordMessage, and the SASL messages, which share its type. */
  Password: 0x70, // p
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
} as const;

/** What the server sends, by message name. */
export const BACKEND = {
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyData: 0x64, // d
  CopyInResponse: 0x47, // G
  DataRow: 0x44, // D
  ErrorResponse: 0x45, // E
  NegotiateProtocolVersion: 0x76, // v
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const;

/** What a Describe or Close names: a prepared statement or a portal. */
export const DESCRIBE_TARGET = { Statement: 0x53, Portal: 0x50 } as const;

/** Codes in the second word of an untyped startup-phase packet. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** The one-byte answers to SSLRequest and GSSENCRequest. */
export const REQUEST_ACCEPTED = 0x53; // S
export const REQUEST_REFUSED = 0x4e; // N

// ---- bytes ----

export function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

/** One array holding `parts` in order; a single part is returned as it is (not copied). */
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

export function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

// ---- frontend messages the server sends to PGlite on its own behalf ----

export function queryMessage(sql: string): Uint8Array {
  return frame(FRONTEND.Query, cstring(sql));
}

export const SYNC_MESSAGE: Uint8Array = frame(FRONTEND.Sync, new Uint8Array(0));

export function copyFailMessage(reason: string): Uint8Array {
  return frame(FRONTEND.CopyFail, cstring(reason));
}

export function startupMessage(params: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of Object.entries(params)) parts.push(cstring(key), cstring(value));
  parts.push(new Uint8Array(1));
  const body = concatBytes(parts);
  return concatBytes([int32(8 + body.length), int32(PROTOCOL_3_0), body]);
}

// ---- backend messages ----

export type TransactionStatus = 'I' | 'T' | 'E';

export function readyForQuery(status: TransactionStatus): Uint8Array {
  return frame(BACKEND.ReadyForQuery, encoder.encode(status));
}

export function parameterStatus(name: string, value: string): Uint8Array {
  return frame(BACKEND.ParameterStatus, concatBytes([cstring(name), cstring(value)]));
}

export function backendKeyData(pid: number, secret: number): Uint8Array {
  return frame(BACKEND.BackendKeyData, concatBytes([int32(pid), int32(secret)]));
}

export function commandComplete(tag: string): Uint8Array {
  return frame(BACKEND.CommandComplete, cstring(tag));
}

/** NegotiateProtocolVersion: the newest minor version of protocol 3 we speak (0), and no unknown options. */
export function negotiateProtocolVersion(): Uint8Array {
  return frame(BACKEND.NegotiateProtocolVersion, concatBytes([int32(PROTOCOL_3_0), int32(0)]));
}

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/**
 * What Postgres sends a backend it ends from outside: pg_terminate_backend's target, and every client at a
 * shutdown (and so at a reset or restore of a running instance).
 */
export const ADMINISTRATOR_TERMINATION: ErrorFields = { severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command' };

/** ErrorResponse ('E'), or NoticeResponse ('N') for WARNING/NOTICE severities. */
export function errorResponse(fields: ErrorFields): Uint8Array {
  const entries: [string, string][] = [['S', fields.severity], ['V', fields.severity], ['C', fields.code], ['M', fields.message]];
  if (fields.detail !== undefined) entries.push(['D', fields.detail]);
  if (fields.hint !== undefined) entries.push(['H', fields.hint]);
  const notice = fields.severity === 'WARNING' || fields.severity === 'NOTICE';
  return frame(notice ? BACKEND.NoticeResponse : BACKEND.ErrorResponse, errorFieldsBody(entries));
}

/** The body of an ErrorResponse/NoticeResponse: each field as its one-letter key and a C string. */
export function errorFieldsBody(entries: Iterable<[string, string]>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of entries) parts.push(encoder.encode(key), cstring(value));
  parts.push(new Uint8Array(1));
  return concatBytes(parts);
}

export function notificationResponse(pid: number, channel: string, payload: string): Uint8Array {
  return frame(BACKEND.NotificationResponse, concatBytes([int32(pid), cstring(channel), cstring(payload)]));
}

// ---- reading ----

export function readInt32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(offset);
}

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
