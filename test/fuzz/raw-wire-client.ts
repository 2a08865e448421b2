import { createRequire } from 'node:module';
import net from 'node:net';

/**
 * A raw TCP client that speaks the frontend side of the protocol frame by frame, so a fuzz case can stop
 * at any protocol state (between SCRAM messages, inside COPY, ...) and then write arbitrary bytes.
 * The SCRAM arithmetic is node-postgres' own (pg/lib/crypto/sasl.js); everything else is written here.
 */
interface ScramSession {
  response: string;
}
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[]): ScramSession;
  continueSession(session: ScramSession, password: string, serverData: string): Promise<void>;
};

const WRITE_BOUND_MS = 5_000;

export const USER = 'postgres';
export const PASSWORD = 'postgres';

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
}

/** Big-endian 16 bits; values outside the signed range wrap (fuzzed counts and versions may be any 16 bits). */
export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE((n << 16) >> 16);
  return b;
}

export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

/** A typed frontend message: tag byte, Int32 length (body + 4), body. */
export function typed(tag: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([tag]), int32(body.length + 4), body]);
}

export function startupPacket(params: Record<string, string>): Buffer {
  const body = Buffer.concat([int32(196608), ...Object.entries(params).map(([k, v]) => cstr(`${k}\0${v}`)), Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
}

export const SSL_REQUEST = Buffer.concat([int32(8), int32(80877103)]);
export const GSSENC_REQUEST = Buffer.concat([int32(8), int32(80877104)]);

export interface BackendMessage {
  tag: string;
  body: Buffer;
  /** Offset of the message in everything received. */
  offset: number;
}

/** The backend messages in a byte buffer (whole messages only; untyped single-byte SSL answers are skipped by the caller). */
export function parseBackendMessages(data: Buffer, start = 0): BackendMessage[] {
  const out: BackendMessage[] = [];
  let i = start;
  while (i + 5 <= data.length) {
    const length = data.readInt32BE(i + 1);
    if (length < 4 || i + 1 + length > data.length) break;
    out.push({ tag: String.fromCharCode(data[i]!), body: data.subarray(i + 5, i + 1 + length), offset: i });
    i += 1 + length;
  }
  return out;
}

export class RawWireClient {
  private data = Buffer.alloc(0);
  private closedFlag = false;
  private readonly wakers = new Set<() => void>();
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    // Writes after the server closed (EPIPE, ECONNRESET) are part of the fuzzing, not failures.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.closedFlag = true;
      this.wake();
      resolve();
    }));
  }

  static async connect(port: number): Promise<RawWireClient> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawWireClient(socket);
  }

  received(): Buffer {
    return this.data;
  }

  isClosed(): boolean {
    return this.closedFlag;
  }

  /**
   * Writes and waits until the kernel took the bytes, the socket is gone, or WRITE_BOUND_MS passed (a
   * server that stopped reading; the caller's invariants judge whether that is a leak).
   */
  write(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, WRITE_BOUND_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.write(bytes, done);
      void this.closed.then(done);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Resolves once `check(received)` holds; rejects when the socket closes first or after `timeoutMs`
   * (a failure bound: the wait itself is event-driven).
   */
  until(check: (data: Buffer) => boolean, what: string, timeoutMs = 10_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${describe(this.data)}`)), timeoutMs);
      const finish = (error: Error | null) => {
        clearTimeout(timer);
        this.wakers.delete(test);
        if (error) reject(error);
        else resolve(this.data);
      };
      const test = () => {
        if (check(this.data)) finish(null);
        else if (this.closedFlag) finish(new Error(`connection closed while waiting for ${what}; received ${describe(this.data)}`));
      };
      this.wakers.add(test);
      test();
    });
  }

  /** Waits for a backend message with `tag` (and matching `where`) at or after byte `from`. */
  async message(tag: string, what: string, from = 0, where: (m: BackendMessage) => boolean = () => true): Promise<BackendMessage> {
    let found: BackendMessage | undefined;
    await this.until((data) => {
      found = parseBackendMessages(data, from).find((m) => m.tag === tag && where(m));
      return found !== undefined;
    }, what);
    return found!;
  }

  /**
   * Logs in with SCRAM-SHA-256 and stops after `stopAfter`: 'sasl' = the server asked for SASL (client-first
   * not sent), 'continue' = client-first sent and server-first received (client-final not sent), 'ready' =
   * authenticated and idle. `split` cuts each message this client sends into writes (see writeSplit);
   * `afterFinal` is pipelined right behind the client-final message, in the same split stream.
   */
  async login(
    stopAfter: 'sasl' | 'continue' | 'ready', database = 'postgres', split: (bytes: Buffer) => Buffer[] = (b) => [b],
    afterFinal: Buffer = Buffer.alloc(0),
  ): Promise<void> {
    await this.writeSplit(startupPacket({ user: USER, database }), split);
    const saslAsk = await this.message('R', 'AuthenticationSASL', 0, (m) => m.body.readInt32BE(0) === 10);
    if (stopAfter === 'sasl') return;
    const session = sasl.startSession(['SCRAM-SHA-256']);
    const first = Buffer.from(session.response);
    await this.writeSplit(typed(0x70, Buffer.concat([cstr('SCRAM-SHA-256'), int32(first.length), first])), split);
    const serverFirst = await this.message('R', 'AuthenticationSASLContinue', saslAsk.offset, (m) => m.body.readInt32BE(0) === 11);
    if (stopAfter === 'continue') return;
    await sasl.continueSession(session, PASSWORD, serverFirst.body.subarray(4).toString());
    await this.writeSplit(Buffer.concat([typed(0x70, Buffer.from(session.response)), afterFinal]), split);
    await this.message('Z', 'ReadyForQuery after login', serverFirst.offset);
  }

  /** Writes `bytes` as the chunks `split` makes, each in its own write, yielding to the event loop between them. */
  async writeSplit(bytes: Buffer, split: (bytes: Buffer) => Buffer[]): Promise<void> {
    for (const chunk of split(bytes)) {
      await this.write(chunk);
      // Let the chunk leave before the next one, so the server's reads see the boundaries we chose.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Number of ReadyForQuery messages received so far. */
  readyCount(): number {
    return parseBackendMessages(this.data).filter((m) => m.tag === 'Z').length;
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}

function describe(data: Buffer): string {
  const tags = parseBackendMessages(data).map((m) => m.tag).join('');
  return `${data.length} bytes [${tags.slice(0, 80)}${tags.length > 80 ? '…' : ''}]`;
}
