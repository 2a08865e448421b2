import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isPidAlive } from './terminate-process.js';

/**
 * New data directories, templates and snapshots are built as `<target>.tmp-<pid>-<time>` and renamed into
 * place, so a crash leaves at most such a folder, never a half-made one. One place names them, so the
 * listings that skip them and the sweep that removes them agree with every builder.
 */
const STAGING = /\.tmp-(\d+)-\d+$/;

/** Where to build `target` before renaming it into place. */
export function stagingPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${Date.now()}`;
}

export function isStagingName(name: string): boolean {
  return STAGING.test(name);
}

/**
 * Removes the staging folders in `dir` whose builder is gone: they would otherwise keep tens of MB each
 * forever. A live builder's folder is left alone.
 */
export async function sweepAbandonedStaging(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of entries) {
    const match = STAGING.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    // Our own staging folders belong to builds still under way in this process.
    if (pid === process.pid || isPidAlive(pid)) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
