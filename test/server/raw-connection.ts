import net from 'node:net';
import { waitFor } from './async-checks.js';

/** A raw TCP socket to the server that collects everything received. */
export interface RawConnection {
  socket: net.Socket;
  received(): Buffer;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Waits until `received()` satisfies `check` or the socket closes. */
  until(check: (data: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
  destroy(): void;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = Buffer.alloc(0);
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    isClosed = true;
    resolve();
  }));
  return {
    socket,
    received: () => data,
    closed,
    isClosed: () => isClosed,
    async until(check, timeoutMs = 20_000) {
      await waitFor(() => check(data) || isClosed, timeoutMs, 'raw socket data');
      return data;
    },
    destroy: () => socket.destroy(),
  };
}
