import net from 'node:net';
import { controlSocketPath, type ControlReply, type HoldMode, type HoldRequest } from '../daemon/control-channel.js';
import { errorCodeOr } from '../error-codes.js';
import { PpgError } from '../ppg-error.js';

/**
 * The caller's side of the control channel (src/daemon/control-channel.ts): asks a running daemon to
 * quiesce its servers, runs `work` on the files while they are held, and lets go. The daemon lets go by
 * itself if this process dies. Resolves null without running `work` when no daemon answers on the
 * channel (an instance started by an older ppg-dev, or one stopping right now): the caller then falls
 * back to stopping it. Fails with the daemon's error (INSTANCE_BUSY, …) or `work`'s.
 */
export async function whileHeld<T>(instanceDir: string, request: Omit<HoldRequest, 'op'>, work: () => Promise<T>): Promise<{ result: T } | null> {
  const socket = await connect(controlSocketPath(instanceDir));
  if (!socket) return null;
  const replies = replyReader(socket);
  try {
    socket.write(`${JSON.stringify({ op: 'hold', ...request } satisfies HoldRequest)}\n`);
    expect(await replies(), 'held');
    const result = await work();
    socket.write(`${JSON.stringify({ op: 'release' })}\n`);
    expect(await replies(), 'released');
    return { result };
  } finally {
    socket.destroy();
  }
}

export type { HoldMode };

function connect(socketPath: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}

function expect(reply: ControlReply | null, what: 'held' | 'released'): void {
  if (reply && what in reply) return;
  if (reply && 'error' in reply) {
    throw new PpgError(errorCodeOr(reply.error.code, 'DAEMON_FAILED'), reply.error.message, reply.error.hint ? { hint: reply.error.hint } : {});
  }
  throw new PpgError('DAEMON_FAILED', `the instance's server went away while it was ${what === 'held' ? 'being quiesced' : 'held'}`, { hint: 'see ppg dev logs <name>' });
}

/** Reads newline-delimited replies; null once the connection has closed. */
function replyReader(socket: net.Socket): () => Promise<ControlReply | null> {
  let buffer = '';
  const replies: ControlReply[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      try {
        replies.push(JSON.parse(buffer.slice(0, newline)) as ControlReply);
      } catch {
        // Not ours; the caller sees no reply and fails.
      }
      buffer = buffer.slice(newline + 1);
    }
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  return async () => {
    while (replies.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    return replies.shift() ?? null;
  };
}
