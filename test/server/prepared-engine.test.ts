import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataRows } from '../../src/server/backend-output.js';
import { createDataDirFromTemplate } from '../../src/server/data-template.js';
import { endPrepared, Engine, prepareEngine } from '../../src/server/engine.js';
import { TEMPLATE_CACHE_DIR } from './test-server.js';

/**
 * An engine thread started before its open (prepareEngine, Engine.closeAndPrepare) reads the data
 * directory only once it is opened: the folder may appear, or be swapped, in between, and the open
 * serves what is there then. This is what lets a reset, a restore and a branch's daemon start PGlite
 * while the folders are still being moved.
 */
describe('engines prepared ahead of their open', () => {
  let dir: string;
  /** Two databases with different rows in `marker`: what a swap puts in place. */
  let first: string;
  let second: string;

  async function databaseWith(name: string, value: string): Promise<string> {
    const target = path.join(dir, name);
    await createDataDirFromTemplate(TEMPLATE_CACHE_DIR, target);
    const engine = await Engine.open<string>('postgres', target);
    await engine.execQuery(`create table marker (v text); insert into marker values ('${value}')`);
    await engine.close();
    return target;
  }

  async function marker(engine: Engine<string>): Promise<(string | null)[][]> {
    return dataRows(await engine.execQuery('select v from marker order by v'));
  }

  /** Opens `dataDir` (taking a thread prepared for it, if any), reads `marker`, and closes it again. */
  async function markerAt(dataDir: string): Promise<(string | null)[][]> {
    const engine = await Engine.open<string>('postgres', dataDir);
    try {
      return await marker(engine);
    } finally {
      await engine.close();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-prepared-'));
    first = await databaseWith('first', 'first');
    second = await databaseWith('second', 'second');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a thread prepared before its folder exists opens the folder placed afterwards', async () => {
    const target = path.join(dir, 'placed-later');
    prepareEngine(target);
    await cp(second, target, { recursive: true });
    expect(await markerAt(target)).toEqual([['second']]);
  });

  it('closeAndPrepare keeps committed data, drops the open transaction, and the next open serves the swapped folder', async () => {
    const target = path.join(dir, 'swapped');
    await cp(first, target, { recursive: true });
    let engine = await Engine.open<string>('postgres', target);
    await engine.execQuery("insert into marker values ('committed')");
    await engine.execQuery("begin; insert into marker values ('uncommitted')");
    await engine.closeAndPrepare();

    // Reopened on the same folder: what was committed is there, the open transaction is not.
    engine = await Engine.open<string>('postgres', target);
    expect(await marker(engine)).toEqual([['committed'], ['first']]);

    // Closed again, and the folder swapped while the thread waits (as a reset or restore does).
    await engine.closeAndPrepare();
    await rm(target, { recursive: true });
    await cp(second, target, { recursive: true });
    expect(await markerAt(target)).toEqual([['second']]);
  });

  it('an open of another data directory does not take a prepared thread, and endPrepared ends it', async () => {
    const target = path.join(dir, 'never-opened');
    prepareEngine(target);
    expect(await markerAt(first)).toEqual([['first']]);
    await endPrepared(target);
    // Nothing is prepared for it any more: an open now starts its own thread and fails on the missing folder.
    await expect(Engine.open<string>('postgres', target)).rejects.toThrow(/PG_VERSION/);
  });
});
