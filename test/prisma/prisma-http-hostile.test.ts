import { readFileSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrismaInstance, type PrismaInstance } from './support/prisma-instance.js';

/**
 * Hostile clients of the prisma+postgres HTTP endpoint: huge bodies, headers trickled a byte at a time,
 * transactions opened and abandoned by the hundred. Each gets a 4xx or a clean timeout; the instance's
 * memory stays bounded and its database stays usable. The instance runs in a child process.
 */
let instance: PrismaInstance;

beforeAll(async () => {
  instance = await startPrismaInstance('http-hostile', { headersTimeoutMs: 1_000 });
});
afterAll(async () => {
  await instance?.stop();
});

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const headers = (): Record<string, string> => ({
  'content-type': 'application/json',
  authorization: `Bearer ${instance.apiKey}`,
  'prisma-engine-hash': '7.10.0',
});

/** Streams `totalBytes` of a chunked body as fast as the server takes it; resolves with the status and how much it took. */
function uploadHuge(totalBytes: number): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(instance.httpPort, '127.0.0.1');
    const head = Object.entries({ ...headers(), host: `localhost:${instance.httpPort}`, 'transfer-encoding': 'chunked' })
      .map(([key, value]) => `${key}: ${value}\r\n`).join('');
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    let sent = 0;
    let answer = '';
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      const status = /^HTTP\/1\.1 (\d+)/.exec(answer);
      if (status) {
        socket.destroy();
        resolve({ status: Number(status[1]), sent });
      }
    });
    socket.on('close', () => reject(new Error(`closed without an answer after ${sent} bytes`)));
    socket.on('connect', () => {
      socket.write(`POST /query HTTP/1.1\r\n${head}\r\n`);
      const pump = (): void => {
        while (sent < totalBytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(framed)) {
            socket.once('drain', pump);
            return;
          }
        }
        if (!socket.destroyed) socket.write('0\r\n\r\n');
      };
      pump();
    });
  });
}

describe('the HTTP endpoint under hostile clients', () => {
  it('a 100 MB chunked body gets 413 without being buffered, and repeating it does not grow memory', async () => {
    const first = await uploadHuge(100 << 20);
    expect(first.status).toBe(413);
    const afterFirst = rssMiB(instance.pid);
    for (let i = 0; i < 3; i++) expect((await uploadHuge(100 << 20)).status).toBe(413);
    // The default limit is 32 MiB, so one request may hold that much; three more must not add three times it.
    expect(rssMiB(instance.pid) - afterFirst).toBeLessThan(64);
  });

  it('malformed JSON of every kind gets 400 and the instance keeps answering', async () => {
    for (const body of ['{', '[1,', 'nul', '{"a":}', '\u0000\u0001', '"unterminated', '{"a":1}}']) {
      const response = await fetch(`http://127.0.0.1:${instance.httpPort}/query`, { method: 'POST', headers: headers(), body });
      expect(response.status, body).toBe(400);
      await response.arrayBuffer();
    }
    expect((await fetch(`http://127.0.0.1:${instance.httpPort}/health`)).status).toBe(200);
  });

  it('headers trickled a byte at a time are cut by the headers timeout (408), while others are served', async () => {
    const socket = net.connect(instance.httpPort, '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const request = Buffer.from(`GET /health HTTP/1.1\r\nhost: localhost\r\nx-slow: ${'a'.repeat(400)}\r\n\r\n`);
    let offset = 0;
    const trickle = setInterval(() => {
      if (offset < request.length && !socket.destroyed) socket.write(request.subarray(offset, ++offset));
    }, 10);
    try {
      // While the slow client trickles, a normal request is answered.
      expect((await fetch(`http://127.0.0.1:${instance.httpPort}/health`)).status).toBe(200);
      await closed;
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(offset).toBeLessThan(request.length);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('two hundred interactive transactions opened and abandoned expire; the database stays usable', async () => {
    const started = await Promise.all(Array.from({ length: 200 }, async () => {
      const response = await fetch(`http://127.0.0.1:${instance.httpPort}/transaction/start`, {
        method: 'POST', headers: headers(), body: JSON.stringify({ maxWait: 60_000, timeout: 50 }),
      });
      await response.arrayBuffer();
      return response.status;
    }));
    // Each either started (and expired unseen) or was refused with a 4xx; none crashed the endpoint.
    for (const status of started) expect([200, 408, 409]).toContain(status);
    expect(started.filter((status) => status === 200).length).toBeGreaterThan(0);
    const client = new pg.Client({ connectionString: instance.databaseUrl.replace('localhost', '127.0.0.1') });
    await client.connect();
    try {
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    const info = await fetch(`http://127.0.0.1:${instance.httpPort}/connection-info`, { headers: headers() });
    expect(info.status).toBe(200);
    expect(instance.stderr()).not.toMatch(/failed:/);
  });
});
