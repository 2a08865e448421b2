import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file atomically: a temp file in the same folder (so rename never crosses devices), fsync,
 * then rename over the target. A reader sees the old bytes or the new bytes, never half a file; a
 * crash leaves the old file intact. The mode defaults to the existing file's mode (a `.env` kept 0600
 * stays 0600), else 0644; pass `mode` to force it (credentials use 0600).
 * Fails with the underlying fs error (ENOENT for a missing folder, EACCES, ...), removing the temp file.
 */
export async function writeFileAtomic(path: string, data: string, options: { mode?: number } = {}): Promise<void> {
  const mode = options.mode ?? (await existingMode(path)) ?? 0o644;
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
