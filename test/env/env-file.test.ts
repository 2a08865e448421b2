import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/env/atomic-write.js';
import { updateEnvFile } from '../../src/env/env-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppg-env-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('updateEnvFile', () => {
  it('creates a missing .env', async () => {
    const path = join(dir, '.env');
    const result = await updateEnvFile(path, { DATABASE_URL: 'postgres://x/db' });
    expect(result.created).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('DATABASE_URL="postgres://x/db"\n');
  });

  it('keeps the mode of an existing file and leaves no temp files behind', async () => {
    const path = join(dir, '.env');
    await writeFile(path, 'A=1\r\n', { mode: 0o600 });
    await updateEnvFile(path, { B: '2' });
    expect(await readFile(path, 'utf8')).toBe('A=1\r\nB="2"\r\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['.env']);
  });
});

describe('writeFileAtomic', () => {
  it('forces the requested mode', async () => {
    const path = join(dir, 'auth.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, 'new', { mode: 0o600 });
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('fails on a missing folder without creating anything', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'f'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('updateEnvFile failures', () => {
  it('a .env that is a folder is a clear read error', async () => {
    await mkdir(join(dir, '.env'));
    await expect(updateEnvFile(join(dir, '.env'), { A: '1' })).rejects.toMatchObject({ code: 'env_read_failed', message: `cannot read ${join(dir, '.env')} (EISDIR)` });
  });

  it('a missing folder is a clear write error', async () => {
    const path = join(dir, 'nope', '.env');
    await expect(updateEnvFile(path, { A: '1' })).rejects.toMatchObject({ code: 'env_write_failed', message: `cannot write ${path} (ENOENT); it is unchanged` });
  });
});
