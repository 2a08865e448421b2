import { describe, expect, it } from 'vitest';
import { parseCreatedProject, parsePage, parseRegions, pickConnectionString, type ConnectionInfo } from '../../src/cloud/api-responses.js';
import { describeHost, isPrismaPostgresUrl, redactUrls } from '../../src/cloud/connection-url.js';
import { parseCreateResponse, parseTtl } from '../../src/cloud/create-db-worker.js';
import { toManagementApiError } from '../../src/cloud/management-api-error.js';
import { checkRegion } from '../../src/cloud/init-db.js';
import { workspaceIdOf } from '../../src/cloud/oauth.js';
import { ACCESS_TOKEN, DIRECT_URL, fixture, fixtureJson } from './fake-cloud.js';

const POOLED = 'postgres://u:p@pooled.db.prisma.io:5432/postgres?sslmode=require';
const conn = (endpoints: ConnectionInfo['endpoints'], extra: Partial<ConnectionInfo> = {}): ConnectionInfo => ({ endpoints, ...extra });

describe('pickConnectionString', () => {
  it.each<[string, Parameters<typeof pickConnectionString>[0], string | undefined]>([
    ['direct before pooled', { connections: [conn({ pooled: { connectionString: POOLED }, direct: { connectionString: DIRECT_URL } })] }, DIRECT_URL],
    ['pooled when no direct', { connections: [conn({ pooled: { connectionString: POOLED } })] }, POOLED],
    ['first connection that has one', { connections: [conn({ direct: { host: 'h', port: 1 } }), conn({ pooled: { connectionString: POOLED } })] }, POOLED],
    ['deprecated connection-level connectionString', { connections: [conn({}, { connectionString: 'postgres://c' })] }, 'postgres://c'],
    ['deprecated database connectionString', { connections: [], connectionString: 'prisma+postgres://accelerate.prisma-data.net/?api_key=k' }, 'prisma+postgres://accelerate.prisma-data.net/?api_key=k'],
    ['deprecated directConnection, built as Prisma ≤7.4 did', { connections: [], directConnection: { host: 'db.prisma.io:5432', user: 'u', pass: 'p@ss' } }, 'postgres://u:p%40ss@db.prisma.io:5432/postgres?sslmode=require'],
    ['none (still provisioning)', { connections: [], connectionString: null, directConnection: null }, undefined],
  ])('%s', (_name, database, expected) => {
    expect(pickConnectionString(database)).toBe(expected);
  });

  it('picks the direct URL from the real create fixture', () => {
    const project = parseCreatedProject(fixtureJson('project.create.201.json'));
    expect(project).toMatchObject({ id: 'proj_test1', workspaceId: 'wksp_test1', database: { id: 'db_test1', status: 'ready', regionId: 'eu-central-1' } });
    expect(pickConnectionString(project.database!)).toBe(DIRECT_URL);
  });

  it('finds nothing in the provisioning fixture', () => {
    const project = parseCreatedProject(fixtureJson('project.create.provisioning.201.json'));
    expect(project.database?.status).toBe('provisioning');
    expect(pickConnectionString(project.database!)).toBeUndefined();
  });
});

describe('response validation', () => {
  it.each([
    ['no data', {}],
    ['data not an object', { data: 'x' }],
    ['project without id', { data: { name: 'n' } }],
    ['database without id', { data: { id: 'proj_1', database: { name: 'x' } } }],
  ])('parseCreatedProject rejects %s', (_name, body) => {
    expect(() => parseCreatedProject(body)).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
  });

  it('accepts a project created without a database', () => {
    expect(parseCreatedProject({ data: { id: 'proj_1', name: 'n', database: null } }).database).toBeNull();
  });

  it.each([
    ['envelope', fixtureJson('regions.postgres.json'), 6],
    ['bare array', [{ id: 'us-east-1', status: 'available' }], 1],
  ])('parseRegions accepts the %s form', (_name, body, count) => {
    expect(parseRegions(body)).toHaveLength(count);
  });

  it.each([[{}], [{ data: [{ name: 'no id' }] }], [null]])('parseRegions rejects %j', (body) => {
    expect(() => parseRegions(body)).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
  });

  it('parsePage reads the cursor and stops when hasMore is false', () => {
    expect(parsePage(fixtureJson('projects.list.page1.json'))).toMatchObject({ nextCursor: 'cur_page2', hasMore: true });
    expect(parsePage(fixtureJson('projects.list.page2.json'))).toMatchObject({ nextCursor: null, hasMore: false });
    expect(() => parsePage({ data: {} })).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
  });

  it('checkRegion rejects unknown and unavailable regions, listing the available ones', () => {
    const regions = parseRegions(fixtureJson('regions.postgres.unavailable.json'));
    expect(checkRegion('eu-central-1', regions)).toBe('eu-central-1');
    expect(() => checkRegion('mars-1', regions)).toThrow(expect.objectContaining({ code: 'INVALID_REGION' }));
    expect(() => checkRegion('eu-west-3', regions)).toThrow(
      expect.objectContaining({ code: 'REGION_UNAVAILABLE', hint: 'choose one of: us-east-1, us-west-1, eu-central-1, ap-northeast-1, ap-southeast-1' }),
    );
  });
});

describe('toManagementApiError', () => {
  it.each([
    ['API error with hint', 400, fixtureJson('error.400.json'), { status: 400, code: 'API_ERROR', apiCode: 'validation_error', message: 'Invalid region', hint: 'Use one of the regions listed by GET /v1/regions/postgres.' }],
    ['401 gets the login hint', 401, fixtureJson('error.401.json'), { code: 'API_ERROR', apiCode: 'unauthorized', hint: expect.stringContaining('ppg login') }],
    ['worker 429', 429, fixtureJson('createdb.429.json'), { code: 'API_ERROR', apiCode: 'rate_limited', message: 'Rate limit exceeded. Please try again later.', hint: 'rate limited: wait 60s and try again' }],
    ['programmatic 429', 429, fixtureJson('createdb.429.programmatic.json'), { code: 'API_ERROR', apiCode: 'RATE_LIMIT_EXCEEDED', status: 429 }],
    ['non-JSON 400', 400, undefined, { code: 'INVALID_RESPONSE', apiCode: undefined, message: 'unexpected response from the Prisma Management API (HTTP 400): <html>oops</html>' }],
    ['message with a URL is redacted', 400, { error: { code: 'x', message: 'bad postgres://u:secret@h/db' } }, { message: 'bad [REDACTED_URL]' }],
  ])('%s', (_name, status, json, expected) => {
    expect(toManagementApiError(status, json, '<html>oops</html>', '60')).toMatchObject(expected);
  });
});

describe('create-db /create parsing', () => {
  const sent = { region: 'eu-central-1', utmSource: 'create-db', source: 'cli' as const, name: '2026-01-01T00:00:00.000Z', now: new Date('2026-01-01T00:00:00.000Z'), claimBaseUrl: 'https://claim.example' };

  it('maps a success with keys in create-db order', () => {
    const result = parseCreateResponse({ status: 201, json: fixtureJson('project.create.201.json'), text: '' }, sent);
    expect(Object.keys(result)).toEqual(['success', 'connectionString', 'claimUrl', 'deletionDate', 'region', 'name', 'projectId']);
    expect(result).toEqual({
      success: true,
      connectionString: DIRECT_URL,
      claimUrl: 'https://claim.example/claim?projectID=proj_test1&utm_source=create-db&utm_medium=cli',
      deletionDate: '2026-01-02T00:00:00.000Z',
      region: 'eu-central-1',
      name: 'Anchor Test',
      projectId: 'proj_test1',
    });
  });

  it.each([
    ['rate_limited', 429, fixtureJson('createdb.429.json'), { success: false, error: 'rate_limit_exceeded', message: "We're experiencing a high volume of requests. Please try again later.", status: 429 }],
    ['programmatic', 429, fixtureJson('createdb.429.programmatic.json'), { error: 'RATE_LIMIT_EXCEEDED', status: 429, rateLimitInfo: { retryAfterMs: 60000, currentCount: 1, maxRequests: 1 } }],
    ['api error', 400, fixtureJson('error.400.json'), { error: 'api_error', message: 'Invalid region', status: 400, details: fixtureJson('error.400.json').error }],
    ['text body', 400, undefined, { error: 'invalid_json', message: 'Unexpected response from create service.', raw: fixture('error.400.txt'), status: 400 }],
  ])('maps %s', (_name, status, json, expected) => {
    expect(parseCreateResponse({ status, json, text: fixture('error.400.txt') }, sent)).toMatchObject(expected);
  });

  it('gives a null connection string while provisioning', () => {
    expect(parseCreateResponse({ status: 201, json: fixtureJson('project.create.provisioning.201.json'), text: '' }, sent)).toMatchObject({ success: true, connectionString: null });
  });

  it.each([
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['25h', undefined],
    ['0h', undefined],
    ['99h', undefined],
    ['45m', undefined],
    ['1d', undefined],
  ])('parseTtl(%s)', (ttl, ms) => {
    expect(parseTtl(ttl)).toBe(ms);
  });
});

describe('connection-url', () => {
  it.each([
    [DIRECT_URL, true],
    ['postgresql://u:p@db-pool.prisma.io:5432/postgres', true],
    [POOLED, true],
    ['prisma+postgres://accelerate.prisma-data.net/?api_key=x', true],
    ['postgres://postgres:postgres@localhost:51214/postgres', false],
    ['prisma+postgres://localhost:51213/?api_key=x', false],
  ])('isPrismaPostgresUrl(%s) = %s', (url, expected) => {
    expect(isPrismaPostgresUrl(url)).toBe(expected);
  });

  it('describes hosts without credentials and redacts URLs', () => {
    expect(describeHost(DIRECT_URL)).toBe('db.prisma.io:5432');
    expect(describeHost('not a url with secret')).toBe('(not a URL)');
    expect(redactUrls(`x ${DIRECT_URL} y`)).toBe('x [REDACTED_URL] y');
  });

  it('reads the workspace claim from an access token', () => {
    expect(workspaceIdOf(ACCESS_TOKEN)).toBe('wksp_test1');
    expect(workspaceIdOf('garbage')).toBeNull();
  });
});
