import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * All sandboxes share one PGlite template cache (initdb takes seconds and hundreds of MB); the
 * server builds it with a temp-dir-and-rename, so parallel first uses are safe.
 */
export const SHARED_TEMPLATES = path.join(os.tmpdir(), 'ppg-dev-test-templates');

/** Listens on 127.0.0.1:`port` (0: any free port) and closes again; the port it got, or null when taken. */
function probePort(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A base port for PPG_DEV_BASE_PORT that the kernel says is free, with its neighbours (the Prisma HTTP
 * port defaults to base - 1, the shadow port to base + 1): port 0 picks it, so no fixed window of this
 * machine has to be free and parallel sandboxes do not share one. Between this probe and the daemon's
 * bind another process may still take one; the product then moves on to the next free port, so tests
 * read the ports it reports and only the Prisma layout test relies on base - 1 and base + 1.
 */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await probePort(0);
    if (base === null || base < 2 || base > 65534) continue;
    if ((await probePort(base - 1)) !== null && (await probePort(base + 1)) !== null) return base;
  }
  throw new Error('no free port with free neighbours found in 20 tries');
}

export interface Sandbox {
  /** The temp PPG_DEV_HOME (never the real user state dir). */
  home: string;
  /** A temp project folder (holds a package.json). */
  project: string;
  /** process.env plus PPG_DEV_HOME and a per-sandbox default port, so parallel test files do not fight over 51214. */
  env: NodeJS.ProcessEnv;
  /** PPG_DEV_BASE_PORT: free when the sandbox was made (see freeBasePort), not promised to stay free. */
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
  const basePort = await freeBasePort();
  // The daemon's Unix socket goes into the sandbox too, never into the machine's /var/run/postgresql.
  const env: NodeJS.ProcessEnv = { ...process.env, PPG_DEV_HOME: home, PPG_DEV_BASE_PORT: String(basePort), PPG_DEV_SOCKET_DIR: home };
  delete env.PPG_DEBUG;
  const cleanup = (): Promise<void> => rm(top, { recursive: true, force: true });
  return { home, project, env, basePort, makeProject, cleanup };
}
