import { describe, expect, it } from 'vitest';
import { checkApiKey, type InstanceIdentity } from '../../src/prisma/api-key-check.js';
import { isServableClientVersion } from '../../src/prisma/client-version-check.js';
import { buildPrismaDevUrls, decodeApiKey, encodeApiKey } from '../../src/prisma/prisma-dev-urls.js';
import { classifyRoute, isLocalHostHeader } from '../../src/prisma/prisma-http-routes.js';

const ORM = 'sslmode=disable&connection_limit=10&connect_timeout=0&max_idle_connection_lifetime=0&pool_timeout=0&socket_timeout=0';
const instance: InstanceIdentity = { name: 'default', httpPort: 51213, databasePort: 51214, shadowDatabasePort: 51215 };

/** What `prisma init` (7.10) writes for the server named `default` on the default ports. */
const PRISMA_INIT_KEY = Buffer.from(
  JSON.stringify({
    databaseUrl: `postgres://postgres:postgres@localhost:51214/template1?${ORM}`,
    name: 'default',
    shadowDatabaseUrl: `postgres://postgres:postgres@localhost:51215/template1?${ORM}`,
  }),
).toString('base64url');

const keyFor = (payload: Record<string, unknown>): string => Buffer.from(JSON.stringify(payload)).toString('base64url');

describe('buildPrismaDevUrls', () => {
  it('builds the prisma dev URL family, api_key byte-identical to prisma init', () => {
    const urls = buildPrismaDevUrls({ name: 'default', httpPort: 51213, databasePort: 51214, shadowDatabasePort: 51215 });
    expect(urls).toEqual({
      databaseUrl: 'postgres://postgres:postgres@localhost:51214/template1?sslmode=disable',
      shadowDatabaseUrl: 'postgres://postgres:postgres@localhost:51215/template1?sslmode=disable',
      prismaPostgresUrl: `prisma+postgres://localhost:51213/?api_key=${PRISMA_INIT_KEY}`,
      httpUrl: 'http://localhost:51213',
      apiKey: PRISMA_INIT_KEY,
    });
  });

  it('percent-encodes credentials and honours host', () => {
    const urls = buildPrismaDevUrls({ name: 'x', httpPort: 1, databasePort: 2, shadowDatabasePort: 3, user: 'a b', password: 'p@ss', host: '127.0.0.1' });
    expect(urls.databaseUrl).toBe('postgres://a%20b:p%40ss@127.0.0.1:2/template1?sslmode=disable');
    expect(new URL(urls.databaseUrl).password).toBe('p%40ss');
  });

  it.each([
    [{ httpPort: 0 }, /httpPort/],
    [{ databasePort: 70_000 }, /databasePort/],
    [{ shadowDatabasePort: 1.5 }, /shadowDatabasePort/],
    [{ name: '' }, /name/],
  ])('rejects %o', (override, message) => {
    expect(() => buildPrismaDevUrls({ name: 'n', httpPort: 1, databasePort: 2, shadowDatabasePort: 3, ...override })).toThrow(message);
  });
});

describe('encodeApiKey / decodeApiKey', () => {
  it('sorts keys whatever the input order, and round-trips', () => {
    const payload = { shadowDatabaseUrl: 'postgres://h:2/x', name: 'n', databaseUrl: 'postgres://h:1/x' };
    const key = encodeApiKey(payload);
    expect(Buffer.from(key, 'base64url').toString()).toBe('{"databaseUrl":"postgres://h:1/x","name":"n","shadowDatabaseUrl":"postgres://h:2/x"}');
    expect(decodeApiKey(key)).toEqual({ ok: true, payload: { databaseUrl: 'postgres://h:1/x', name: 'n', shadowDatabaseUrl: 'postgres://h:2/x' } });
  });

  it.each([
    ['not base64url', 'a+b/c', /base64url/],
    ['not JSON', Buffer.from('hello').toString('base64url'), /JSON/],
    ['an array', keyFor([1] as unknown as Record<string, unknown>), /object/],
    ['no databaseUrl', keyFor({ shadowDatabaseUrl: 'postgres://h:1/x' }), /databaseUrl/],
    ['a mysql databaseUrl', keyFor({ databaseUrl: 'mysql://h:1/x', shadowDatabaseUrl: 'postgres://h:1/x' }), /databaseUrl/],
    ['no shadowDatabaseUrl', keyFor({ databaseUrl: 'postgres://h:1/x' }), /shadowDatabaseUrl/],
    ['a numeric name', keyFor({ databaseUrl: 'postgres://h:1/x', shadowDatabaseUrl: 'postgres://h:1/x', name: 3 }), /name/],
  ])('refuses a key that is %s', (_label, key, reason) => {
    const result = decodeApiKey(key);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('checkApiKey', () => {
  const url = (port: number, host = 'localhost') => `postgres://postgres:postgres@${host}:${port}/template1?${ORM}`;
  it.each([
    ['the prisma init key', `Bearer ${PRISMA_INIT_KEY}`, true, 0, /./],
    ['a 127.0.0.1 key', `Bearer ${keyFor({ databaseUrl: url(51214, '127.0.0.1'), name: 'default', shadowDatabaseUrl: url(51215, '127.0.0.1') })}`, true, 0, /./],
    ['no header', undefined, false, 401, /^Missing API Key: the ppg-dev instance "default" \(HTTP port 51213\)/],
    ['a Basic header', `Basic ${PRISMA_INIT_KEY}`, false, 401, /Invalid API Key/],
    ['a header with 3 parts', `Bearer ${PRISMA_INIT_KEY} x`, false, 401, /Invalid API Key/],
    ['garbage', 'Bearer !!!', false, 400, /Malformed API Key.*base64url/],
    ['a key without name', `Bearer ${keyFor({ databaseUrl: url(51214), shadowDatabaseUrl: url(51215) })}`, false, 401, /names no instance/],
    ['another instance', `Bearer ${keyFor({ databaseUrl: url(51214), name: 'other', shadowDatabaseUrl: url(51215) })}`, false, 401, /for the instance "other", but this is the ppg-dev instance "default"/],
    ['a remote host', `Bearer ${keyFor({ databaseUrl: url(51214, 'db.example.com'), name: 'default', shadowDatabaseUrl: url(51215) })}`, false, 401, /host "db.example.com"/],
    ['a wrong database port', `Bearer ${keyFor({ databaseUrl: url(51299), name: 'default', shadowDatabaseUrl: url(51215) })}`, false, 401, /database port 51299 .* serves them on 51214 and 51215/],
    ['a wrong shadow port', `Bearer ${keyFor({ databaseUrl: url(51214), name: 'default', shadowDatabaseUrl: url(51216) })}`, false, 401, /shadow port 51216/],
  ])('%s', (_label, header, ok, status, message) => {
    const result = checkApiKey(header, instance);
    expect(result.ok).toBe(ok);
    if (!result.ok) {
      expect(result.status).toBe(status);
      expect(result.message).toMatch(message);
    }
  });

  it('accepts the key `prisma init` wrote (name "default") on an instance with a project name, when the ports match', () => {
    const project: InstanceIdentity = { ...instance, name: 'my-app' };
    expect(checkApiKey(`Bearer ${PRISMA_INIT_KEY}`, project).ok).toBe(true);
    const other = checkApiKey(`Bearer ${keyFor({ databaseUrl: url(51214), name: 'other-app', shadowDatabaseUrl: url(51215) })}`, project);
    expect(other.ok).toBe(false);
    const moved = checkApiKey(`Bearer ${PRISMA_INIT_KEY}`, { ...project, databasePort: 51220 });
    expect(moved.ok).toBe(false);
  });
});

describe('classifyRoute', () => {
  it.each([
    ['GET', '/health', { kind: 'health' }],
    ['HEAD', '/health', { kind: 'health' }],
    ['GET', '/connection-info', { kind: 'executor', needsBody: false }],
    ['POST', '/query', { kind: 'executor', needsBody: true }],
    ['POST', '/transaction/start', { kind: 'executor', needsBody: true }],
    ['POST', '/transaction/abc-123/query', { kind: 'executor', needsBody: true }],
    ['POST', '/transaction/abc-123/commit', { kind: 'executor', needsBody: false }],
    ['POST', '/transaction/abc-123/rollback', { kind: 'executor', needsBody: false }],
    ['GET', '/query', { kind: 'method-not-allowed', allow: 'POST' }],
    ['POST', '/health', { kind: 'method-not-allowed', allow: 'GET' }],
    ['POST', '/6.19.0/0123abcd/graphql', { kind: 'legacy', clientVersion: '6.19.0' }],
    ['PUT', '/5.22.0/0123abcd/schema', { kind: 'legacy', clientVersion: '5.22.0' }],
    ['POST', '/6.19.0/0123abcd/transaction/start', { kind: 'legacy', clientVersion: '6.19.0' }],
    ['POST', '/6.19.0/0123abcd/itx/tx1/commit', { kind: 'legacy', clientVersion: '6.19.0' }],
    ['GET', '/', { kind: 'not-found' }],
    ['POST', '/transaction//commit', { kind: 'not-found' }],
    ['POST', '/transaction/a/b/commit', { kind: 'not-found' }],
  ])('%s %s', (method, path, expected) => {
    expect(classifyRoute(method, path)).toEqual(expected);
  });
});

describe('isServableClientVersion', () => {
  it.each([
    ['7.10.0', '7.10.0', true],
    ['7.10.1', '7.10.0', true],
    ['0.0.0', '7.10.0', true],
    ['7.10.0-dev.3', '7.10.0', true],
    ['7.9.1', '7.10.0', false],
    ['7.11.0', '7.10.0', false],
    ['6.19.0', '7.10.0', false],
    [undefined, '7.10.0', false],
    ['banana', '7.10.0', false],
  ])('client %s with executor %s: %s', (client, executor, expected) => {
    expect(isServableClientVersion(client, executor)).toBe(expected);
  });
});

describe('isLocalHostHeader', () => {
  it.each([
    ['localhost:51213', true],
    ['LOCALHOST', true],
    ['127.0.0.1:8080', true],
    ['[::1]:51213', true],
    ['[::1]', true],
    [undefined, true],
    ['evil.example.com', false],
    ['evil.example.com:51213', false],
    ['localhost.evil.example.com', false],
    ['127.0.0.2', false],
    ['[::2]:1', false],
  ])('%s: %s', (host, expected) => {
    expect(isLocalHostHeader(host)).toBe(expected);
  });
});
