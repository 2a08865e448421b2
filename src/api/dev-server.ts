import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runDaemon } from '../daemon/run-daemon.js';
import { resolveProjectInstance } from '../instances/project-instance.js';
import { prismaUrlsOf } from '../instances/record-urls.js';
import { PpgError } from '../ppg-error.js';
import { inspectInstance } from '../state/inspect-instance.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { basePortFromEnv } from '../state/port-plan.js';
import { instancePaths, resolveStateRoot, templatesDir } from '../state/state-paths.js';

/**
 * The programmatic face of `ppg dev`, for test setups and scripts: a server in this process
 * (`startDevServer`), or the URLs of an instance the CLI runs (`getDevServer`).
 */
export interface DevServerOptions {
  /** Instance name. Default: the name `ppg dev` derives from the project folder around `cwd`. */
  name?: string;
  /**
   * `persistent` (default): the instance's data lives in the state directory (or `dataDir`) and
   * survives `close()`, like `ppg dev`. `memory`: a throwaway copy in a temp folder, deleted by `close()`.
   */
  persistence?: 'persistent' | 'memory';
  /** Keep this server's state (instances/<name>/…) here instead of the ppg-dev state directory. */
  dataDir?: string;
  /** Listen on this port, or fail with PORT_IN_USE. Default: the instance's previous port, else the next free one from 51214 (0: any free port). */
  port?: number;
  /** Where to look for the project folder. Default: process.cwd(). */
  cwd?: string;
  /** Environment for the state directory (PPG_DEV_HOME) and the template cache. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives the server's log lines. Default: silent. */
  log?: (line: string) => void;
}

export interface DevServerUrls {
  name: string;
  /** `postgres://…` for any Postgres client. */
  url: string;
  /** The shadow database for `prisma migrate dev`. */
  shadowUrl: string;
  /** `prisma+postgres://…` for Prisma Client's `accelerateUrl`. */
  prismaUrl: string;
}

export interface DevServer extends DevServerUrls {
  /** Stops the servers (open transactions rolled back, data flushed); a `memory` server's data is deleted. Idempotent. */
  close(): Promise<void>;
}

function urlsOf(record: InstanceRecord): DevServerUrls {
  const prisma = prismaUrlsOf(record);
  if (!record.url || !prisma) throw new PpgError('INSTANCE_OUTDATED', `instance '${record.name}' has no URLs recorded`, { hint: `restart it: ppg dev stop ${record.name} && ppg dev --detach --name ${record.name}` });
  return { name: record.name, url: record.url, shadowUrl: prisma.shadowDatabaseUrl, prismaUrl: prisma.prismaPostgresUrl };
}

/**
 * Starts an instance's servers in this process and resolves once they accept connections. Fails with
 * INSTANCE_LOCKED when `ppg dev` (or another process) already serves that instance, PORT_IN_USE for a
 * taken `port`.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const env = options.env ?? process.env;
  const userRoot = resolveStateRoot(env);
  const memory = options.persistence === 'memory';
  const stateRoot = memory ? await mkdtemp(path.join(os.tmpdir(), 'ppg-dev-memory-')) : options.dataDir ? path.resolve(options.dataDir) : userRoot;
  try {
    const cwd = options.cwd ?? process.cwd();
    const { name, projectDir } = await resolveProjectInstance(stateRoot, cwd, options.name);
    const daemon = await runDaemon({
      stateRoot,
      name,
      projectDir,
      // One template for every server of this user: a new one would cost an initdb (seconds).
      templateCacheDir: templatesDir(userRoot),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(basePortFromEnv(env) === undefined ? {} : { basePort: basePortFromEnv(env) }),
    }, options.log ?? (() => undefined));
    let closing: Promise<void> | undefined;
    return {
      ...urlsOf(daemon.record),
      close: () => {
        closing ??= (async () => {
          try {
            await daemon.stop();
          } finally {
            if (memory) await rm(stateRoot, { recursive: true, force: true });
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    if (memory) await rm(stateRoot, { recursive: true, force: true });
    throw error;
  }
}

/** The URLs of an instance that is running now (started by `ppg dev` or `startDevServer`), or null. */
export async function getDevServer(name: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<DevServerUrls | null> {
  const view = await inspectInstance(instancePaths(resolveStateRoot(options.env ?? process.env), name));
  if (view.status !== 'running' || !view.record) return null;
  return urlsOf(view.record);
}
