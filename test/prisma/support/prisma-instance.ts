import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./instance-child.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../../dist/src/prisma/prisma-http-server.js', import.meta.url));
/** Shared with the other suites: one PGlite template per version, built once (temp dir + rename). */
const TEMPLATES = path.join(os.tmpdir(), 'ppg-dev-test-templates');

export interface PrismaInstance {
  name: string;
  databaseUrl: string;
  shadowDatabaseUrl: string;
  prismaPostgresUrl: string;
  httpUrl: string;
  apiKey: string;
  httpPort: number;
  databasePort: number;
  shadowDatabasePort: number;
  /** The child process serving the instance. */
  pid: number;
  /** Everything the child wrote to stderr so far (server logs). */
  stderr(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s), remove the data folder. */
  stop(): Promise<void>;
}

/**
 * Starts a ppg-dev instance (main + shadow wire servers and the Prisma HTTP endpoint) in a child
 * process on free 127.0.0.1 ports, with its data in a fresh temp folder.
 */
export async function startPrismaInstance(name = 'default', options: Record<string, unknown> = {}): Promise<PrismaInstance> {
  if (!existsSync(BUILT)) throw new Error('dist/ is missing: run `npx tsc -p .` before the prisma tests');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ppg-prisma-'));
  const child: ChildProcess = spawn(process.execPath, [CHILD, dataDir, TEMPLATES, name, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`instance did not start in 60 s:\n${stderr}`)), 60_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const newline = stdout.indexOf('\n');
        if (newline >= 0) {
          clearTimeout(timer);
          resolve(stdout.slice(0, newline));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`instance exited with ${code} before it was ready:\n${stderr}`));
      });
    });
    return { name, ...JSON.parse(line), pid: child.pid!, stderr: () => stderr, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
