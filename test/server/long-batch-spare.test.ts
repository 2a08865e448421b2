import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataDirFromTemplate } from '../../src/server/data-template.js';
import { Engine } from '../../src/server/engine.js';
import { TEMPLATE_CACHE_DIR } from './test-server.js';

/** Resolves once `check` holds; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A batch that runs for a while gets the thread that would replace its engine booted beside it (so a
 * cancel's restart only opens the data directory); short batches never pay for one, and the spare goes
 * once the long batch has ended.
 */
describe('a spare engine thread beside a long batch', () => {
  let dir: string;
  let engine: Engine<string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-long-batch-'));
    await createDataDirFromTemplate(TEMPLATE_CACHE_DIR, path.join(dir, 'db'));
    engine = await Engine.open<string>('postgres', path.join(dir, 'db'));
  });
  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('short batches, back to back, boot none', async () => {
    for (let i = 0; i < 200; i++) {
      await engine.execQuery('select 1');
      expect(engine.hasSpare).toBe(false);
    }
  });

  it('a long statement gets one while it runs; it is gone after the statement ends', async () => {
    const sleeping = engine.execQuery('select pg_sleep(1.5)');
    await until(() => engine.hasSpare, 10_000, 'the spare');
    await sleeping;
    await until(() => !engine.hasSpare, 10_000, 'the spare to end');
    expect((await engine.execQuery('select 1')).length).toBeGreaterThan(0);
  });
});
