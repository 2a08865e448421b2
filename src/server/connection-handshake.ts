import type { Socket } from 'node:net';
import { PostgresConnection, type ScramSha256Data } from 'pg-gateway';
import { errorResponse, parseErrorFields, concatBytes } from './wire-messages.js';

/**
 * The pre-session part of a connection: SSLRequest, StartupMessage and SCRAM authentication are done by
 * pg-gateway; around it we answer what it does not (GSSENCRequest, CancelRequest, bad startup packets),
 * make its SCRAM failure code standard (28P01), and take the socket back once the client is authenticated.
 */
export interface HandshakeOptions {
  /** SCRAM verifier for the configured user; other user names always fail, as with a wrong password. */
  scramFor(username: string): ScramSha256Data;
  onCancelRequest(pid: number, secret: number): void;
  /** Postgres' authentication_timeout. */
  timeoutMs: number;
}

export interface Handshake {
  params: Record<string, string>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3_0 = 196608;
const MAX_STARTUP_PACKET = 10_000;
// pg-gateway treats null as "handled, nothing to send" although its types do not admit it.
const HANDLED = null as unknown as undefined;

function fatal(socket: Socket, code: string, message: string): void {
  if (!socket.destroyed) socket.end(errorResponse({ severity: 'FATAL', code, message }));
}

/** Makes pg-gateway's SCRAM failure (28000) the code Postgres uses for a failed password (28P01). */
function standardizeAuthFailure(chunk: Uint8Array): Uint8Array {
  if (chunk[0] !== 0x45) return chunk;
  const fields = parseErrorFields(chunk.subarray(5));
  const message = fields.get('M') ?? '';
  if (fields.get('C') !== '28000' || !message.startsWith('password authentication failed')) return chunk;
  return errorResponse({ severity: 'FATAL', code: '28P01', message });
}

/**
 * Resolves with the client's startup parameters once it is authenticated, or null if the connection ended
 * before (cancel request, bad packet, wrong password, timeout, client gone). The socket's later data is
 * the caller's: no byte after the authentication is consumed here.
 */
export function performHandshake(socket: Socket, options: HandshakeOptions): Promise<Handshake | null> {
  return new Promise((resolve) => {
    let settled = false;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let initial = true;
    const finish = (result: Handshake | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      // Until the session attaches its reader, bytes must wait in the socket instead of being dropped.
      socket.pause();
      if (!result) socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      fatal(socket, '08006', 'canceling authentication due to timeout');
      finish(null);
    }, options.timeoutMs);
    timer.unref();

    const onData = (chunk: Buffer) => {
      if (initial && chunk.length >= 4) {
        // pg-gateway would wait forever for an absurd startup length; Postgres rejects it at once.
        const length = chunk.readInt32BE(0);
        if (length < 8 || length > MAX_STARTUP_PACKET) {
          fatal(socket, '08P01', 'invalid length of startup packet');
          finish(null);
          return;
        }
      }
      try {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch {
        finish(null);
      }
    };
    const onClose = () => {
      try {
        controller.close();
      } catch {
        // already closed
      }
      finish(null);
    };
    socket.on('data', onData);
    socket.on('close', onClose);

    const readable = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    const writable = new WritableStream<Uint8Array>({
      write(chunk) {
        if (!socket.destroyed) socket.write(standardizeAuthFailure(chunk));
      },
      close() {
        if (!socket.destroyed) socket.end();
        finish(null);
      },
      abort() {
        finish(null);
      },
    });

    const connection = new PostgresConnection({ readable, writable }, {
      auth: {
        method: 'scram-sha-256',
        getScramSha256Data: ({ username }) => options.scramFor(username),
      },
      onMessage(message, state) {
        if (state.step === 'AwaitingInitialMessage') {
          initial = false;
          const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
          const code = message.length >= 8 ? view.getInt32(4) : 0;
          if (message.length === 8 && code === GSSENC_REQUEST) {
            initial = true;
            return new Uint8Array([0x4e]);
          }
          if (message.length === 16 && code === CANCEL_REQUEST) {
            options.onCancelRequest(view.getInt32(8), view.getInt32(12));
            finish(null);
            return HANDLED;
          }
          if (message.length === 8 && code === SSL_REQUEST) {
            initial = true;
            return undefined;
          }
          if (code >>> 16 === 3 && code !== PROTOCOL_3_0) {
            // Newer minor versions (3.2): accept as 3.0 and tell the client, as Postgres does.
            view.setInt32(4, PROTOCOL_3_0);
            socket.write(concatBytes([new Uint8Array([0x76, 0, 0, 0, 12, 0, 3, 0, 0]), new Uint8Array([0, 0, 0, 0])]));
            return undefined;
          }
          if (code !== PROTOCOL_3_0 || message.length !== view.getInt32(0) || message[message.length - 1] !== 0) {
            fatal(socket, '08P01', `unsupported frontend protocol or invalid startup packet`);
            finish(null);
            return HANDLED;
          }
          if (!/\buser\0/.test(new TextDecoder().decode(message.subarray(8)))) {
            fatal(socket, '28000', 'no PostgreSQL user name specified in startup packet');
            finish(null);
            return HANDLED;
          }
          return undefined;
        }
        if (state.step === 'PerformingAuthentication' && message[0] !== 0x70) {
          fatal(socket, '08P01', `expected password response, got message type ${message[0]}`);
          finish(null);
          return HANDLED;
        }
        return undefined;
      },
      async onAuthenticated(state) {
        // Detaching here stops pg-gateway before it sends its own minimal ParameterStatus/ReadyForQuery;
        // the session sends the full set with BackendKeyData.
        await connection.detach();
        finish({ params: { ...(state.clientParams as Record<string, string>) } });
      },
    });
  });
}
