import { createRequire } from 'node:module';
import net from 'node:net';

/**
 * A SCRAM-SHA-256 login written frame by frame, for tests that need to control exactly which bytes go out
 * in which write (pg's own client never pipelines). The SCRAM arithmetic is pg's.
 */
interface ScramSession { response: string }
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[]): ScramSession;
  continueSession(session: ScramSession, password: string, serverData: string): Promise<void>;
};

const int32 = (n: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeInt32BE(n);
  return out;
};
const typed = (tag: string, body: Buffer): Buffer => Buffer.concat([Buffer.from(tag), int32(body.length + 4), body]);

export interface RawLogin {
  socket: net.Socket;
  /** Everything the server sent, from the first byte. */
  received(): Buffer;
  /** Resolves once `received()` holds `count` ReadyForQuery messages, or rejects when the socket closes first. */
  readyCount(count: number): Promise<Buffer>;
}

/**
 * Logs in as `user`/`password`; `afterFinal` is written in the same write as the SCRAM final message.
 * Resolves once the socket is connected; the login proceeds from the server's replies.
 */
export async function rawScramLogin(port: number, user: string, password: string, afterFinal: Buffer = Buffer.alloc(0)): Promise<RawLogin> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  let all = Buffer.alloc(0);
  let unread = Buffer.alloc(0);
  let session: ScramSession | null = null;
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    all = Buffer.concat([all, chunk]);
    unread = Buffer.concat([unread, chunk]);
    while (unread.length >= 5 && unread.length >= 1 + unread.readInt32BE(1)) {
      const tag = String.fromCharCode(unread[0]!);
      const body = unread.subarray(5, 1 + unread.readInt32BE(1));
      unread = unread.subarray(1 + body.length + 4);
      if (tag === 'R') void answerAuth(body.readInt32BE(0), body.subarray(4));
    }
    for (const wake of waiters) wake();
  });
  socket.on('close', () => {
    for (const wake of waiters) wake();
  });

  async function answerAuth(kind: number, data: Buffer): Promise<void> {
    if (kind === 10) {
      session = sasl.startSession(['SCRAM-SHA-256']);
      const first = Buffer.from(session.response);
      socket.write(typed('p', Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), int32(first.length), first])));
    } else if (kind === 11 && session) {
      await sasl.continueSession(session, password, data.toString());
      socket.write(Buffer.concat([typed('p', Buffer.from(session.response)), afterFinal]));
    }
  }

  const body = Buffer.concat([int32(196608), Buffer.from(`user\0${user}\0database\0postgres\0\0`)]);
  socket.write(Buffer.concat([int32(body.length + 4), body]));

  const countReady = (): number => {
    let n = 0;
    for (let offset = 0; offset + 5 <= all.length; offset += 1 + all.readInt32BE(offset + 1)) if (all[offset] === 0x5a) n++;
    return n;
  };
  return {
    socket,
    received: () => all,
    readyCount: (count) => new Promise((resolve, reject) => {
      const check = () => {
        if (countReady() >= count) {
          waiters.delete(check);
          resolve(all);
        } else if (socket.destroyed || socket.readableEnded) {
          waiters.delete(check);
          reject(new Error(`connection closed after ${countReady()} ReadyForQuery: ${all.toString('latin1')}`));
        }
      };
      waiters.add(check);
      check();
    }),
  };
}
