import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Path of a PostgreSQL client binary, or null (tests then skip with the reason in their name). */
export function findBinary(name: string): string | null {
  for (const candidate of [`/usr/bin/${name}`, `/usr/local/bin/${name}`]) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', [name], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : null;
}
