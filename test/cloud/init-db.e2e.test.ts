import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCloudSandbox } from './cloud-sandbox.js';
import { closedPortUrl, fixture, REFRESHED_TOKEN, SERVICE_TOKEN, type Scenario } from './fake-cloud.js';

const LOCAL = 'postgres://postgres:postgres@localhost:51214/postgres?sslmode=disable';
const CLOUD = 'postgres://u_test:sk_test@db.prisma.io:5432/postgres?sslmode=require';
/** A deliberately awkward .env: CRLF, comments, blanks, a duplicate key, an unterminated quote, no final newline. */
const MESSY = `# app settings\r\nexport PORT=3000\r\n\r\nDATABASE_URL=postgres://stale/db\r\nBROKEN="never closed\r\nDATABASE_URL='${LOCAL}' # local\r\n# tail comment\r\nLAST=1`;

const box = useCloudSandbox();

const withToken = () => box().env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN });

describe('ppg init --db (built CLI against the fake cloud)', () => {
  it('creates a project, rewrites DATABASE_URL in place and keeps every other byte', async () => {
    await writeFile(box().envPath, MESSY);
    await writeFile(join(box().project, '.gitignore'), 'node_modules\n.env*\n');
    const result = await box().run(['init', '--db', '--yes', '--region', 'eu-central-1', '--name', 'demo'], withToken());
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'Created Prisma Postgres project "demo" (proj_test1) with database db_test1 in eu-central-1.\n' +
        `Updated DATABASE_URL in ${box().envPath}: localhost:51214 → db.prisma.io:5432.\n` +
        'The previous value is kept as a comment above it; `ppg init --local` switches back.\n' +
        'warning: DATABASE_URL appeared 2 times; only the last (effective) one was changed.\n',
    });
    expect(await readFile(box().envPath, 'utf8')).toBe(
      `# app settings\r\nexport PORT=3000\r\n\r\nDATABASE_URL=postgres://stale/db\r\nBROKEN="never closed\r\n` +
        `# DATABASE_URL (local, before ppg init --db): '${LOCAL}'\r\nDATABASE_URL='${CLOUD}' # local\r\n# tail comment\r\nLAST=1`,
    );
    expect(box().fake.requests.map((r) => ({ method: r.method, path: r.path, body: r.body }))).toEqual([
      { method: 'GET', path: '/v1/regions/postgres', body: '' },
      { method: 'POST', path: '/v1/projects', body: '{"createDatabase":true,"name":"demo","region":"eu-central-1"}' },
    ]);
    for (const request of box().fake.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`);
      expect(request.headers['user-agent']).toMatch(/^ppg-dev\/0\.1\.0 \(node /);
    }
    expect(box().fake.requests[1]?.headers['content-type']).toBe('application/json');
  });

  it('creates .env when missing, defaults to us-east-1 and the folder name, and never writes the token', async () => {
    const result = await box().run(['init', '--db', '--yes'], withToken());
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Created ${box().envPath} with DATABASE_URL → db.prisma.io:5432.\n`);
    expect(await readFile(box().envPath, 'utf8')).toBe(`DATABASE_URL="${CLOUD}"\n`);
    expect(box().fake.requests[1]?.body).toBe('{"createDatabase":true,"name":"my-app","region":"us-east-1"}');
    expect(result.stdout + result.stderr).not.toContain('sk_test');
    expect(result.stderr).toContain('warning: .env now holds a database password and no .gitignore here ignores it; add `.env` to .gitignore.\n');
  });

  it('appends DATABASE_URL to an .env without one', async () => {
    await writeFile(box().envPath, 'FOO=1');
    const result = await box().run(['init', '--db', '--yes'], withToken());
    expect(result.stderr).toContain(`Added DATABASE_URL → db.prisma.io:5432 to ${box().envPath}.\n`);
    expect(await readFile(box().envPath, 'utf8')).toBe(`FOO=1\nDATABASE_URL="${CLOUD}"\n`);
  });

  it('says so and changes nothing when .env already points at Prisma Postgres', async () => {
    const text = `DATABASE_URL="${CLOUD}"\n`;
    await writeFile(box().envPath, text);
    const result = await box().run(['init', '--db', '--yes'], withToken());
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: `DATABASE_URL in ${box().envPath} already points at Prisma Postgres (db.prisma.io:5432); nothing changed.\nRun \`ppg init --db --force\` to create a new database anyway.\n`,
    });
    expect(box().fake.requests).toEqual([]);
    expect(await readFile(box().envPath, 'utf8')).toBe(text);
  });

  it('--force on a Prisma Postgres URL creates a new database and keeps the old URL as a comment', async () => {
    await writeFile(box().envPath, `DATABASE_URL="postgres://old:pw@db.prisma.io:5432/postgres"\n`);
    const result = await box().run(['init', '--db', '--yes', '--force'], withToken());
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('The previous Prisma Postgres URL is kept as a comment above it.\n');
    expect(await readFile(box().envPath, 'utf8')).toBe(
      `# DATABASE_URL (cloud, before ppg init --db --force): "postgres://old:pw@db.prisma.io:5432/postgres"\nDATABASE_URL="${CLOUD}"\n`,
    );
  });

  it('without any token: one error line and a hint, exit 1, no request, .env untouched', async () => {
    await writeFile(box().envPath, MESSY);
    const result = await box().run(['init', '--db', '--yes']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: not logged in to Prisma Postgres\n' +
        'hint: set PRISMA_SERVICE_TOKEN to a workspace service token (Console → Workspace Settings → Service Tokens), or `ppg login` with PPG_OAUTH_CLIENT_ID set\n',
    });
    expect(box().fake.requests).toEqual([]);
    expect(await readFile(box().envPath, 'utf8')).toBe(MESSY);
  });

  it('an unreadable .env (a folder) is one clear line, before any request', async () => {
    await mkdir(box().envPath);
    const result = await box().run(['init', '--db', '--yes'], withToken());
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error: cannot read ${box().envPath} (EISDIR)\nhint: check that it is a readable file\n` });
    expect(box().fake.requests).toEqual([]);
  });

  const failures: Array<[string, Scenario | 'down', string[], string]> = [
    ['API error with hint', 'apierror', [], 'error: Invalid region\nhint: Use one of the regions listed by GET /v1/regions/postgres.\n'],
    [
      'non-JSON 400',
      'badjson',
      [],
      'error: unexpected response from the Prisma Management API (HTTP 400): <html><body>Bad Request</body></html>\nhint: check the values you passed and try again\n',
    ],
    ['429 rate limit', 'ratelimit', [], 'error: Rate limit exceeded. Please try again later.\nhint: rate limited: wait a minute and try again\n'],
    [
      '429 programmatic rate limit',
      'ratelimit-programmatic',
      [],
      'error: Rate limit exceeded for programmatic database creation. You can create up to 1 database per minute. Please try again later.\nhint: rate limited: wait 60s and try again\n',
    ],
    [
      'unavailable region',
      'region-unavailable',
      ['--region', 'eu-west-3'],
      'error: region "eu-west-3" is currently unavailable\nhint: choose one of: us-east-1, us-west-1, eu-central-1, ap-northeast-1, ap-southeast-1\n',
    ],
    [
      'unknown region',
      'success',
      ['--region', 'mars-1'],
      'error: unknown region "mars-1"\nhint: choose one of: us-east-1, us-west-1, eu-west-3, eu-central-1, ap-northeast-1, ap-southeast-1\n',
    ],
    ['timeout', 'timeout', [], 'error: the Prisma Management API at URL timed out (no answer within 1s)\nhint: try again; check https://www.prisma-status.com/ if it keeps happening\n'],
    [
      'rejected service token',
      'success',
      [],
      'error: the Prisma Management API rejected PRISMA_SERVICE_TOKEN (HTTP 401): it is invalid, expired or revoked\n' +
        'hint: create a new service token (Console → Workspace Settings → Service Tokens) and set PRISMA_SERVICE_TOKEN to it, or unset it to use `ppg login`\n',
    ],
    ['server down', 'down', [], 'error: cannot reach the Prisma Management API at URL (ECONNREFUSED)\nhint: check your internet connection or visit https://www.prisma-status.com/\n'],
  ];

  it.each(failures)('%s: one line plus hint, exit 1, .env untouched', async (_name, scenario, args, stderr) => {
    await writeFile(box().envPath, MESSY);
    let api = box().fake.url;
    if (scenario === 'down') api = await closedPortUrl();
    else box().fake.scenario = scenario;
    const token = _name === 'rejected service token' ? 'svc_revoked' : SERVICE_TOKEN;
    const result = await box().run(['init', '--db', '--yes', ...args], box().env({ PRISMA_SERVICE_TOKEN: token, PRISMA_MANAGEMENT_API_URL: api, PPG_HTTP_TIMEOUT_MS: '1000' }));
    expect(result).toEqual({ code: 1, stdout: '', stderr: stderr.replace('URL', api) });
    expect(await readFile(box().envPath, 'utf8')).toBe(MESSY);
  });

  it('database still provisioning: the project id on stdout, a hint that links instead of creating again, .env untouched', async () => {
    await writeFile(box().envPath, MESSY);
    box().fake.scenario = 'provisioning';
    const result = await box().run(['init', '--db', '--yes'], withToken());
    expect(result).toEqual({
      code: 1,
      stdout: '# Prisma Postgres project proj_prov1\n',
      stderr:
        'error: database db_prov1 in project proj_prov1 is still provisioning and came without a connection string; .env is unchanged\n' +
        'hint: once it is ready, run `ppg init --db --project proj_prov1`: it connects to this project instead of creating another\n',
    });
    expect(await readFile(box().envPath, 'utf8')).toBe(MESSY);
  });

  it('a stored login that gets a 401 is refreshed once, retried, and the credentials rewritten 0600', async () => {
    await mkdir(box().configDir, { recursive: true });
    await writeFile(join(box().configDir, 'auth.json'), fixture('auth.expired.json'));
    const result = await box().run(['init', '--db', '--yes']);
    expect(result.code).toBe(0);
    expect(box().fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/regions/postgres', 'POST /token', 'GET /v1/regions/postgres', 'POST /v1/projects']);
    expect(box().fake.requests[3]?.headers.authorization).toBe(`Bearer ${REFRESHED_TOKEN}`);
    const authPath = join(box().configDir, 'auth.json');
    expect(JSON.parse(await readFile(authPath, 'utf8'))).toEqual({ tokens: [{ workspaceId: 'wksp_test1', token: REFRESHED_TOKEN, refreshToken: 'rt_test2' }] });
    expect((await stat(authPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(box().envPath, 'utf8')).not.toContain(REFRESHED_TOKEN);
  });

  it('invalid_grant on refresh: clears the login, exit 1 with a login hint, .env untouched', async () => {
    await mkdir(box().configDir, { recursive: true });
    await writeFile(join(box().configDir, 'auth.json'), fixture('auth.expired.json'));
    await writeFile(box().envPath, MESSY);
    box().fake.scenario = 'invalid_grant';
    const result = await box().run(['init', '--db', '--yes']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'error: your Prisma login has expired or was revoked\nhint: run `ppg login` again\n' });
    await expect(stat(join(box().configDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(box().envPath, 'utf8')).toBe(MESSY);
  });
});

describe('light path', () => {
  it('init --db and create-db never load PGlite, pg-gateway or the wire server', async () => {
    const forbid = fileURLToPath(new URL('../support/forbid-heavy-modules.mjs', import.meta.url));
    const env = box().env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN, NODE_OPTIONS: `--import=${forbid}` });
    expect(await box().run(['init', '--db', '--yes'], env)).toMatchObject({ code: 0 });
    expect(await box().run(['create-db', '--quiet'], env)).toMatchObject({ code: 0, stdout: `${CLOUD}\n`, stderr: '' });
  });
});

describe('ppg init --local', () => {
  it('switches back byte for byte and keeps the cloud URL as a comment', async () => {
    const original = `A=1\nDATABASE_URL='${LOCAL}'\nB=2\n`;
    await writeFile(box().envPath, original);
    expect((await box().run(['init', '--db', '--yes'], withToken())).code).toBe(0);
    const result = await box().run(['init', '--local']);
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: `Restored the local DATABASE_URL (localhost:51214) in ${box().envPath}.\nThe Prisma Postgres URL (db.prisma.io:5432) is kept as a comment above it.\n`,
    });
    expect(await readFile(box().envPath, 'utf8')).toBe(`A=1\n# DATABASE_URL (cloud proj_test1, before ppg init --local): '${CLOUD}'\nDATABASE_URL='${LOCAL}'\nB=2\n`);
  });

  it('fails cleanly when there is nothing to restore', async () => {
    await writeFile(box().envPath, 'A=1\n');
    const result = await box().run(['init', '--local']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${box().envPath} has no local DATABASE_URL saved by \`ppg init --db\`\nhint: start a local database with \`ppg dev\` and put its URL in DATABASE_URL\n`,
    });
    expect(await readFile(box().envPath, 'utf8')).toBe('A=1\n');
  });

  it('needs exactly one of --db and --local (usage error, exit 2)', async () => {
    const result = await box().run(['init']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: choose --db or --local\nhint: run `ppg init --db` to switch to Prisma Postgres, `ppg init --local` to switch back\n');
  });
});
