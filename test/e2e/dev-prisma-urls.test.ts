import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryRows, withClient } from '../support/pg-client.js';
import { runPpg, spawnPpg, urlFrom } from '../support/ppg-process.js';
import { useSandbox } from '../support/sandbox-hooks.js';

// `prisma dev`'s URL family served by a real `ppg dev` daemon: TCP (template1), shadow, prisma+postgres.
const box = useSandbox();
const ppg = (args: string[], cwd = box().project) => runPpg(args, { env: box().env, cwd });

function apiKeyOf(prismaUrl: string): { databaseUrl: string; name: string; shadowDatabaseUrl: string } {
  return JSON.parse(Buffer.from(new URL(prismaUrl.replace('prisma+postgres:', 'http:')).searchParams.get('api_key')!, 'base64url').toString());
}

describe('ppg dev and Prisma', () => {
  it('prints the URL family, serves all three on sticky ports next to the database, and the api_key names them', async () => {
    const server = spawnPpg(['dev'], { env: box().env, cwd: box().project });
    await server.waitFor(/^# DATABASE_URL="prisma\+postgres:\S+"$/m);
    const out = server.stdout();
    // The sandbox's base port and both neighbours were free when it was made (see freeBasePort), so the
    // layout prisma dev users have (HTTP one below the database, shadow one above) shows up exactly.
    const base = box().basePort;
    const databaseUrl = /^DATABASE_URL="(\S+)"$/m.exec(out)![1]!;
    const shadowUrl = /^SHADOW_DATABASE_URL="(\S+)"$/m.exec(out)![1]!;
    const prismaUrl = /^# DATABASE_URL="(\S+)"$/m.exec(out)![1]!;
    expect(databaseUrl).toBe(`postgres://postgres:postgres@localhost:${base}/template1?sslmode=disable`);
    expect(shadowUrl).toBe(`postgres://postgres:postgres@localhost:${base + 1}/template1?sslmode=disable`);
    expect(prismaUrl).toMatch(new RegExp(`^prisma\\+postgres://localhost:${base - 1}/\\?api_key=[A-Za-z0-9_-]+$`));
    const key = apiKeyOf(prismaUrl);
    expect(key.name).toBe('app');
    expect(new URL(key.databaseUrl).port).toBe(String(base));
    expect(new URL(key.shadowDatabaseUrl).port).toBe(String(base + 1));

    // template1 is the main database; the shadow server is a separate, empty one.
    await withClient(databaseUrl, (c) => c.query('create table main_only (v int)'));
    expect(await queryRows(databaseUrl.replace('/template1', '/postgres'), "select to_regclass('main_only') is not null as here")).toEqual([{ here: true }]);
    expect(await queryRows(shadowUrl, "select to_regclass('main_only') is null as absent")).toEqual([{ absent: true }]);

    const health = await fetch(`http://127.0.0.1:${base - 1}/health`);
    expect(await health.json()).toEqual({ name: 'app' });
    const apiKey = new URL(prismaUrl.replace('prisma+postgres:', 'http:')).searchParams.get('api_key')!;
    const foreign = Buffer.from(JSON.stringify({ ...key, name: 'someone-else' })).toString('base64url');
    const refused = await fetch(`http://127.0.0.1:${base - 1}/connection-info`, { headers: { authorization: `Bearer ${foreign}` } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toContain('someone-else');
    const info = await fetch(`http://127.0.0.1:${base - 1}/connection-info`, { headers: { authorization: `Bearer ${apiKey}`, 'prisma-engine-hash': '7.10.0' } });
    expect(info.status).toBe(200);

    const listed = JSON.parse((await ppg(['dev', 'ls', '--json'])).stdout) as { httpPort: number; shadowPort: number; prismaUrl: string }[];
    expect(listed).toEqual([expect.objectContaining({ httpPort: base - 1, shadowPort: base + 1, prismaUrl })]);

    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    // Restarted, the instance keeps all three ports, so .env files stay valid.
    const again = spawnPpg(['dev'], { env: box().env, cwd: box().project });
    await again.waitFor(/^# DATABASE_URL="prisma\+postgres:\S+"$/m);
    expect(/^# DATABASE_URL="(\S+)"$/m.exec(again.stdout())![1]).toBe(prismaUrl);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('ppg dev --detach --env rewrites DATABASE_URL in place, keeps every other byte and the old value as a comment', async () => {
    const envPath = path.join(box().project, '.env');
    const before = '# secrets\r\nAPI_TOKEN=abc # inline\r\nDATABASE_URL="postgresql://u:p@db.prisma.io:5432/postgres?sslmode=require"\r\nexport OTHER=\'x y\'';
    await writeFile(envPath, before);
    const started = await ppg(['dev', '--detach', '--env']);
    expect(started.code, started.stderr).toBe(0);
    const url = urlFrom(started);
    // The ports the product chose (not assumed from the base port: any of them may have moved on).
    const [row] = JSON.parse((await ppg(['dev', 'ls', '--json'])).stdout) as { port: number; httpPort: number; shadowPort: number }[];
    expect(started.stderr).toContain(`${envPath}: updated DATABASE_URL`);
    expect(await readFile(envPath, 'utf8')).toBe(
      '# secrets\r\nAPI_TOKEN=abc # inline\r\n' +
        '# DATABASE_URL (before ppg dev --env): "postgresql://u:p@db.prisma.io:5432/postgres?sslmode=require"\r\n' +
        `DATABASE_URL="postgres://postgres:postgres@localhost:${row!.port}/template1?sslmode=disable"\r\n` +
        "export OTHER='x y'\r\n" +
        `SHADOW_DATABASE_URL="postgres://postgres:postgres@localhost:${row!.shadowPort}/template1?sslmode=disable"\r\n`,
    );
    // Idempotent: a second run changes nothing.
    const text = await readFile(envPath, 'utf8');
    const again = await ppg(['dev', '--detach', '--env']);
    expect(again.stderr).toContain('already pointed at this instance');
    expect(await readFile(envPath, 'utf8')).toBe(text);
    expect(urlFrom(again)).toBe(url);

    // A project on the prisma+postgres:// form keeps that form.
    const other = path.join(box().project, 'other.env');
    await writeFile(other, 'DATABASE_URL="prisma+postgres://localhost:51213/?api_key=old"\n');
    expect((await ppg(['dev', '--detach', '--env', 'other.env'])).code).toBe(0);
    expect(await readFile(other, 'utf8')).toMatch(new RegExp(`^# DATABASE_URL \\(before ppg dev --env\\): "prisma\\+postgres://localhost:51213/\\?api_key=old"\nDATABASE_URL="prisma\\+postgres://localhost:${row!.httpPort}/\\?api_key=[A-Za-z0-9_-]+"\nSHADOW_DATABASE_URL=`));
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
  });
});
