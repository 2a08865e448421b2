import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCloudSandbox } from './cloud-sandbox.js';
import { ACCESS_TOKEN } from './fake-cloud.js';

const box = useCloudSandbox();

/** Resolves with the first line the child prints on stdout (the login URL). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(buffered.slice(0, newline));
    });
    child.on('close', () => reject(new Error('exited before printing a URL')));
  });
}

describe('ppg login / logout (built CLI against the fake OAuth server)', () => {
  it('runs the PKCE flow through a loopback callback and stores the tokens 0600', async () => {
    const { child, done } = box().start(['login']);
    const url = new URL(await firstLine(child));
    expect(`${url.origin}${url.pathname}`).toBe(`${box().fake.url}/authorize`);
    const query = Object.fromEntries(url.searchParams);
    expect(Object.keys(query)).toEqual(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']);
    expect(query).toMatchObject({ response_type: 'code', client_id: 'ppg-dev-cli', scope: 'workspace:admin offline_access', code_challenge_method: 'S256' });
    expect(query.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/);

    // The "browser": the fake authorizes and redirects to the CLI's callback, which answers with a page.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Success! You may now close this page.');

    const result = await done;
    const authPath = join(box().configDir, 'auth.json');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`note: ppg-dev has no registered OAuth client; set PPG_OAUTH_CLIENT_ID, or use PRISMA_SERVICE_TOKEN instead of logging in.\nOpen this URL in your browser to log in:\nLogged in to workspace wksp_test1. Tokens stored in ${authPath}.\n`);
    const token = box().fake.requests.find((r) => r.path === '/token');
    const form = Object.fromEntries(new URLSearchParams(token?.body));
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form).toEqual({ grant_type: 'authorization_code', code: 'code_1', redirect_uri: query.redirect_uri, client_id: 'ppg-dev-cli', code_verifier: form.code_verifier });
    expect(createHash('sha256').update(form.code_verifier ?? '').digest('base64url')).toBe(query.code_challenge);
    expect(JSON.parse(await readFile(authPath, 'utf8'))).toEqual({ tokens: [{ workspaceId: 'wksp_test1', token: ACCESS_TOKEN, refreshToken: 'rt_test' }] });
    expect((await stat(authPath)).mode & 0o777).toBe(0o600);
    expect((await stat(box().configDir)).mode & 0o777).toBe(0o700);

    // The stored login is what `init --db` then uses.
    expect((await box().run(['init', '--db', '--yes'])).code).toBe(0);
    expect(box().fake.requests.filter((r) => r.path.startsWith('/v1/')).map((r) => r.headers.authorization)).toEqual([`Bearer ${ACCESS_TOKEN}`, `Bearer ${ACCESS_TOKEN}`]);

    expect(await box().run(['logout'])).toEqual({ code: 0, stdout: '', stderr: `Logged out; removed ${authPath}.\n` });
    await expect(stat(authPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await box().run(['logout'])).toEqual({ code: 0, stdout: '', stderr: 'Not logged in; nothing to remove.\n' });
  });

  it.each([
    ['a denied login', (redirect: string) => `${redirect}?error=access_denied&error_description=User%20denied`, 'error: the login was not completed: User denied\nhint: run `ppg login` again\n'],
    ['a wrong state (CSRF)', (redirect: string) => `${redirect}?code=abc&state=forged`, 'error: the login callback carried the wrong state (possible CSRF); nothing was stored\nhint: run `ppg login` again\n'],
  ])('%s fails cleanly and stores nothing', async (_name, callback, stderr) => {
    const { child, done } = box().start(['login']);
    const redirect = new URL(await firstLine(child)).searchParams.get('redirect_uri') as string;
    expect((await fetch(callback(redirect))).status).toBe(400);
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`note: ppg-dev has no registered OAuth client; set PPG_OAUTH_CLIENT_ID, or use PRISMA_SERVICE_TOKEN instead of logging in.\nOpen this URL in your browser to log in:\n${stderr}`);
    await expect(stat(join(box().configDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(box().fake.requests.filter((r) => r.path === '/token')).toEqual([]);
  });

  it('the browser page says "Success" only after the code exchange succeeded', async () => {
    box().fake.scenario = 'invalid_grant';
    const { child, done } = box().start(['login']);
    const page = await fetch(new URL(await firstLine(child)));
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('Login failed. Return to the terminal.');
    expect(html).not.toContain('Success');
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: your Prisma login has expired or was revoked\n');
    await expect(stat(join(box().configDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('--help says there is no registered OAuth client and leads with PRISMA_SERVICE_TOKEN', async () => {
    const help = await box().run(['login', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ppg-dev has no OAuth client registered with Prisma yet.');
    for (const name of ['PRISMA_SERVICE_TOKEN', 'PPG_OAUTH_CLIENT_ID', 'PPG_AUTH_URL']) expect(help.stdout).toContain(name);
  });

  it('gives up after the login timeout', async () => {
    const result = await box().run(['login'], box().env({ PPG_LOGIN_TIMEOUT_MS: '300' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('note: ppg-dev has no registered OAuth client; set PPG_OAUTH_CLIENT_ID, or use PRISMA_SERVICE_TOKEN instead of logging in.\nOpen this URL in your browser to log in:\nerror: timed out waiting for the browser login\nhint: run `ppg login` again and finish the login in the browser\n');
  });
});
