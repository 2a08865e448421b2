import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { useCloudSandbox } from './cloud-sandbox.js';
import { SERVICE_TOKEN } from './fake-cloud.js';

/** Linking an existing project (`init --db --project`), listing and deleting projects (`ppg cloud ls|rm`). */

const LOCAL = 'postgres://postgres:postgres@localhost:51214/template1?sslmode=disable';
const LINK1 = 'postgres://u_link1:sk_link1@db.prisma.io:5432/postgres?sslmode=require';
const C1 = 'postgres://u_test:sk_test@db.prisma.io:5432/postgres?sslmode=require';

const box = useCloudSandbox();

const env = () => box().env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN });
const routes = (from = 0) => box().fake.requests.slice(from).map((r) => `${r.method} ${r.path}${r.query.projectId ? `?projectId=${r.query.projectId}` : ''}`);

describe('ppg init --db --project', () => {
  it('links an existing project by name: new credentials on its ready default database, nothing created', async () => {
    await writeFile(box().envPath, `DATABASE_URL="${LOCAL}"\n`);
    const result = await box().run(['init', '--db', '--project', 'A'], env());
    expect(result.stderr).toContain('Connected to Prisma Postgres project "A" (proj_a), database db_a, with new credentials.\n');
    expect(result.code).toBe(0);
    expect(await readFile(box().envPath, 'utf8')).toBe(`# DATABASE_URL (local, before ppg init --db): "${LOCAL}"\nDATABASE_URL="${LINK1}"\n`);
    expect(routes()).toEqual(['GET /v1/projects', 'GET /v1/projects', 'GET /v1/databases?projectId=proj_a', 'POST /v1/databases/db_a/connections']);
    expect(box().fake.requests.at(-1)?.body).toBe(JSON.stringify({ name: `ppg-dev-${hostname()}` }));

    // The round trip comes back to the linked project without new credentials.
    expect((await box().run(['init', '--local'], env())).code).toBe(0);
    expect(await readFile(box().envPath, 'utf8')).toBe(`# DATABASE_URL (cloud proj_a, before ppg init --local): "${LINK1}"\nDATABASE_URL="${LOCAL}"\n`);
    const seen = box().fake.requests.length;
    expect((await box().run(['init', '--db', '--project', 'proj_a'], env())).code).toBe(0);
    expect(routes(seen)).toEqual(['GET /v1/projects', 'GET /v1/projects']);
    expect(await readFile(box().envPath, 'utf8')).toBe(`# DATABASE_URL (local, before ppg init --db): "${LOCAL}"\nDATABASE_URL="${LINK1}"\n`);
  });

  it('switches a folder on one cloud project to another, keeping the first URL', async () => {
    await writeFile(box().envPath, `DATABASE_URL="${LOCAL}"\n`);
    expect((await box().run(['init', '--db', '--yes'], env())).code).toBe(0);
    const result = await box().run(['init', '--db', '--project', 'proj_a'], env());
    expect(result.code).toBe(0);
    expect(await readFile(box().envPath, 'utf8')).toBe(
      `# DATABASE_URL (local, before ppg init --db): "${LOCAL}"\n# DATABASE_URL (cloud proj_test1, before ppg init --db): "${C1}"\nDATABASE_URL="${LINK1}"\n`,
    );
    // Asking for the project it already points at changes nothing.
    const again = await box().run(['init', '--db', '--project', 'proj_a'], env());
    expect(again.stderr).toContain('already points at Prisma Postgres');
  });

  it.each([
    [['--project', 'nope'], 1, 'error: no project with the id or name "nope" in this workspace\nhint: run `ppg cloud ls` to see your projects\n'],
    [['--project', 'A', '--region', 'eu-west-3'], 2, 'error: --project links an existing project; --region, --name and --force are for creating one\nhint: run `ppg init --db --project <id|name>` alone\n'],
  ])('%j: one error line and a hint, .env untouched', async (args, code, stderr) => {
    await writeFile(box().envPath, 'A=1\n');
    expect(await box().run(['init', '--db', ...args], env())).toEqual({ code, stdout: '', stderr });
    expect(await readFile(box().envPath, 'utf8')).toBe('A=1\n');
  });

  it('--project alone offers the list; the answer (piped) picks the project', async () => {
    await writeFile(box().envPath, `DATABASE_URL="${LOCAL}"\n`);
    const result = await box().run(['init', '--db', '--project'], env(), '1\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Choose a project:\n  1) A (proj_a)\n  2) B (proj_b)\nProject [1-2]: ');
    expect(await readFile(box().envPath, 'utf8')).toBe(`# DATABASE_URL (local, before ppg init --db): "${LOCAL}"\nDATABASE_URL="${LINK1}"\n`);
  });

  it('a project without a ready database: one error line, no credentials made', async () => {
    const result = await box().run(['init', '--db', '--project'], env(), 'B\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: project proj_b ("B") has no database that is ready\nhint: create one in https://console.prisma.io or wait until it is ready, then run the command again\n',
    );
    expect(box().fake.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('two projects with the same name: ambiguous, the ids are listed', async () => {
    expect((await box().run(['init', '--db', '--yes', '--name', 'twin'], env())).code).toBe(0);
    expect((await box().run(['init', '--db', '--yes', '--force', '--name', 'twin'], env())).code).toBe(0);
    const result = await box().run(['init', '--db', '--project', 'twin'], env());
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'error: 2 projects are named "twin": proj_test1, proj_test2\nhint: pass the project id instead: ppg init --db --project <id>\n' });
  });
});

describe('ppg cloud ls / rm', () => {
  it('lists every project (all pages) as a table and as JSON', async () => {
    expect((await box().run(['init', '--db', '--yes'], env())).code).toBe(0);
    const table = await box().run(['cloud', 'ls'], env());
    expect(table).toEqual({
      code: 0,
      stdout:
        'ID          NAME    REGION        CREATED\n' +
        'proj_a      A       us-east-1     2026-01-01T00:00:00.000Z\n' +
        'proj_b      B       eu-central-1  2026-01-02T00:00:00.000Z\n' +
        'proj_test1  my-app  eu-central-1  2026-01-01T00:00:00.000Z\n',
      stderr: '',
    });
    const json = await box().run(['cloud', 'ls', '--json'], env());
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 'proj_a', name: 'A', region: 'us-east-1', createdAt: '2026-01-01T00:00:00.000Z' },
      { id: 'proj_b', name: 'B', region: 'eu-central-1', createdAt: '2026-01-02T00:00:00.000Z' },
      { id: 'proj_test1', name: 'my-app', region: 'eu-central-1', createdAt: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('rm asks first: without a terminal it needs --yes (usage error, nothing deleted)', async () => {
    const result = await box().run(['cloud', 'rm', 'proj_b'], env());
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'error: refusing to delete proj_b without confirmation\nhint: run `ppg cloud rm proj_b --yes`\n' });
    expect(box().fake.requests).toEqual([]);
  });

  it('rm --yes deletes the project; an unknown id is one error line', async () => {
    const result = await box().run(['cloud', 'rm', 'proj_b', '--yes'], env());
    expect(result).toEqual({ code: 0, stdout: '', stderr: 'Deleted project "B" (proj_b).\n' });
    expect(routes().at(-1)).toBe('DELETE /v1/projects/proj_b');
    expect((await box().run(['cloud', 'ls'], env())).stdout).not.toContain('proj_b');
    expect(await box().run(['cloud', 'rm', 'proj_b', '--yes'], env())).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no project with the id "proj_b" in this workspace\nhint: run `ppg cloud ls` to see the ids\n',
    });
  });

  it('without a token: the usual not-logged-in error', async () => {
    const result = await box().run(['cloud', 'ls']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: not logged in to Prisma Postgres\nhint: /);
  });
});
