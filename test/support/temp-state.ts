import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * All sandboxes share one PGlite template cache (initdb takes seconds and hundreds of MB); the
 * server builds it with a temp-dir-and-rename, so parallel first uses are safe.
 */
export const SHARED_TEMPLATES = path.join(os.tmpdir(), 'ppg-dev-test-templates');

export interface Sandbox {
  /** The temp PPG_DEV_HOME (never the real user state dir). */
  home: string;
  /** A temp project folder (holds a package.json). */
  project: string;
  /** process.env plus PPG_DEV_HOME and a per-sandbox default port, so parallel test files do not fight over 51214. */
  env: NodeJS.ProcessEnv;
  basePort: number;
  /** Makes another project folder inside the sandbox. */
  makeProject(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeSandbox(): Promise<Sandbox> {
  const top = await mkdtemp(path.join(os.tmpdir(), 'ppg-e2e-'));
  const home = path.join(top, 'home');
  await mkdir(home, { recursive: true });
  await mkdir(SHARED_TEMPLATES, { recursive: true });
  await symlink(SHARED_TEMPLATES, path.join(home, 'templates'));
  const makeProject = async (name: string): Promise<string> => {
    const dir = path.join(top, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, private: true }));
    return dir;
  };
  const project = await makeProject('app');
  // A random 100-port window in 20000–31999: away from 51214 and below Linux's ephemeral range.
  const basePort = 20_000 + Math.floor(Math.random() * 120) * 100;
  const env: NodeJS.ProcessEnv = { ...process.env, PPG_DEV_HOME: home, PPG_DEV_BASE_PORT: String(basePort) };
  delete env.PPG_DEBUG;
  return { home, project, env, basePort, makeProject, cleanup: () => rm(top, { recursive: true, force: true }) };
}
