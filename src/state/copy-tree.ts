import { constants, copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Files copied at once: enough to keep libuv's thread pool busy without holding many descriptors. */
const PARALLEL_COPIES = 16;

/**
 * Copies a directory tree (files and folders only, as a PGlite data directory has). A data directory is
 * ~1,000 small files: fs.cp copies them one after another (~0.5 s here), this copies them in parallel
 * (~0.2 s), and clones them where the file system can (reflink), which makes it near-instant there.
 */
export async function copyTree(source: string, target: string): Promise<void> {
  const entries = await readdir(source, { withFileTypes: true, recursive: true });
  await mkdir(target, { recursive: true });
  const relative = (entry: { parentPath: string; name: string }) => path.relative(source, path.join(entry.parentPath, entry.name));
  const folders = entries.filter((e) => e.isDirectory()).map(relative).sort();
  for (const folder of folders) await mkdir(path.join(target, folder), { recursive: true });
  const files = entries.filter((e) => e.isFile()).map(relative);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      await copyFile(path.join(source, file), path.join(target, file), constants.COPYFILE_FICLONE);
    }
  };
  // All copies end before a failure is reported: one still writing would race the caller's cleanup.
  const failed = (await Promise.allSettled(Array.from({ length: PARALLEL_COPIES }, worker))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
