import { CANCEL_REQUEST, concatBytes, FRONTEND, GSSENC_REQUEST, readInt32, SSL_REQUEST } from './wire-messages.js';

/**
 * Cuts the bytes a client sends before it is authenticated into whole messages, and judges each one the way
 * Postgres' postmaster does, before pg-gateway sees it. pg-gateway frames a chunk with the rules of the
 * state it had when the chunk arrived: bytes that follow the startup packet in the same write are read as
 * untyped frames, and a length of 0 there makes its loop spin forever (one packet froze the whole server).
 * Feeding it exactly one message per read, each a fresh buffer, keeps it on the path it handles well.
 */
export const MAX_STARTUP_PACKET = 10_000;
/** Postgres' PG_MAX_AUTH_TOKEN_LENGTH: the largest password/SASL message it reads. */
export const MAX_AUTH_MESSAGE = 65_535;


export type StartupEvent =
  /** A message for pg-gateway (a copy, never a view into the client's chunk). */
  | { kind: 'message'; bytes: Uint8Array }
  /** The client said goodbye (Terminate) before authenticating: close quietly, as Postgres does. */
  | { kind: 'terminate' }
  /** The connection must end with this FATAL error. */
  | { kind: 'fatal'; code: string; message: string };

export class StartupFramer {
  private buffered: Uint8Array = new Uint8Array(0);
  /** After a StartupMessage (not an SSL/GSSENC request), messages carry a type byte. */
  private typed = false;
  private failed = false;

  /** Adds received bytes; nothing is judged until `next()` asks for the next message. */
  push(chunk: Uint8Array): void {
    if (this.failed) return;
    // A plain Uint8Array copy: Buffer's slice() would be a view, and pg-gateway reads views wrongly.
    this.buffered = this.buffered.length === 0 ? new Uint8Array(chunk) : concatBytes([this.buffered, chunk]);
  }

  /**
   * The next message, or null until more bytes arrive. Messages are cut one at a time, when the reader
   * asks: once authentication succeeds, whatever follows is not ours to judge (a client may pipeline its
   * first query behind the last SASL message). After a terminal event it returns null for good.
   */
  next(): StartupEvent | null {
    if (this.failed) return null;
    const event = this.typed ? this.nextTyped() : this.nextUntyped();
    if (event && event.kind !== 'message') {
      this.failed = true;
      this.buffered = new Uint8Array(0);
    }
    return event;
  }

  /** Bytes received but not yet returned as a message: they belong to whoever reads the socket next. */
  takeRest(): Uint8Array {
    const rest = this.buffered;
    this.buffered = new Uint8Array(0);
    return rest;
  }

  private nextUntyped(): StartupEvent | null {
    // A client that gives up before its startup packet sends a bare Terminate: Postgres closes quietly.
    if (this.buffered[0] === FRONTEND.Terminate && (this.buffered.length < 5 || readInt32(this.buffered, 1) === 4)) {
      return this.buffered.length < 5 ? null : { kind: 'terminate' };
    }
    if (this.buffered.length < 4) return null;
    const length = readInt32(this.buffered, 0);
    if (length < 8 || length > MAX_STARTUP_PACKET) return { kind: 'fatal', code: '08P01', message: 'invalid length of startup packet' };
    if (this.buffered.length < length) return null;
    const bytes = this.take(length);
    const code = readInt32(bytes, 4);
    if (code !== SSL_REQUEST && code !== GSSENC_REQUEST && code !== CANCEL_REQUEST) this.typed = true;
    return { kind: 'message', bytes };
  }

  private nextTyped(): StartupEvent | null {
    if (this.buffered.length < 1) return null;
    const type = this.buffered[0]!;
    if (type === FRONTEND.Terminate) return { kind: 'terminate' };
    if (type !== FRONTEND.Password) {
      return { kind: 'fatal', code: '08P01', message: `expected password response, got message type ${type}` };
    }
    if (this.buffered.length < 5) return null;
    const length = readInt32(this.buffered, 1);
    if (length < 4 || length > MAX_AUTH_MESSAGE) return { kind: 'fatal', code: '08P01', message: `invalid message length ${length}` };
    if (this.buffered.length < 1 + length) return null;
    return { kind: 'message', bytes: this.take(1 + length) };
  }

  private take(length: number): Uint8Array {
    const bytes = this.buffered.slice(0, length);
    this.buffered = this.buffered.subarray(length);
    return bytes;
  }
}

/**
 * Checks a SASLInitialResponse body (after type and length) the way Postgres does: a mechanism name, then a
 * length that is exactly the rest. SCRAM needs the client-first message, so -1 (no initial response, which
 * pg-gateway would read as a length and throw on) is refused too. Returns an error message, or null.
 */
export function saslInitialResponseError(message: Uint8Array): string | null {
  const body = message.subarray(5);
  const nul = body.indexOf(0);
  if (nul < 0) return 'invalid SASL initial response: no mechanism name';
  const rest = body.length - nul - 1;
  if (rest < 4) return 'invalid SASL initial response: no response length';
  const declared = readInt32(body, nul + 1);
  if (declared === -1) return 'invalid SASL initial response: SCRAM needs the client-first message';
  if (declared !== rest - 4) return 'invalid SASL initial response: length does not match the message';
  return null;
}
