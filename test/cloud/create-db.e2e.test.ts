import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCloudSandbox } from './cloud-sandbox.js';
import { closedPortUrl, DIRECT_URL, fixtureJson, type Scenario } from './fake-cloud.js';

const CLAIM = 'https://claim.test/claim?projectID=proj_test1&utm_source=create-db&utm_medium=cli';

const box = useCloudSandbox();

function createBody(index = -1): Record<string, unknown> {
  const creates = box().fake.requests.filter((r) => r.path === '/create');
  return JSON.parse(creates.at(index)?.body ?? 'null') as Record<string, unknown>;
}

describe('ppg create-db (built CLI against the fake worker)', () => {
  it('--json prints create-db 1.2.x keys in order after health and region checks', async () => {
    const result = await box().run(['create-db', '--json', '--region', 'eu-central-1']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['success', 'connectionString', 'claimUrl', 'deletionDate', 'region', 'name', 'projectId']);
    expect(json).toMatchObject({ success: true, connectionString: DIRECT_URL, claimUrl: CLAIM, region: 'eu-central-1', projectId: 'proj_test1' });
    expect(box().fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /health', 'GET /regions', 'POST /create']);
    const body = createBody();
    expect(Object.keys(body)).toEqual(['region', 'name', 'utm_source', 'source']);
    expect(body).toMatchObject({ region: 'eu-central-1', utm_source: 'create-db', source: 'cli' });
    expect(new Date(body.name as string).toISOString()).toBe(body.name);
    // deletionDate is name + 24 h, computed client-side from the same clock reading.
    expect(Date.parse(json.deletionDate as string) - Date.parse(body.name as string)).toBe(86_400_000);
    expect(box().fake.requests[2]?.headers['content-type']).toBe('application/json');
    expect(box().fake.requests[2]?.headers['user-agent']).toMatch(/^ppg-dev\//);
  });

  it('create-pg -q prints only the connection string; --ttl is sent as ttlMs; -u adds userAgent', async () => {
    const result = await box().run(['create-pg', '-q', '--ttl', '2h', '-u', 'my-tool/1']);
    expect(result).toEqual({ code: 0, stdout: `${DIRECT_URL}\n`, stderr: '' });
    expect(createBody()).toEqual({ region: 'us-east-1', name: createBody().name, utm_source: 'create-pg', userAgent: 'my-tool/1', source: 'cli', ttlMs: 7_200_000 });
  });

  it('human output: URLs on stdout, progress on stderr', async () => {
    const result = await box().run(['create-postgres']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `Connection String:\n${DIRECT_URL}\nClaim your database to keep it for free:\n${CLAIM.replace('create-db', 'create-postgres')}\n`,
    );
    expect(result.stderr).toMatch(/^Creating database in us-east-1\.\.\.\nDatabase created successfully!\nDatabase will be deleted on .+ if not claimed\.\n$/);
  });

  it('--env replaces DATABASE_URL and CLAIM_URL in place, keeping the old values as comments (the old claim URL still claims the old database)', async () => {
    const envPath = join(box().project, '.env.test');
    await writeFile(envPath, '# keep\r\nDATABASE_URL="postgres://old/db"\r\nOTHER=1\r\nCLAIM_URL=https://old\r\n');
    const result = await box().run(['create-db', '--env', '.env.test']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Wrote DATABASE_URL and CLAIM_URL to ${envPath}\n`);
    expect(await readFile(envPath, 'utf8')).toBe(
      `# keep\r\n# DATABASE_URL (before ppg create-db): "postgres://old/db"\r\nDATABASE_URL="${DIRECT_URL}"\r\nOTHER=1\r\n` +
        `# CLAIM_URL (before ppg create-db): https://old\r\nCLAIM_URL=${CLAIM}\r\n`,
    );
  });

  it('--json with --env does not write the file (as create-db) and says so', async () => {
    const result = await box().run(['create-db', '--json', '--env', '.env']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('warning: --env is not written in --json mode (as in create-db); .env is unchanged.\n');
    await expect(readFile(join(box().project, '.env'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('-i picks the region from the list (answer piped on stdin)', async () => {
    const result = await box().run(['create-db', '-i', '-q'], box().env(), '');
    // --quiet ignores --interactive, as in create-db.
    expect(result.code).toBe(0);
    expect(createBody().region).toBe('us-east-1');
    const picked = await box().run(['create-db', '-i', '--json'], box().env(), '2\n');
    expect(picked.code).toBe(0);
    expect(createBody().region).toBe('us-west-1');
    expect(picked.stderr).toContain('  2) us-west-1 - US West (N. California)\n');
  });

  it('an invalid region is a clean error, also in --json mode, before any request', async () => {
    const result = await box().run(['create-db', '-r', 'mars-1', '--json']);
    expect(result).toEqual({
      code: 1,
      stdout: `${JSON.stringify({ success: false, error: 'invalid_region', message: 'Invalid region: mars-1.' }, null, 2)}\n`,
      stderr: 'error: Invalid region: mars-1.\nhint: allowed regions are ap-southeast-1, ap-northeast-1, eu-central-1, eu-west-3, us-east-1, us-west-1\n',
    });
    expect(box().fake.requests).toEqual([]);
  });

  it('a region the service lists as unavailable is rejected with the available list', async () => {
    box().fake.scenario = 'region-unavailable';
    const result = await box().run(['create-db', '-r', 'eu-west-3']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: Invalid region: eu-west-3. Available regions: us-east-1, us-west-1, eu-central-1, ap-northeast-1, ap-southeast-1\nhint: pick one of the available regions, or run with --interactive\n',
    });
    expect(box().fake.requests.map((r) => r.path)).toEqual(['/health', '/regions']);
  });

  it('an invalid --ttl is rejected before any request', async () => {
    const result = await box().run(['create-db', '--ttl', '99h', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ success: false, error: 'invalid_ttl', message: 'Invalid ttl "99h". Allowed range is 30m to 24h.' });
    expect(box().fake.requests).toEqual([]);
  });

  const errors: Array<[Scenario, Record<string, unknown>, string]> = [
    ['ratelimit', { success: false, error: 'rate_limit_exceeded', message: "We're experiencing a high volume of requests. Please try again later.", status: 429 }, 'hint: wait a minute and try again'],
    [
      'ratelimit-programmatic',
      {
        success: false,
        error: 'RATE_LIMIT_EXCEEDED',
        message: 'Rate limit exceeded for programmatic database creation. You can create up to 1 database per minute. Please try again later.',
        rateLimitInfo: { retryAfterMs: 60000, currentCount: 1, maxRequests: 1 },
        status: 429,
      },
      'hint: programmatic creation allows 1 database per minute; wait and try again',
    ],
    [
      'apierror',
      { success: false, error: 'api_error', message: 'Invalid region', details: { code: 'validation_error', message: 'Invalid region', hint: 'Use one of the regions listed by GET /v1/regions/postgres.' }, status: 400 },
      'hint: check the flags you passed and try again',
    ],
    ['badjson', { success: false, error: 'invalid_json', message: 'Unexpected response from create service.', raw: 'Missing region or name in request body', status: 400 }, 'hint: the service answered something unexpected; try again or visit https://www.prisma-status.com/'],
  ];

  it.each(errors)('%s → the create-db error object on stdout, one line plus hint on stderr, exit 1', async (scenario, expected, hint) => {
    const envPath = join(box().project, '.env');
    await writeFile(envPath, 'KEEP=1');
    box().fake.scenario = scenario;
    const json = await box().run(['create-db', '--json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(json.stderr).toBe(`error: ${expected.message as string}\n${hint}\n`);
    const human = await box().run(['create-db', '--env', '.env']);
    expect(human).toEqual({ code: 1, stdout: '', stderr: `Creating database in us-east-1...\nerror: ${expected.message as string}\n${hint}\n` });
    expect(await readFile(envPath, 'utf8')).toBe('KEEP=1');
  });

  it('server down: "Cannot reach" with a hint, as JSON too', async () => {
    const down = await closedPortUrl();
    const result = await box().run(['create-db', '--json', '-r', 'eu-central-1'], box().env({ CREATE_DB_WORKER_URL: down }));
    expect(result).toEqual({
      code: 1,
      stdout: `${JSON.stringify({ success: false, error: 'network_error', message: 'Cannot reach Prisma Postgres API server.' }, null, 2)}\n`,
      stderr: 'error: Cannot reach Prisma Postgres API server.\nhint: Check your internet connection or visit https://www.prisma-status.com/\n',
    });
  });
});

describe('ppg create-db regions', () => {
  it('--json prints the available regions as the service sent them', async () => {
    box().fake.scenario = 'region-unavailable';
    const result = await box().run(['create-db', 'regions', '--json']);
    expect(result.code).toBe(0);
    const expected = (fixtureJson('regions.postgres.unavailable.json').data as Array<{ status: string }>).filter((r) => r.status === 'available');
    expect(result.stdout).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(box().fake.requests.map((r) => r.path)).toEqual(['/health', '/regions']);
  });

  it('prints one `id - name` line per region (also as create-pg)', async () => {
    const result = await box().run(['create-pg', 'regions']);
    expect(result).toEqual({
      code: 0,
      stdout: 'us-east-1 - US East (N. Virginia)\nus-west-1 - US West (N. California)\neu-west-3 - Europe (Paris)\neu-central-1 - Europe (Frankfurt)\nap-northeast-1 - Asia Pacific (Tokyo)\nap-southeast-1 - Asia Pacific (Singapore)\n',
      stderr: 'Available Prisma Postgres regions:\n',
    });
  });
});

/** Runs an ES module script in a child Node from the repository root (so `import('ppg-dev')` resolves), in the sandbox's env; resolves with its stdout. */
async function runPackageScript(script: string): Promise<string> {
  const { spawn } = await import('node:child_process');
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..', '..'), env: box().env() });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(stdout));
  });
}

describe('the package library API (built, imported by package name)', () => {
  it('create(), regions() and the guards work through the exports field', async () => {
    const script = [
      "const lib = await import('ppg-dev');",
      "const regions = await lib.regions();",
      "const ok = await lib.create({ region: 'eu-central-1', userAgent: 'lib-test' });",
      "const bad = await lib.create({ ttl: '99h' });",
      'console.log(JSON.stringify({ regions: regions.length, ok, okGuard: lib.isDatabaseSuccess(ok), bad, badGuard: lib.isDatabaseError(bad) }));',
    ].join('\n');
    const out = await runPackageScript(script);
    const parsed = JSON.parse(out) as Record<string, Record<string, unknown> | number | boolean>;
    expect(parsed.regions).toBe(6);
    expect(parsed.ok).toMatchObject({ success: true, connectionString: DIRECT_URL, userAgent: 'lib-test', claimUrl: 'https://claim.test/claim?projectID=proj_test1&utm_source=lib-test&utm_medium=cli' });
    expect(parsed.okGuard).toBe(true);
    expect(parsed.bad).toEqual({ success: false, error: 'invalid_ttl', message: 'Invalid ttl "99h". Allowed range is 30m to 24h.' });
    expect(parsed.badGuard).toBe(true);
    expect(createBody()).toMatchObject({ region: 'eu-central-1', utm_source: 'create-db', userAgent: 'lib-test', source: 'programmatic' });
    expect(box().fake.requests.map((r) => r.path)).toEqual(['/regions', '/create']);
  });

  it('exports RegionSchema, CreateFlags and RegionsFlags with parse/safeParse, as create-db 1.2.x', async () => {
    const script = [
      "const { RegionSchema, CreateFlags, RegionsFlags } = await import('ppg-dev');",
      'const out = {',
      "  options: RegionSchema.options, region: RegionSchema.parse('eu-west-3'), badRegion: RegionSchema.safeParse('mars-1').success,",
      "  flags: CreateFlags.parse({ region: 'us-east-1', json: true, ttl: '1h', copy: true }), badFlags: CreateFlags.safeParse({ json: 'yes' }).success,",
      '  regionsFlags: RegionsFlags.parse({ json: true }),',
      '};',
      'console.log(JSON.stringify(out));',
    ].join('\n');
    const out = await runPackageScript(script);
    expect(JSON.parse(out)).toEqual({
      options: ['ap-southeast-1', 'ap-northeast-1', 'eu-central-1', 'eu-west-3', 'us-east-1', 'us-west-1'],
      region: 'eu-west-3',
      badRegion: false,
      flags: { region: 'us-east-1', json: true, ttl: '1h', copy: true },
      badFlags: false,
      regionsFlags: { json: true },
    });
  });
});

describe('create-db parity: create subcommand, --ttl in any case, --copy, --open', () => {
  it('`create-db create` is the default command under its own name', async () => {
    const result = await box().run(['create-db', 'create', '-q', '--ttl', '2H']);
    expect(result).toEqual({ code: 0, stdout: `${DIRECT_URL}\n`, stderr: '' });
    expect(createBody()).toMatchObject({ utm_source: 'create-db', ttlMs: 7_200_000 });
  });

  it('--ttl is case-insensitive (30M)', async () => {
    expect((await box().run(['create-pg', '-q', '-t', '30M'])).code).toBe(0);
    expect(createBody()).toMatchObject({ utm_source: 'create-pg', ttlMs: 1_800_000 });
  });

  it('--copy without any clipboard tool and --open without any opener: a clear warning each, the URLs printed, exit 0', async () => {
    const noTools = box().env({ PATH: join(box().root, 'empty-bin'), PPG_NO_BROWSER: '' });
    const result = await box().run(['create-db', '--copy', '--open'], noTools);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${DIRECT_URL}\n`);
    expect(result.stdout).toContain(`${CLAIM}\n`);
    expect(result.stderr).toContain('warning: --copy: no clipboard tool found (tried wl-copy, xclip, xsel); copy the connection string printed above.\n');
    expect(result.stderr).toContain('warning: --open: no browser opener could be started; open the claim URL printed above.\n');
  });

  it('--open with PPG_NO_BROWSER set says it did not open one', async () => {
    const result = await box().run(['create-db', '-q', '-o']);
    expect(result).toEqual({
      code: 0,
      stdout: `${DIRECT_URL}\n`,
      stderr: 'warning: --open: not opening a browser (PPG_NO_BROWSER is set); open the claim URL printed above.\n',
    });
  });
});

describe('ppg create-db --env: where it writes, and never losing the URL', () => {
  it('a bare -e from a subfolder writes the project root .env (0600 when new), as init --db and ppg dev --env do', async () => {
    await writeFile(join(box().project, 'package.json'), '{}\n');
    const sub = join(box().project, 'packages', 'api');
    await mkdir(sub, { recursive: true });
    const result = await box().run(['create-db', '-e'], box().env(), undefined, sub);
    expect(result.code).toBe(0);
    const envPath = join(box().project, '.env');
    expect(result.stderr).toContain(`Wrote DATABASE_URL and CLAIM_URL to ${envPath}\n`);
    expect(await readFile(envPath, 'utf8')).toBe(`DATABASE_URL="${DIRECT_URL}"\nCLAIM_URL="${CLAIM}"\n`);
    expect((await stat(envPath)).mode & 0o777).toBe(0o600);
    await expect(stat(join(sub, '.env'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an -e path that cannot be written fails before anything is created', async () => {
    const result = await box().run(['create-db', '-e', 'missing/.env']);
    const path = join(box().project, 'missing', '.env');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: cannot write ${path}: its folder ${join(box().project, 'missing')} does not exist; nothing was created\nhint: fix the permissions (or pass another file) and run the command again\n`,
    });
    expect(box().fake.requests).toEqual([]);
  });

  it.each([[[] as string[]], [['--quiet']]])('a write failure after creation still prints the URL and the claim URL (%j), then one error and a hint', async (extra) => {
    const envPath = join(box().project, '.env');
    box().fake.onProjectCreated = async () => {
      await rm(envPath, { force: true });
      await mkdir(join(envPath, 'blocker'), { recursive: true });
    };
    const result = await box().run(['create-db', '-e', ...extra]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${DIRECT_URL}\n`);
    expect(result.stdout).toContain(`${CLAIM}\n`);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('error:') || l.startsWith('hint:'));
    expect(lines).toEqual([
      expect.stringMatching(/^error: the database was created but cannot (read|write) .*\.env \(EISDIR\)/),
      'hint: its connection string and claim URL are printed on stdout: put them in .env by hand; running create-db again would make another database',
    ]);
  });
});

describe('create-db failures say what failed', () => {
  it('a 5xx from /create says the service failed, not "check the flags"', async () => {
    box().fake.scenario = 'create-5xx';
    const result = await box().run(['create-db']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Creating database in us-east-1...\nerror: Internal server error\nhint: the service failed (HTTP 500); try again later or visit https://www.prisma-status.com/\n',
    });
  });

  it.each([[['create-db', '-r', 'eu-central-1']], [['create-db', 'regions']]])('a failing /regions is a service error with a hint, also as JSON (%j)', async (args) => {
    box().fake.scenario = 'regions-5xx';
    const message = 'the Prisma Postgres create-db service failed: GET /regions answered HTTP 503';
    const human = await box().run(args);
    expect(human).toEqual({ code: 1, stdout: '', stderr: `error: ${message}\nhint: the service is having trouble; try again later or visit https://www.prisma-status.com/\n` });
    const json = await box().run([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ success: false, error: 'service_unavailable', message });
  });

  it('a /health that does not answer in time says "timed out", not "cannot reach"', async () => {
    box().fake.scenario = 'health-slow';
    const result = await box().run(['create-db', '--json'], box().env({ PPG_HTTP_TIMEOUT_MS: '500' }));
    const message = `the Prisma Postgres create-db service at ${box().fake.url} timed out (no answer within 500ms)`;
    expect(result).toEqual({
      code: 1,
      stdout: `${JSON.stringify({ success: false, error: 'timeout', message }, null, 2)}\n`,
      stderr: `error: ${message}\nhint: try again; check https://www.prisma-status.com/ if it keeps happening\n`,
    });
  });
});
