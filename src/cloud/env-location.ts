import { join, resolve } from 'node:path';
import { findProjectDir } from '../state/project-dir.js';

/**
 * The one `.env` location rule of `ppg init --db`, `ppg init --local`, `ppg create-db -e` and
 * `ppg dev --env`: `<project root>/.env`, where the project root is the folder `ppg dev` serves (the
 * nearest one with package.json, prisma/ or .git), also when the command runs in a subfolder. An
 * explicit file is taken relative to where the command runs.
 */
export function projectEnvLocation(cwd: string, file?: string): { envPath: string; projectDir: string } {
  const projectDir = findProjectDir(cwd);
  return { envPath: file === undefined ? join(projectDir, '.env') : resolve(cwd, file), projectDir };
}
