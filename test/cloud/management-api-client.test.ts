import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveEndpoints } from '../../src/cloud/cloud-endpoints.js';
import { ManagementApiClient } from '../../src/cloud/management-api-client.js';
import { resolveTokenSource } from '../../src/cloud/token-source.js';
import { ACCESS_TOKEN, closedPortUrl, FakeCloud, fixture, REFRESHED_TOKEN, SERVICE_TOKEN } from './fake-cloud.js';

let fake: FakeCloud;
let configDir: string;

beforeEach(async () => {
  fake = await FakeCloud.start();
  configDir = await mkdtemp(join(tmpdir(), 'ppg-cloud-config-'));
});
afterEach(async () => {
  await fake.close();
  await rm(configDir, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PRISMA_MANAGEMENT_API_URL: fake.url, PPG_AUTH_URL: fake.url, PPG_CONFIG_DIR: configDir, ...extra };
}

async function client(e: NodeJS.ProcessEnv, flagToken?: string): Promise<ManagementApiClient> {
  const endpoints = resolveEndpoints(e);
  return new ManagementApiClient(endpoints, await resolveTokenSource(flagToken, e, endpoints));
}

describe('ManagementApiClient against the fake cloud', () => {
  it('sends the Bearer token, a ppg-dev User-Agent and the exact create body', async () => {
    const api = await client(env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN }));
    const project = await api.createProject({ name: 'demo', region: 'eu-central-1' });
    expect(project.id).toBe('proj_test1');
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/projects', body: '{"createDatabase":true,"name":"demo","region":"eu-central-1"}' });
    expect(request?.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toMatch(/^ppg-dev\/0\.1\.0 /);
  });

  it('--token wins over PRISMA_SERVICE_TOKEN', async () => {
    const api = await client(env({ PRISMA_SERVICE_TOKEN: 'other' }), SERVICE_TOKEN);
    await api.listPostgresRegions();
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`);
  });

  it('follows the cursor across pages', async () => {
    const api = await client(env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN }));
    const projects = (await api.listProjects()) as Array<{ id: string }>;
    expect(projects.map((p) => p.id)).toEqual(['proj_a', 'proj_b']);
    expect(fake.requests.map((r) => r.query)).toEqual([{ limit: '100' }, { limit: '100', cursor: 'cur_page2' }]);
  });

  it('fails with MISSING_TOKEN and a login hint when there is no token at all', async () => {
    await expect(client(env())).rejects.toMatchObject({ code: 'MISSING_TOKEN', hint: expect.stringContaining('PRISMA_SERVICE_TOKEN') });
    expect(fake.requests).toEqual([]);
  });

  it('a 401 with a stored login refreshes once, retries, and rewrites the credentials 0600', async () => {
    await writeFile(join(configDir, 'auth.json'), fixture('auth.expired.json'));
    const api = await client(env());
    expect(await api.listPostgresRegions()).toHaveLength(6);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/regions/postgres', 'POST /token', 'GET /v1/regions/postgres']);
    expect(Object.fromEntries(new URLSearchParams(fake.requests[1]?.body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt_test', client_id: 'ppg-dev-cli' });
    expect(fake.requests[2]?.headers.authorization).toBe(`Bearer ${REFRESHED_TOKEN}`);
    const stored = JSON.parse(await readFile(join(configDir, 'auth.json'), 'utf8'));
    expect(stored).toEqual({ tokens: [{ workspaceId: 'wksp_test1', token: REFRESHED_TOKEN, refreshToken: 'rt_test2' }] });
    expect((await stat(join(configDir, 'auth.json'))).mode & 0o777).toBe(0o600);
  });

  it('invalid_grant on refresh clears the stored login and says to log in again', async () => {
    await writeFile(join(configDir, 'auth.json'), fixture('auth.expired.json'));
    fake.scenario = 'invalid_grant';
    const api = await client(env());
    await expect(api.listPostgresRegions()).rejects.toMatchObject({ code: 'SESSION_EXPIRED', hint: 'run `ppg login` again' });
    await expect(stat(join(configDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a 401 with a service token is not retried, and the error names the token', async () => {
    const api = await client(env({ PRISMA_SERVICE_TOKEN: 'wrong' }));
    await expect(api.listPostgresRegions()).rejects.toMatchObject({
      status: 401,
      code: 'TOKEN_REJECTED',
      message: 'the Prisma Management API rejected PRISMA_SERVICE_TOKEN (HTTP 401): it is invalid, expired or revoked',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    ['apierror', { status: 400, code: 'API_ERROR', apiCode: 'validation_error', message: 'Invalid region', hint: 'Use one of the regions listed by GET /v1/regions/postgres.' }],
    ['badjson', { status: 400, code: 'INVALID_RESPONSE', message: 'unexpected response from the Prisma Management API (HTTP 400): <html><body>Bad Request</body></html>' }],
    ['ratelimit', { status: 429, code: 'API_ERROR', apiCode: 'rate_limited', message: 'Rate limit exceeded. Please try again later.' }],
    ['ratelimit-programmatic', { status: 429, code: 'API_ERROR', apiCode: 'RATE_LIMIT_EXCEEDED', hint: 'rate limited: wait 60s and try again' }],
  ] as const)('scenario %s becomes a typed error', async (scenario, expected) => {
    fake.scenario = scenario;
    const api = await client(env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN }));
    await expect(api.createProject({ name: 'x', region: 'us-east-1' })).rejects.toMatchObject(expected);
  });

  it('server down is NETWORK_ERROR', async () => {
    const e = { ...env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN }), PRISMA_MANAGEMENT_API_URL: await closedPortUrl() };
    const api = await client(e);
    await expect(api.listPostgresRegions()).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('a server that never answers is a timeout', async () => {
    fake.scenario = 'timeout';
    const api = await client(env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN, PPG_HTTP_TIMEOUT_MS: '200' }));
    await expect(api.listPostgresRegions()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a stored login from Prisma-compatible auth.json is used as is', async () => {
    await writeFile(join(configDir, 'auth.json'), fixture('auth.json'));
    const api = await client(env());
    await api.listWorkspaces();
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
  });

  it('an unreadable credentials file is a clear error', async () => {
    await writeFile(join(configDir, 'auth.json'), '{not json');
    await expect(client(env())).rejects.toMatchObject({ code: 'CREDENTIALS_INVALID', hint: 'run `ppg logout` and then `ppg login`' });
  });
});
