import { existsSync } from 'node:fs';
import path from 'node:path';

const PROJECT_MARKERS = ['package.json', 'prisma', '.git'];

/**
 * The project a command runs for: the nearest folder, from `cwd` upwards, that holds
 * `package.json`, `prisma/` or `.git`; `cwd` itself when none does.
 */
export function findProjectDir(cwd: string): string {
  let dir = path.resolve(cwd);
  for (;;) {
    if (PROJECT_MARKERS.some((marker) => existsSync(path.join(dir, marker)))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(cwd);
    dir = parent;
  }
}
