import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { copyTree } from '../state/copy-tree.js';
import { isStagingName } from '../state/staging.js';

/**
 * A running server's data root holds one folder per database and its own lock file (the server's pid):
 * while the server is quiesced, the database folders may be copied or swapped, the lock file stays.
 * Staging folders of an unfinished CREATE DATABASE are not databases and are left alone too.
 */
async function databaseFolders(dataRoot: string): Promise<string[]> {
  const entries = await readdir(dataRoot, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !isStagingName(e.name)).map((e) => e.name);
}

/** Copies every database folder of `dataRoot` into `target` (created). */
export async function copyDatabaseFolders(dataRoot: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const folder of await databaseFolders(dataRoot)) await copyTree(path.join(dataRoot, folder), path.join(target, folder));
}

/**
 * Replaces `dataRoot`'s database folders with `replacement`'s (all of them, or only those named in
 * `only`): renames only, so it is quick enough to do while the server is held. The old folders are moved
 * aside; the returned function deletes them, to be called once the server is released (deleting 100 MB
 * takes longer than the swap). If a rename fails, everything goes back where it was (and the old folders
 * are kept aside, not deleted, if even that fails).
 */
export async function swapDatabaseFolders(dataRoot: string, replacement: string, only?: string[]): Promise<() => Promise<void>> {
  const aside = `${dataRoot}.old-${process.pid}-${Date.now()}`;
  await mkdir(aside, { recursive: true });
  const current = only ?? (await databaseFolders(dataRoot));
  const moved: string[] = [];
  const placed: string[] = [];
  let keepAside = false;
  let swapped = false;
  try {
    for (const folder of current) {
      try {
        await rename(path.join(dataRoot, folder), path.join(aside, folder));
        moved.push(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    for (const folder of await databaseFolders(replacement)) {
      await rename(path.join(replacement, folder), path.join(dataRoot, folder));
      placed.push(folder);
    }
    swapped = true;
    return () => rm(aside, { recursive: true, force: true });
  } catch (error) {
    for (const folder of placed) await rename(path.join(dataRoot, folder), path.join(replacement, folder)).catch(() => undefined);
    for (const folder of moved) {
      await rename(path.join(aside, folder), path.join(dataRoot, folder)).catch(() => {
        keepAside = true;
      });
    }
    throw error;
  } finally {
    if (!keepAside && !swapped) await rm(aside, { recursive: true, force: true });
  }
}
