import { lstat, mkdir, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCloudSandbox, type CliResult } from './cloud-sandbox.js';
import { SERVICE_TOKEN } from './fake-cloud.js';

/**
 * Switching a project between local and cloud, again and again (issue 10): the built CLI against the
 * fake cloud, `.env` compared byte for byte after every step.
 */

const LOCAL = 'postgres://postgres:postgres@localhost:51214/template1?sslmode=disable';
/** What the fake mints: the n-th project created through the Management API. */
const cloudUrl = (n: number): string => `postgres://u_test${n === 1 ? '' : n}:sk_test${n === 1 ? '' : n}@db.prisma.io:5432/postgres?sslmode=require`;
const C1 = cloudUrl(1);
const C2 = cloudUrl(2);
const C3 = cloudUrl(3);
const localMarker = (raw: string): string => `# DATABASE_URL (local, before ppg init --db): ${raw}\n`;
const cloudMarker = (project: string, command: string, url: string): string => `# DATABASE_URL (cloud ${project}, before ${command}): "${url}"\n`;

const box = useCloudSandbox(async (sandbox) => {
  // A project root marker, so subfolders resolve to it as `ppg dev` does.
  await writeFile(join(sandbox.project, 'package.json'), '{}\n');
});

const env = () => box().env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN });
const routes = (from: number) => box().fake.requests.slice(from).map((r) => `${r.method} ${r.path}`);

async function step(args: string[], expected: string, cwd?: string): Promise<CliResult> {
  const result = await box().run(args, env(), undefined, cwd);
  expect(result.stderr).not.toContain('error:');
  expect(result.code).toBe(0);
  expect(await readFile(box().envPath, 'utf8')).toBe(expected);
  return result;
}

describe('local ↔ cloud round trips', () => {
  it('goes back to the same cloud database, twice, then with a second and a third project in play every URL is kept', async () => {
    const head = '# app\nA=1\n';
    const tail = 'B=2\n';
    await writeFile(box().envPath, `${head}DATABASE_URL="${LOCAL}"\n${tail}`);

    // Round trip 1: a project is created once.
    const onCloud1 = `${head}${localMarker(`"${LOCAL}"`)}DATABASE_URL="${C1}"\n${tail}`;
    const onLocal1 = `${head}${cloudMarker('proj_test1', 'ppg init --local', C1)}DATABASE_URL="${LOCAL}"\n${tail}`;
    await step(['init', '--db', '--yes'], onCloud1);
    await step(['init', '--local'], onLocal1);

    // Round trip 2: back to proj_test1, checked with one GET and nothing created; byte-identical states.
    let seen = box().fake.requests.length;
    const back = await step(['init', '--db', '--yes'], onCloud1);
    expect(routes(seen)).toEqual(['GET /v1/projects/proj_test1']);
    expect(back.stderr).toBe(
      `Switched DATABASE_URL in ${box().envPath} back to Prisma Postgres project proj_test1 (db.prisma.io:5432); nothing was created.\n` +
        'The previous value is kept as a comment above it; `ppg init --local` switches back.\n',
    );
    await step(['init', '--local'], onLocal1);

    // A second project on purpose (--force from local), then a round trip returns to it, not to the first.
    const onCloud2 = `${head}${cloudMarker('proj_test1', 'ppg init --local', C1)}${localMarker(`"${LOCAL}"`)}DATABASE_URL="${C2}"\n${tail}`;
    await step(['init', '--db', '--yes', '--force'], onCloud2);
    const onLocal2 = `${head}${cloudMarker('proj_test1', 'ppg init --local', C1)}${cloudMarker('proj_test2', 'ppg init --local', C2)}DATABASE_URL="${LOCAL}"\n${tail}`;
    await step(['init', '--local'], onLocal2);
    seen = box().fake.requests.length;
    await step(['init', '--db', '--yes'], onCloud2);
    expect(routes(seen)).toEqual(['GET /v1/projects/proj_test2']);

    // --force on a cloud URL: a third project, and the second's URL stays as a comment.
    const onCloud3 =
      `${head}${cloudMarker('proj_test1', 'ppg init --local', C1)}${localMarker(`"${LOCAL}"`)}` + `${cloudMarker('proj_test2', 'ppg init --db --force', C2)}DATABASE_URL="${C3}"\n${tail}`;
    await step(['init', '--db', '--yes', '--force'], onCloud3);

    // The third project is deleted in the Console; switching back skips it and returns to the second.
    box().fake.projects.delete('proj_test3');
    const onLocal3 =
      `${head}${cloudMarker('proj_test1', 'ppg init --local', C1)}${cloudMarker('proj_test2', 'ppg init --db --force', C2)}` +
      `${cloudMarker('proj_test3', 'ppg init --local', C3)}DATABASE_URL="${LOCAL}"\n${tail}`;
    await step(['init', '--local'], onLocal3);
    seen = box().fake.requests.length;
    const final =
      `${head}${cloudMarker('proj_test1', 'ppg init --local', C1)}${cloudMarker('proj_test3', 'ppg init --local', C3)}` + `${localMarker(`"${LOCAL}"`)}DATABASE_URL="${C2}"\n${tail}`;
    await step(['init', '--db', '--yes'], final);
    expect(routes(seen)).toEqual(['GET /v1/projects/proj_test3', 'GET /v1/projects/proj_test2']);
    expect(box().fake.requestsTo('/v1/projects').filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('runs from a subfolder on the project root .env, as ppg dev does', async () => {
    const sub = join(box().project, 'src', 'deep');
    await mkdir(sub, { recursive: true });
    await writeFile(box().envPath, `DATABASE_URL=${LOCAL}\n`);
    const onCloud = `${localMarker(LOCAL)}DATABASE_URL=${C1}\n`;
    await step(['init', '--db', '--yes'], onCloud, sub);
    await step(['init', '--local'], `${cloudMarker('proj_test1', 'ppg init --local', C1).replace(`"${C1}"`, C1)}DATABASE_URL=${LOCAL}\n`, sub);
    await expect(stat(join(sub, '.env'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(box().fake.requests.find((r) => r.method === 'POST')?.body).toBe('{"createDatabase":true,"name":"my-app","region":"us-east-1"}');
  });

  it('a multi-line previous DATABASE_URL comes back whole', async () => {
    const multi = `DATABASE_URL="postgres://a:b@localhost:5432/db?\noptions=x"\nNEXT=1\n`;
    await writeFile(box().envPath, multi);
    await step(['init', '--db', '--yes'], `# DATABASE_URL (local, before ppg init --db): "postgres://a:b@localhost:5432/db?\n# options=x"\nDATABASE_URL="${C1}"\nNEXT=1\n`);
    await step(['init', '--local'], `${cloudMarker('proj_test1', 'ppg init --local', C1)}DATABASE_URL="postgres://a:b@localhost:5432/db?\noptions=x"\nNEXT=1\n`);
  });
});

describe('never lose the only copy of a connection string', () => {
  it('a write failure after the project exists prints the project id and the URL on stdout, and the hint does not invite a duplicate', async () => {
    const before = `A=1\nDATABASE_URL=${LOCAL}\n`;
    await writeFile(box().envPath, before);
    // Between the check and the write, .env turns into something rename cannot replace.
    box().fake.onProjectCreated = async () => {
      await rm(box().envPath);
      await mkdir(join(box().envPath, 'blocker'), { recursive: true });
    };
    const result = await box().run(['init', '--db', '--yes'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`# Prisma Postgres project proj_test1\nDATABASE_URL="${C1}"\n`);
    expect(result.stderr).toMatch(/^error: project proj_test1 was created but cannot (read|write) .*\.env \(EISDIR\)/);
    expect(result.stderr).toContain(
      'hint: its DATABASE_URL is printed above (the API shows it only once): put it in .env by hand; do not run `ppg init --db` again, that would create a second project\n',
    );
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('checks that .env can be written before creating anything', async () => {
    // A link to a file in a folder that does not exist: reading says "missing", writing cannot work.
    await symlink(join(box().root, 'no-such-folder', 'app.env'), box().envPath);
    const result = await box().run(['init', '--db', '--yes'], env());
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `error: cannot write ${box().envPath} (a link to ${join(box().root, 'no-such-folder', 'app.env')}): its folder ${join(box().root, 'no-such-folder')} does not exist; nothing was created\n` +
        'hint: fix the permissions (or pass another file) and run the command again\n',
    });
    expect(box().fake.requests).toEqual([]);
  });

  it('a timeout on the create call: the project may exist, so the hint says to look (ppg cloud ls), not to retry', async () => {
    box().fake.scenario = 'create-timeout';
    await writeFile(box().envPath, `DATABASE_URL=${LOCAL}\n`);
    const result = await box().run(['init', '--db', '--yes'], box().env({ PRISMA_SERVICE_TOKEN: SERVICE_TOKEN, PPG_HTTP_TIMEOUT_MS: '1000' }));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `error: the Prisma Management API at ${box().fake.url} timed out (no answer within 1s); the project "my-app" may have been created\n` +
        'hint: run `ppg cloud ls` to see whether it exists before trying again (then `ppg init --db --project <id>` connects to it)\n',
    });
    expect(await readFile(box().envPath, 'utf8')).toBe(`DATABASE_URL=${LOCAL}\n`);
  });

  it('an unreadable 2xx after creation: the outcome is unknown, the hint says to look before retrying, what could be read is printed', async () => {
    box().fake.scenario = 'badjson-2xx';
    const result = await box().run(['init', '--db', '--yes'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`# Prisma Postgres project proj_test1\nDATABASE_URL="${C1}"\n`);
    expect(result.stderr).toBe(
      'error: unexpected response from the Prisma Management API: no project data returned; the project "my-app" may have been created\n' +
        'hint: run `ppg cloud ls` to see whether it exists before trying again (then `ppg init --db --project <id>` connects to it)\n',
    );
  });
});

describe('.env files on disk', () => {
  it('a symlinked .env stays a symlink; the target is rewritten atomically next to itself', async () => {
    const shared = join(box().root, 'dotfiles');
    await mkdir(shared);
    const target = join(shared, 'my-app.env');
    await writeFile(target, `DATABASE_URL=${LOCAL}\n`, { mode: 0o640 });
    await symlink(target, box().envPath);
    await step(['init', '--db', '--yes'], `${localMarker(LOCAL)}DATABASE_URL=${C1}\n`);
    expect((await lstat(box().envPath)).isSymbolicLink()).toBe(true);
    expect(await readlink(box().envPath)).toBe(target);
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(await readdir(shared)).toEqual(['my-app.env']);
    expect((await readdir(box().project)).sort()).toEqual(['.env', 'package.json']);
  });

  it('a new .env holding a password is 0600', async () => {
    await step(['init', '--db', '--yes'], `DATABASE_URL="${C1}"\n`);
    expect((await stat(box().envPath)).mode & 0o777).toBe(0o600);
  });
});
