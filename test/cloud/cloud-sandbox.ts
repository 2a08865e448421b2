import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { FakeCloud } from './fake-cloud.js';

/**
 * One e2e sandbox: a fake cloud, a project folder, and temp config/state/home dirs, so the built CLI
 * never sees the real user's config, login or state. `close()` stops the fake, kills any child still
 * running and removes every temp dir.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ppg.js');

function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cloud', 'init-db.js'))) throw new Error('dist is missing: run `npm run build` before the cloud e2e tests');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class CloudSandbox {
  readonly children = new Set<ChildProcess>();

  private constructor(
    readonly fake: FakeCloud,
    readonly root: string,
    readonly project: string,
    readonly configDir: string,
  ) {}

  /** The project's `.env` (the file `ppg init --db` and `create-db -e` edit). */
  get envPath(): string {
    return join(this.project, '.env');
  }

  static async create(): Promise<CloudSandbox> {
    const root = await mkdtemp(join(tmpdir(), 'ppg-cloud-e2e-'));
    const project = join(root, 'my-app');
    const configDir = join(root, 'config');
    await mkdir(project);
    return new CloudSandbox(await FakeCloud.start(), root, project, configDir);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: join(this.root, 'home'),
      XDG_CONFIG_HOME: join(this.root, 'xdg'),
      PPG_CONFIG_DIR: this.configDir,
      PPG_DEV_HOME: join(this.root, 'state'),
      PRISMA_MANAGEMENT_API_URL: this.fake.url,
      PPG_AUTH_URL: this.fake.url,
      CREATE_DB_WORKER_URL: this.fake.url,
      CLAIM_DB_WORKER_URL: 'https://claim.test',
      PPG_NO_BROWSER: '1',
      NO_COLOR: '1',
      ...extra,
    };
  }

  /** Starts `node bin/ppg.js …` in the project folder without waiting (for login, which needs a callback). */
  start(args: string[], env: NodeJS.ProcessEnv = this.env(), input?: string, cwd = this.project): { child: ChildProcess; done: Promise<CliResult> } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin!.end(input ?? '');
    const done = new Promise<CliResult>((resolve) => {
      child.on('close', (code) => {
        this.children.delete(child);
        resolve({ code, stdout, stderr });
      });
    });
    return { child, done };
  }

  run(args: string[], env?: NodeJS.ProcessEnv, input?: string, cwd?: string): Promise<CliResult> {
    return this.start(args, env, input, cwd).done;
  }

  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await this.fake.close();
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * Gives every test of the file a fresh CloudSandbox (after checking once that dist/ is built) and closes
 * it after the test, whether it passed or not. `prepare` runs on each new sandbox before the test
 * (a project marker, a stored login). Returns a getter for the current test's sandbox.
 */
export function useCloudSandbox(prepare?: (box: CloudSandbox) => Promise<void>): () => CloudSandbox {
  let current: CloudSandbox | undefined;
  beforeAll(() => assertBuilt());
  beforeEach(async () => {
    current = await CloudSandbox.create();
    await prepare?.(current);
  });
  afterEach(async () => {
    const box = current;
    current = undefined;
    await box?.close();
  });
  return () => {
    if (!current) throw new Error('no sandbox: useCloudSandbox() provides one only inside a test');
    return current;
  };
}
