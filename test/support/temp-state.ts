import { mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * All sandboxes share one PGlite template cache (initdb takes seconds and hundreds of MB); the
 * server builds it with a temp-dir-and-rename, so parallel first uses are safe.
 */
export const SHARED_TEMPLATES = path.join(os.tmpdir(), 'ppg-dev-test-templates');

const PORT_CLAIMS = path.join(os.tmpdir(), 'ppg-dev-test-port-windows');
/** A claim older than this belongs to a test run that died; it is taken over. */
const STALE_CLAIM_MS = 15 * 60 * 1000;

/**
 * Claims a 100-port window in 20000–31999 (away from 51214, below Linux's ephemeral range) with an
 * atomic mkdir, so parallel test files never share one and tests can assert exact ports.
 */
async function claimPortWindow(): Promise<{ basePort: number; release: () => Promise<void> }> {
  await mkdir(PORT_CLAIMS, { recursive: true });
  const windows = Array.from({ length: 120 }, (_, index) => index).sort(() => Math.random() - 0.5);
  for (const window of windows) {
    const claim = path.join(PORT_CLAIMS, String(window));
    try {
      await mkdir(claim);
    } catch {
      const age = Date.now() - (await stat(claim).then((info) => info.mtimeMs, () => Date.now()));
      if (age < STALE_CLAIM_MS) continue;
      await utimes(claim, new Date(), new Date()).catch(() => undefined);
    }
    // +1: the Prisma HTTP port defaults to basePort - 1, which must stay inside the window.
    return { basePort: 20_000 + window * 100 + 1, release: () => rm(claim, { recursive: true, force: true }) };
  }
  throw new Error(`no free port window left in ${PORT_CLAIMS}`);
}

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
  const { basePort, release } = await claimPortWindow();
  // The daemon's Unix socket goes into the sandbox too, never into the machine's /var/run/postgresql.
  const env: NodeJS.ProcessEnv = { ...process.env, PPG_DEV_HOME: home, PPG_DEV_BASE_PORT: String(basePort), PPG_DEV_SOCKET_DIR: home };
  delete env.PPG_DEBUG;
  const cleanup = async (): Promise<void> => {
    await rm(top, { recursive: true, force: true });
    await release();
  };
  return { home, project, env, basePort, makeProject, cleanup };
}
