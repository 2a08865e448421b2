import type net from 'node:net';
import pg from 'pg';
import type { RoundTripResult } from './pg-round-trips.js';
import { summarizeLatencies } from './stats.js';

/**
 * A minimal wire client for the overhead test: `pg` only does the connection and authentication, then its socket
 * is taken over and each query is one hand-built Query frame, answered when ReadyForQuery arrives. No result
 * parsing, so the round trip is the server plus TCP, with as little client time as Node allows.
 */
function queryFrame(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const frame = Buffer.alloc(5 + body.length);
  frame.write('Q', 0, 'latin1');
  frame.writeInt32BE(4 + body.length, 1);
  body.copy(frame, 5);
  return frame;
}

export async function rawRoundTrips(
  url: string, count: number, sqlFor: (i: number) => string,
  options: { warmupMs?: number; setup?: string; serverCpu?: () => number | null } = {},
): Promise<RoundTripResult> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  if (options.setup) await client.query(options.setup);
  const socket = (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
  socket.removeAllListeners('data');
  let buffered: Buffer = Buffer.alloc(0);
  let waiting: { resolve: () => void; reject: (error: Error) => void; error: string | null } | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 5) {
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) break;
      const type = String.fromCharCode(buffered[0] as number);
      if (type === 'E' && waiting) waiting.error = buffered.subarray(5, 1 + length).toString('utf8').replace(/\0/g, ' ').trim();
      buffered = buffered.subarray(1 + length);
      if (type === 'Z' && waiting) {
        const done = waiting;
        waiting = null;
        if (done.error) done.reject(new Error(`server error: ${done.error}`));
        else done.resolve();
      }
    }
  });
  const query = (frame: Buffer): Promise<void> => new Promise((resolve, reject) => {
    waiting = { resolve, reject, error: null };
    socket.write(frame);
  });
  try {
    const warmUntil = performance.now() + (options.warmupMs ?? 0);
    const frames = Array.from({ length: count }, (_, i) => queryFrame(sqlFor(i)));
    for (let i = 0; i < 200 || performance.now() < warmUntil; i++) await query(frames[i % count] as Buffer);
    const samples = new Array<number>(count);
    const cpuBefore = options.serverCpu?.() ?? null;
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await query(frames[i] as Buffer);
      samples[i] = performance.now() - started;
    }
    const cpuAfter = options.serverCpu?.() ?? null;
    return { ...summarizeLatencies(samples), serverCpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null };
  } finally {
    socket.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
    socket.destroy();
  }
}
