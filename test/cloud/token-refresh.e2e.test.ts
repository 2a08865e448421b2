import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCloudSandbox } from './cloud-sandbox.js';
import { fixture, fixtureJson, REFRESHED_TOKEN } from './fake-cloud.js';

/**
 * Two ppg processes refreshing one stored login at the same moment, against the fake's single-use
 * refresh tokens. The fake holds the first refresh until both processes have had their 401, so the
 * two refreshes overlap on every run (a condition, not a sleep).
 */

const EXPIRED = fixtureJson<{ tokens: Array<{ token: string }> }>('auth.expired.json').tokens[0]!.token;

const box = useCloudSandbox(async (sandbox) => {
  await mkdir(sandbox.configDir, { recursive: true });
  await writeFile(join(sandbox.configDir, 'auth.json'), fixture('auth.expired.json'), { mode: 0o600 });
});

describe('concurrent token refresh', () => {
  it('two processes refreshing one login at once both succeed, refresh once, and the fresh login stays', async () => {
    const expiredCalls = () => box().fake.requests.filter((r) => r.path === '/v1/regions/postgres' && r.headers.authorization === `Bearer ${EXPIRED}`).length;
    box().fake.refreshGate = box().fake.until(() => expiredCalls() >= 2);
    const other = join(box().root, 'other-app');
    await mkdir(other);
    const [first, second] = await Promise.all([box().run(['init', '--db', '--yes']), box().run(['init', '--db', '--yes'], undefined, undefined, other)]);
    expect(first.stderr).not.toContain('error:');
    expect(second.stderr).not.toContain('error:');
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(expiredCalls()).toBe(2);
    expect(box().fake.requests.filter((r) => r.path === '/token')).toHaveLength(1);
    expect(JSON.parse(await readFile(join(box().configDir, 'auth.json'), 'utf8'))).toEqual({ tokens: [{ workspaceId: 'wksp_test1', token: REFRESHED_TOKEN, refreshToken: 'rt_test2' }] });
    for (const request of box().fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/projects')) {
      expect(request.headers.authorization).toBe(`Bearer ${REFRESHED_TOKEN}`);
    }
  });

  it('a refresh token that is really dead still clears the login (it was the current one)', async () => {
    box().fake.scenario = 'invalid_grant';
    const result = await box().run(['init', '--db', '--yes']);
    expect(result).toMatchObject({ code: 1, stderr: 'error: your Prisma login has expired or was revoked\nhint: run `ppg login` again\n' });
    await expect(readFile(join(box().configDir, 'auth.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
