import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isPidAlive } from '../state/terminate-process.js';

/**
 * New data directories are built as `<target>.tmp-<pid>-<time>` and renamed into place, so a crash leaves
 * at most such a folder, never a half-made database. This removes the ones whose builder is gone: they
 * would otherwise keep tens of MB each forever. A live builder's folder is left alone.
 */
const STAGING = /\.tmp-(\d+)-\d+$/;

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
