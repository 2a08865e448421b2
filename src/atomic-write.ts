import { randomBytes } from 'node:crypto';
import { open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes a file atomically: a temp file in the same folder (so rename never crosses devices), fsync,
 * then rename over the target. A reader sees the old bytes or the new bytes, never half a file; a
 * crash leaves the old file intact. The mode defaults to the existing file's mode (a `.env` kept 0600
 * stays 0600), else `newFileMode` (default 0644); pass `mode` to force it (credentials use 0600).
 * A symlink stays a symlink: the write goes through to its target, with the temp file next to the
 * target (a dotfiles repo links `.env` elsewhere; renaming over the link would replace it with a copy).
 * Fails with the underlying fs error (ENOENT for a missing folder, EACCES, ...), removing the temp file.
 */
export async function writeFileAtomic(linkOrPath: string, data: string, options: { mode?: number; newFileMode?: number } = {}): Promise<void> {
  const path = await resolveWriteTarget(linkOrPath);
  const mode = options.mode ?? (await existingMode(path)) ?? options.newFileMode ?? 0o644;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    // open() honours the umask; chmod makes the mode exact (0600 must not become 0644 or the reverse).
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch {
    return undefined;
  }
}

/**
 * The file a write to `path` must replace: the final target of a symlink chain (also when that
 * target does not exist yet, a dangling link), else `path` itself.
 */
export async function resolveWriteTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // Missing file, or a dangling link: follow the links by hand (bounded, against link loops).
    let current = resolve(path);
    for (let hops = 0; hops < 32; hops++) {
      let target: string;
      try {
        target = await readlink(current);
      } catch {
        return current;
      }
      current = resolve(dirname(current), target);
    }
    return current;
  }
}
