import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/atomic-write.js';
import { checkEnvWritable, updateEnvFile } from '../../src/env/env-file.js';

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
    await expect(updateEnvFile(join(dir, '.env'), { A: '1' })).rejects.toMatchObject({ code: 'ENV_READ_FAILED', message: `cannot read ${join(dir, '.env')} (EISDIR)` });
  });

  it('a missing folder is a clear write error', async () => {
    const path = join(dir, 'nope', '.env');
    await expect(updateEnvFile(path, { A: '1' })).rejects.toMatchObject({ code: 'ENV_WRITE_FAILED', message: `cannot write ${path} (ENOENT); it is unchanged` });
  });
});

describe('symlinks, new-file modes and the writable check', () => {
  it('writes through a symlink chain to the target, next to the target; the links stay links', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const target = join(elsewhere, 'real.env');
    await writeFile(target, 'A=1\n', { mode: 0o600 });
    await symlink(target, join(dir, 'middle.env'));
    await symlink('middle.env', join(dir, '.env'));
    await updateEnvFile(join(dir, '.env'), { B: '2' });
    expect((await lstat(join(dir, '.env'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(dir, 'middle.env'))).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('A=1\nB="2"\n');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(await readdir(elsewhere)).toEqual(['real.env']);
  });

  it('a dangling link is written through: the target is created, the link kept', async () => {
    await symlink('target.env', join(dir, '.env'));
    await updateEnvFile(join(dir, '.env'), { A: '1' });
    expect((await lstat(join(dir, '.env'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'target.env'), 'utf8')).toBe('A="1"\n');
  });

  it('secret: a new file is 0600, an existing file keeps its mode', async () => {
    await updateEnvFile(join(dir, 'new.env'), { A: '1' }, { secret: true });
    expect((await stat(join(dir, 'new.env'))).mode & 0o777).toBe(0o600);
    await writeFile(join(dir, 'old.env'), 'A=1\n', { mode: 0o644 });
    await updateEnvFile(join(dir, 'old.env'), { A: '2' }, { secret: true });
    expect((await stat(join(dir, 'old.env'))).mode & 0o777).toBe(0o644);
  });

  const writable: Array<[string, () => Promise<string>, () => string | undefined]> = [
    ['a missing file in an existing folder', async () => join(dir, '.env'), () => undefined],
    ['a folder where the file should be', async () => (await mkdir(join(dir, '.env')), join(dir, '.env')), () => 'it is not a regular file'],
    ['a missing folder', async () => join(dir, 'nope', '.env'), () => `its folder ${join(dir, 'nope')} does not exist`],
  ];
  it.each(writable)('checkEnvWritable: %s', async (_name, make, why) => {
    const path = await make();
    const problem = why();
    if (problem === undefined) await expect(checkEnvWritable(path)).resolves.toBeUndefined();
    else await expect(checkEnvWritable(path)).rejects.toMatchObject({ code: 'ENV_NOT_WRITABLE', message: `cannot write ${path}: ${problem}; nothing was created` });
  });
});
