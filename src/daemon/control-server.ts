import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import { isPpgError } from '../ppg-error.js';
import type { ControlReply, HoldMode, HoldRequest } from './control-channel.js';

/** What the control server holds: the instance's servers' quiesce (see DbServer.quiesce). */
export interface Quiescable {
  quiesce<T>(mode: HoldMode, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T>;
}

export interface ControlServer {
  close(): Promise<void>;
}

/** A request line longer than this is not ours. */
const MAX_REQUEST_BYTES = 4096;

/**
 * Serves the control channel (control-channel.ts) for a running daemon. The socket file is replaced if
 * one is left (the caller holds the instance lock, so no other daemon of this instance listens there).
 * `onReleased` runs after each hold that ended with a release (the daemon then remakes spare copies).
 */
export async function startControlServer(
  socketPath: string, servers: { main: Quiescable; shadow: Quiescable }, log: (line: string) => void, onReleased: () => void = () => undefined,
): Promise<ControlServer> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, servers, log, onReleased).catch((error: unknown) => {
      log(`control: ${error instanceof Error ? error.message : String(error)}`);
      socket.destroy();
    });
  });
  if (process.platform !== 'win32') await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  if (process.platform !== 'win32') await chmod(socketPath, 0o600);
  return {
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy(); // a hold in progress is released by its close
      await closed;
    },
  };
}

function send(socket: net.Socket, reply: ControlReply): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
}

/** Reads lines from the socket; resolves null when it closes first. */
function lineReader(socket: net.Socket): () => Promise<string | null> {
  let buffer = '';
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
    if (buffer.length > MAX_REQUEST_BYTES) socket.destroy();
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', () => socket.destroy());
  return async () => {
    while (lines.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    return lines.shift() ?? null;
  };
}

function parseHold(line: string | null): HoldRequest | null {
  try {
    const request = JSON.parse(line ?? '') as Partial<HoldRequest>;
    if (request.op !== 'hold' || (request.mode !== 'wait' && request.mode !== 'terminate')) return null;
    const waitMs = typeof request.waitMs === 'number' && Number.isFinite(request.waitMs) && request.waitMs > 0 ? request.waitMs : undefined;
    return { op: 'hold', mode: request.mode, shadow: request.shadow === true, ...(waitMs !== undefined ? { waitMs } : {}) };
  } catch {
    return null;
  }
}

async function serveConnection(
  socket: net.Socket, servers: { main: Quiescable; shadow: Quiescable }, log: (line: string) => void, onReleased: () => void,
): Promise<void> {
  const next = lineReader(socket);
  const request = parseHold(await next());
  if (!request) {
    send(socket, { error: { code: 'USAGE', message: 'not a control request' } });
    socket.end();
    return;
  }
  const started = Date.now();
  // Held until the caller says release or goes away; anything else it sends is ignored.
  const released = (async () => {
    for (let line = await next(); line !== null; line = await next()) {
      if (line.includes('"release"')) return;
    }
  })();
  const hold = async (): Promise<void> => {
    send(socket, { held: true });
    await released;
  };
  try {
    const options = request.waitMs !== undefined ? { waitMs: request.waitMs } : {};
    await servers.main.quiesce(request.mode, () => (request.shadow ? servers.shadow.quiesce(request.mode, hold, options) : hold()), options);
  } catch (error) {
    log(`control: hold (${request.mode}) failed: ${error instanceof Error ? error.message : String(error)}`);
    send(socket, { error: isPpgError(error)
      ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
      : { code: 'DAEMON_FAILED', message: error instanceof Error ? error.message : String(error) } });
    socket.end();
    return;
  }
  log(`control: held (${request.mode}) for ${Date.now() - started} ms`);
  send(socket, { released: true });
  socket.end();
  onReleased();
}
