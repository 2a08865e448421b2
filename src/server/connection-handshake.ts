import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { PostgresConnection, type ScramSha256Data } from 'pg-gateway';
import { saslInitialResponseError, StartupFramer } from './startup-framer.js';
import {
  BACKEND, CANCEL_REQUEST, errorResponse, GSSENC_REQUEST, negotiateProtocolVersion, parseErrorFields, PROTOCOL_3_0, readInt32,
  REQUEST_ACCEPTED, REQUEST_REFUSED, SSL_REQUEST,
} from './wire-messages.js';

/**
 * The pre-session part of a connection: SSLRequest, StartupMessage and SCRAM (or MD5) authentication are done by
 * pg-gateway; around it we answer what it does not (GSSENCRequest, CancelRequest, bad startup packets),
 * make its SCRAM failure code standard (28P01), and take the socket back once the client is authenticated.
 */
/**
 * How a login as a user is checked, from one lookup of its role: by SCRAM against a verifier, or by MD5
 * (`hash`: md5(password || username) in hex) for a role whose stored password is MD5, as under pg_hba
 * `md5` (which runs SCRAM for SCRAM passwords).
 */
export type LoginCheck = { method: 'scram'; verifier: ScramSha256Data } | { method: 'md5'; hash: string };

export interface HandshakeOptions {
  /** How a login as `username` to `database` is checked. */
  loginCheckFor(username: string, database: string): Promise<LoginCheck>;
  onCancelRequest(pid: number, secret: number): void;
  /** Postgres' authentication_timeout. */
  timeoutMs: number;
  /** Answer SSLRequest with 'S' and go on over TLS. Without it, SSLRequest gets 'N' (plain text goes on). */
  tls?: SecureContext | undefined;
}

export interface Handshake {
  params: Record<string, string>;
  /** Where the session talks to the client: the TCP socket, or the TLS socket over it. */
  socket: Socket;
}

// pg-gateway treats null as "handled, nothing to send" although its types do not admit it.
const HANDLED = null as unknown as undefined;

function fatal(socket: Socket, code: string, message: string): void {
  if (!socket.destroyed) socket.end(errorResponse({ severity: 'FATAL', code, message }));
}

function isSslRequest(message: Uint8Array): boolean {
  return message.length === 8 && readInt32(message, 4) === SSL_REQUEST;
}

/** Makes pg-gateway's SCRAM failure (28000) the code Postgres uses for a failed password (28P01). */
function standardizeAuthFailure(chunk: Uint8Array): Uint8Array {
  if (chunk[0] !== BACKEND.ErrorResponse) return chunk;
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
    const framer = new StartupFramer();
    // pg-gateway pulls one message at a time, so whatever follows the last authentication message stays
    // in the framer and goes back to the socket for the session.
    let waiting: ReadableStreamDefaultController<Uint8Array> | null = null;
    let ended = false;
    /** Stops this handshake's own listening: nothing more is read or timed here. */
    const letGo = () => {
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const finish = (result: Handshake | null) => {
      if (settled) return;
      letGo();
      // Until the session attaches its reader, bytes must wait in the socket instead of being dropped.
      socket.pause();
      if (!result) {
        socket.destroy();
      } else {
        const rest = framer.takeRest();
        if (rest.length > 0) socket.unshift(Buffer.from(rest));
      }
      resolve(result);
    };
    const timer = setTimeout(() => {
      fatal(socket, '08006', 'canceling authentication due to timeout');
      finish(null);
    }, options.timeoutMs);
    timer.unref();

    const deliver = () => {
      if (!waiting || settled) return;
      const event = framer.next();
      if (event?.kind === 'message' && options.tls && isSslRequest(event.bytes)) {
        upgradeToTls(options.tls);
        return;
      }
      if (event?.kind === 'message') {
        const controller = waiting;
        waiting = null;
        controller.enqueue(event.bytes);
      } else if (event) {
        if (event.kind === 'fatal') fatal(socket, event.code, event.message);
        finish(null);
      } else if (ended) {
        waiting.close();
        waiting = null;
      }
    };
    let firstChunk = true;
    const onData = (chunk: Buffer) => {
      if (firstChunk && options.tls && chunk[0] === TLS_HANDSHAKE_RECORD) {
        startDirectTls(options.tls, chunk);
        return;
      }
      firstChunk = false;
      framer.push(chunk);
      deliver();
      // Nobody is reading: leave further bytes in the kernel instead of buffering without bound.
      if (!waiting && !settled) socket.pause();
    };
    const onClose = () => {
      ended = true;
      deliver();
      finish(null);
    };
    socket.on('data', onData);
    socket.on('close', onClose);

    const readable = new ReadableStream<Uint8Array>({
      pull(controller) {
        waiting = controller;
        if (!settled) socket.resume();
        deliver();
      },
    }, { highWaterMark: 0 });
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
    let passwordMessages = 0;

    const startedAt = Date.now();
    /**
     * SSLRequest with TLS on: 'S', then the whole handshake again over TLS (pg-gateway's own TLS path needs
     * its Node socket adapter, which the framing above replaces). This plain-text half ends quietly.
     */
    const upgradeToTls = (context: SecureContext): void => {
      if (framer.takeRest().length > 0) {
        // Postgres: the client must wait for the answer before it starts TLS.
        fatal(socket, '08P01', 'received unencrypted data after SSL request');
        finish(null);
        return;
      }
      letGo();
      waiting?.close();
      waiting = null;
      socket.write(new Uint8Array([REQUEST_ACCEPTED]));
      const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
      secure.on('error', () => secure.destroy());
      const remaining = Math.max(1, options.timeoutMs - (Date.now() - startedAt));
      resolve(performHandshake(secure, { ...options, tls: undefined, timeoutMs: remaining }));
    };
    /**
     * Postgres 17's direct TLS: the client opens with a TLS ClientHello instead of an SSLRequest, and must
     * name the protocol by ALPN. The hello was already read off the socket, so TLS runs over a stream
     * that hands it over first and then the socket's own bytes.
     */
    const startDirectTls = (context: SecureContext, hello: Buffer): void => {
      letGo();
      waiting?.close();
      waiting = null;
      const secure = new TLSSocket(socketStartingWith(socket, hello), {
        isServer: true, secureContext: context, ALPNProtocols: ['postgresql'],
        // No ALPN, or another protocol: refused during the TLS handshake, as Postgres does.
        ALPNCallback: ({ protocols }) => (protocols.includes('postgresql') ? 'postgresql' : undefined),
      });
      secure.on('error', () => {
        secure.destroy();
        socket.destroy();
      });
      const remaining = Math.max(1, options.timeoutMs - (Date.now() - startedAt));
      resolve(performHandshake(secure as unknown as Socket, { ...options, tls: undefined, timeoutMs: remaining }));
    };
    const connection = new PostgresConnection({ readable, writable }, {
      // Replaced at startup (pg-gateway starts the authentication after onStartup), once the user is known.
      auth: { method: 'scram-sha-256', getScramSha256Data: () => Promise.reject(new Error('no startup packet yet')) },
      async onStartup(state) {
        const params = state.clientParams;
        if (!params) return;
        const check = await options.loginCheckFor(params.user, params.database || params.user);
        connection.options.auth = check.method === 'md5'
          ? { method: 'md5', getPreHashedPassword: () => check.hash }
          : { method: 'scram-sha-256', getScramSha256Data: () => check.verifier };
      },
      onMessage(message, state) {
        if (state.step === 'AwaitingInitialMessage') {
          const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
          const code = message.length >= 8 ? view.getInt32(4) : 0;
          if (message.length === 8 && code === GSSENC_REQUEST) {
            return new Uint8Array([REQUEST_REFUSED]);
          }
          if (message.length === 16 && code === CANCEL_REQUEST) {
            options.onCancelRequest(view.getInt32(8), view.getInt32(12));
            finish(null);
            return HANDLED;
          }
          if (message.length === 8 && code === SSL_REQUEST) {
            return undefined;
          }
          if (code >>> 16 === 3 && code !== PROTOCOL_3_0) {
            // Newer minor versions (3.2): accept as 3.0 and tell the client, as Postgres does.
            view.setInt32(4, PROTOCOL_3_0);
            socket.write(negotiateProtocolVersion());
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
        // The first password message of SCRAM is the SASLInitialResponse; pg-gateway trusts its lengths.
        const scram = connection.options.auth.method === 'scram-sha-256';
        const problem = scram && state.step === 'PerformingAuthentication' && passwordMessages++ === 0 ? saslInitialResponseError(message) : null;
        if (problem) {
          fatal(socket, '08P01', problem);
          finish(null);
          return HANDLED;
        }
        return undefined;
      },
      async onAuthenticated(state) {
        // Detaching here stops pg-gateway before it sends its own minimal ParameterStatus/ReadyForQuery;
        // the session sends the full set with BackendKeyData.
        await connection.detach();
        finish({ params: { ...(state.clientParams as Record<string, string>) }, socket });
      },
    });
  });
}

/** The first byte of a TLS handshake record (a ClientHello), where a Postgres packet has a length. */
const TLS_HANDSHAKE_RECORD = 0x16;

/** A duplex over `socket` whose readable side yields `first` before the socket's later bytes. */
function socketStartingWith(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.resume();
  return duplex;
}
