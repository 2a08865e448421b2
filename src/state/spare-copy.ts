import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { copyTree } from './copy-tree.js';
import { stagingPathFor, sweepAbandonedStaging } from './staging.js';

/**
 * A spare is a whole copy of a folder that never changes (the PGlite template, a snapshot's data), kept
 * ready beside it as `<source>.spare`. Whoever needs a fresh copy takes the spare with a rename (instant)
 * instead of copying (0.2–0.7 s for 100 MB on this ext4, which cannot clone files), and makes the next
 * spare once the time-critical part is over. It costs the source's size once more on disk.
 */
export function sparePathFor(source: string): string {
  return `${source}.spare`;
}

/**
 * Moves the spare of `source` to `target` (whose parent must exist, and which must not). Resolves false
 * when that cannot be done: no spare (another command took it first), or `target` on another file
 * system (a symlinked template cache); the caller then copies `source` itself.
 */
export async function takeSpare(source: string, target: string): Promise<boolean> {
  return rename(sparePathFor(source), target).then(() => true, () => false);
}

/**
 * Makes the spare of `source` unless there is one: copied aside and renamed into place, so a spare is
 * always whole (a crash leaves a staging folder, which the next call sweeps). Never fails: without a spare
 * the next taker copies, as before. Resolves once the spare is in place or given up.
 */
export async function makeSpare(source: string): Promise<void> {
  const spare = sparePathFor(source);
  const staging = stagingPathFor(spare);
  try {
    if (await stat(spare).then(() => true, () => false)) return;
    await sweepAbandonedStaging(path.dirname(spare));
    await copyTree(source, staging);
    // Another maker may have finished first: its spare stays, ours goes (rename onto a folder fails).
    await rename(staging, spare).catch(() => undefined);
  } catch {
    // Source gone (a snapshot removed meanwhile), disk full: no spare this time.
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
