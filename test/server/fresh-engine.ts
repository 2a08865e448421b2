import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDataDirFromTemplate } from '../../src/server/data-template.js';
import { Engine } from '../../src/server/engine.js';
import { TEMPLATE_CACHE_DIR } from './test-server.js';

/**
 * An Engine of its own on a new data directory (from the template) for the file's tests, without a server
 * around it; closed and its folder removed after them. Returns the accessor the tests call.
 */
export function useFreshEngine(prefix: string): () => Engine<string> {
  let dir: string | undefined;
  let engine: Engine<string> | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    await createDataDirFromTemplate(TEMPLATE_CACHE_DIR, path.join(dir, 'db'));
    engine = await Engine.open<string>('postgres', path.join(dir, 'db'));
  });
  afterAll(async () => {
    await engine?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => engine!;
}
