import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Whether `<dir>/.gitignore` ignores a file at the top of the repo (e.g. `.env`). A deliberately
 * small subset of gitignore: one folder's file, `*` and `?` globs, a leading `/`, `!` negation. It
 * only decides whether to print a warning, so a rare false "not ignored" costs one extra line.
 */
export function gitignoreIgnores(gitignore: string, file: string): boolean {
  let ignored = false;
  for (const rawLine of gitignore.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/^\//, '').replace(/\/$/, '');
    if (pattern.includes('/')) continue;
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    if (regex.test(file)) ignored = !negated;
  }
  return ignored;
}

/** True when `<dir>/.gitignore` exists and ignores `file`; false when it does not (or there is no .gitignore). */
export async function isGitIgnored(dir: string, file: string): Promise<boolean> {
  try {
    return gitignoreIgnores(await readFile(join(dir, '.gitignore'), 'utf8'), file);
  } catch {
    return false;
  }
}
