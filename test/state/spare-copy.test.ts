import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSpare, sparePathFor, takeSpare } from '../../src/state/spare-copy.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ppg-spare-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A small folder tree standing in for a data directory. */
async function makeSource(): Promise<string> {
  const source = path.join(dir, 'template');
  await mkdir(path.join(source, 'base', '1'), { recursive: true });
  await writeFile(path.join(source, 'PG_VERSION'), '18\n');
  await writeFile(path.join(source, 'base', '1', '1259'), 'pages');
  return source;
}

describe('spare copies', () => {
  it('makes a whole copy beside the source, which one taker gets; without a spare, take reports false', async () => {
    const source = await makeSource();
    expect(await takeSpare(source, path.join(dir, 'a'))).toBe(false);
    await makeSpare(source);
    expect(await readFile(path.join(sparePathFor(source), 'base', '1', '1259'), 'utf8')).toBe('pages');
    const takes = await Promise.all([takeSpare(source, path.join(dir, 'a')), takeSpare(source, path.join(dir, 'b'))]);
    expect(takes.filter(Boolean)).toHaveLength(1);
    const taken = takes[0] ? 'a' : 'b';
    expect(await readFile(path.join(dir, taken, 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(await readdir(dir)).not.toContain(path.basename(sparePathFor(source)));
  });

  it('makers racing leave one spare and no staging folder; an existing spare is kept', async () => {
    const source = await makeSource();
    await Promise.all([makeSpare(source), makeSpare(source), makeSpare(source)]);
    expect((await readdir(dir)).sort()).toEqual(['template', 'template.spare']);
    await writeFile(path.join(sparePathFor(source), 'marker'), '');
    await makeSpare(source);
    expect(await readdir(sparePathFor(source))).toContain('marker');
  });

  it('never fails: a missing source makes no spare and leaves nothing behind', async () => {
    await makeSpare(path.join(dir, 'gone'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('sweeps a staging folder whose builder died', async () => {
    const source = await makeSource();
    // Above the largest pid Linux hands out (pid_max is at most 2^22), so its builder cannot be alive.
    const abandoned = `${sparePathFor(source)}.tmp-4194305-1`;
    await mkdir(abandoned);
    await makeSpare(source);
    expect((await readdir(dir)).sort()).toEqual(['template', 'template.spare']);
  });
});
