import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrismaInstance, type PrismaInstance } from './support/prisma-instance.js';

/**
 * The prisma+postgres HTTP endpoint over real HTTP (Node's fetch) against a real ppg-dev instance in a
 * child process: auth, version and body checks, the executor's transaction errors, and that bad
 * requests leave the instance serving.
 */

const MAX_BODY = 64 * 1024;
let instance: PrismaInstance;

beforeAll(async () => {
  instance = await startPrismaInstance('http-test', { maxBodyBytes: MAX_BODY });
});
afterAll(async () => {
  await instance?.stop();
});

function call(path: string, init: { method?: string; body?: string; key?: string | null; version?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? instance.apiKey}`;
  if (init.version !== null) headers['prisma-engine-hash'] = init.version ?? '7.10.0';
  return fetch(`http://127.0.0.1:${instance.httpPort}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
}

async function expectError(response: Response, status: number, message: RegExp): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string };
  expect(body.error).toMatch(message);
}

describe('prisma http server', () => {
  it('answers /health with the instance name, without an api_key', async () => {
    const response = await fetch(`http://127.0.0.1:${instance.httpPort}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: 'http-test' });
  });

  it('prints URLs whose api_key names this instance and its ports', () => {
    const payload = JSON.parse(Buffer.from(instance.apiKey, 'base64url').toString()) as Record<string, string>;
    expect(payload.name).toBe('http-test');
    expect(new URL(payload.databaseUrl!).port).toBe(String(instance.databasePort));
    expect(new URL(payload.shadowDatabaseUrl!).port).toBe(String(instance.shadowDatabasePort));
    expect(instance.prismaPostgresUrl).toBe(`prisma+postgres://localhost:${instance.httpPort}/?api_key=${instance.apiKey}`);
    expect(instance.databaseUrl).toBe(`postgres://postgres:postgres@localhost:${instance.databasePort}/template1?sslmode=disable`);
  });

  it('serves /connection-info to a client with the right api_key', async () => {
    const response = await call('/connection-info');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ provider: 'postgres', connectionInfo: { supportsRelationJoins: true } });
  });

  it('refuses missing, malformed and foreign api_keys with a message naming the instance', async () => {
    await expectError(await call('/connection-info', { key: null }), 401, /^Missing API Key: the ppg-dev instance "http-test"/);
    await expectError(await call('/connection-info', { key: 'not-a-key' }), 400, /Malformed API Key for the ppg-dev instance "http-test"/);
    const foreign = JSON.parse(Buffer.from(instance.apiKey, 'base64url').toString()) as Record<string, string>;
    const otherName = Buffer.from(JSON.stringify({ ...foreign, name: 'other' })).toString('base64url');
    await expectError(await call('/query', { method: 'POST', key: otherName, body: '{}' }), 401, /for the instance "other", but this is the ppg-dev instance "http-test"/);
    const otherPort = Buffer.from(JSON.stringify({ ...foreign, databaseUrl: foreign.databaseUrl!.replace(`:${instance.databasePort}/`, ':1/') })).toString('base64url');
    await expectError(await call('/connection-info', { key: otherPort }), 401, new RegExp(`database port 1 .* serves them on ${instance.databasePort}`));
  });

  it('refuses a Prisma Client version the executor cannot serve', async () => {
    await expectError(await call('/connection-info', { version: '7.9.1' }), 400, /Prisma Client 7\.9\.1 is not supported over HTTP .*@prisma\/adapter-pg/);
    await expectError(await call('/connection-info', { version: null }), 400, /<missing version>/);
  });

  it('answers the Prisma 5/6 protocol with a 400 pointing to the TCP URL', async () => {
    const response = await fetch(`http://127.0.0.1:${instance.httpPort}/6.19.0/abcdef/graphql`, { method: 'POST', body: '{}' });
    await expectError(response, 400, new RegExp(`Prisma Client 6\\.19\\.0 .* Prisma 5/6 .* TCP URL postgres://postgres:postgres@localhost:${instance.databasePort}/template1`));
  });

  it('refuses malformed JSON, empty and oversized bodies', async () => {
    await expectError(await call('/query', { method: 'POST', body: '{"plan": ' }), 400, /not valid JSON/);
    await expectError(await call('/transaction/start', { method: 'POST', body: '' }), 400, /empty/);
    const big = JSON.stringify({ operation: 'x', plan: {}, params: { blob: 'x'.repeat(MAX_BODY) } });
    await expectError(await call('/query', { method: 'POST', body: big }), 413, new RegExp(`limit of ${MAX_BODY} bytes`));
  });

  it('refuses requests addressed to a foreign host name (DNS rebinding)', async () => {
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // fetch() forbids setting Host, so use node:http directly.
      const request = httpRequest({ host: '127.0.0.1', port: instance.httpPort, path: '/connection-info', headers: { host: 'evil.example.com', authorization: `Bearer ${instance.apiKey}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).error).toMatch(/only requests addressed to localhost/);
  });

  it('answers unknown routes and wrong methods', async () => {
    await expectError(await call('/nope'), 404, /not a route of the ppg-dev instance "http-test"/);
    const response = await call('/query');
    expect(response.headers.get('allow')).toBe('POST');
    await expectError(response, 405, /takes POST/);
  });

  it('runs an interactive transaction and reports unknown and expired ones as Prisma does (409 P2028)', async () => {
    const start = await call('/transaction/start', { method: 'POST', body: JSON.stringify({ maxWait: 2000, timeout: 5000 }) });
    expect(start.status).toBe(200);
    const { id } = (await start.json()) as { id: string };
    expect(typeof id).toBe('string');
    expect((await call(`/transaction/${id}/commit`, { method: 'POST' })).status).toBe(200);

    const unknown = await call('/transaction/does-not-exist/commit', { method: 'POST' });
    expect(unknown.status).toBe(409);
    expect(await unknown.json()).toMatchObject({ code: 'P2028', error: expect.stringMatching(/Transaction not found/) });

    const short = await call('/transaction/start', { method: 'POST', body: JSON.stringify({ maxWait: 2000, timeout: 100 }) });
    const { id: shortId } = (await short.json()) as { id: string };
    // The 100 ms timeout must pass: the elapsed time is what is tested (polling with commit would end it).
    await new Promise((resolve) => setTimeout(resolve, 400));
    const expired = await call(`/transaction/${shortId}/commit`, { method: 'POST' });
    expect(expired.status).toBe(409);
    expect(await expired.json()).toMatchObject({ code: 'P2028', error: expect.stringMatching(/expired|timeout|closed/i) });
  });

  it('keeps serving after all of the above', async () => {
    expect((await call('/connection-info')).status).toBe(200);
    expect(instance.stderr()).not.toMatch(/failed:/);
  });
});
