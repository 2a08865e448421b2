import { PACKAGE_VERSION } from '../package-version.js';
import { PpgError } from '../ppg-error.js';
import { breakStaleLock, takeInstanceLock, withStateMutex } from '../state/instance-lock.js';
import {
  newRecord,
  readRecord,
  RECORD_SCHEMA_VERSION,
  writeRecord,
  type InstanceRecord,
} from '../state/instance-record.js';
import { ensureInstanceDir, instancePaths, templatesDir, type InstancePaths } from '../state/state-paths.js';
import { processStartTime } from '../state/terminate-process.js';
import { sharedWasmModule } from '../server/engine-worker-url.js';
import { controlSocketPath } from './control-channel.js';
import { startControlServer, type ControlServer } from './control-server.js';
import type { DaemonConfig } from './daemon-messages.js';
import { readOtherInstances, serveOnPort } from './serve-on-port.js';
import { ensureTlsIdentity } from './tls-certificate.js';
import { servePrismaCompanions, type PrismaCompanions } from './serve-prisma-companions.js';
import { startSpareKeeper } from './spare-keeper.js';

export interface RunningDaemon {
  readonly record: InstanceRecord;
  /** Closes the server (open transactions rolled back, data flushed), clears our pid, releases the lock. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Claims the instance under the state mutex: refuses a live holder, breaks a dead one's lock,
 * takes the lock and writes our pid, all as one step for every racing process.
 */
async function claimInstance(paths: InstancePaths, config: DaemonConfig, log: (line: string) => void) {
  return withStateMutex(paths, async () => {
    const existing = await readRecord(paths.record, paths.name);
    if (await breakStaleLock(paths, existing)) {
      log(`broke the stale lock left by pid ${existing?.pid ?? 'unknown'}`);
    }
    const release = await takeInstanceLock(paths, (error) => log(`warning: instance lock compromised: ${error.message}`));
    try {
      const record: InstanceRecord = {
        ...(existing ?? newRecord(paths.name, config.projectDir)),
        // An older record is upgraded in place; a newer one was refused by readRecord above.
        schemaVersion: RECORD_SCHEMA_VERSION,
        pid: process.pid,
        pidStartTime: processStartTime(process.pid) ?? null,
        startedAt: new Date().toISOString(),
        readyAt: null,
        stoppedAt: null,
        packageVersion: PACKAGE_VERSION,
      };
      await writeRecord(paths.record, record);
      return { record, release };
    } catch (error) {
      await release();
      throw error;
    }
  });
}

/** Clears our pid (only if the record still names us) and releases the lock, as one step. */
async function releaseInstance(paths: InstancePaths, release: () => Promise<void>): Promise<void> {
  await withStateMutex(paths, async () => {
    try {
      const current = await readRecord(paths.record, paths.name);
      if (current?.pid === process.pid) {
        await writeRecord(paths.record, { ...current, pid: null, pidStartTime: null, stoppedAt: new Date().toISOString() });
      }
    } finally {
      await release();
    }
  });
}

/**
 * The daemon's life, minus signals and IPC (see daemon-main.ts; foreground `ppg dev` calls this
 * in-process): claim the instance, start the wire server, record where it listens.
 * Fails with INSTANCE_LOCKED (a live daemon holds it), PORT_IN_USE, RECORD_CORRUPT, … and then
 * leaves nothing held.
 */
export async function runDaemon(config: DaemonConfig, log: (line: string) => void): Promise<RunningDaemon> {
  const paths = instancePaths(config.stateRoot, config.name);
  // PGlite's WASM compiles on background threads while the instance is claimed and its ports are bound,
  // instead of after, when the main database opens (0.1–0.2 s of every start; a failure shows up there).
  sharedWasmModule().catch(() => undefined);
  await ensureInstanceDir(paths);
  const claim = await claimInstance(paths, config, log);
  let server: Awaited<ReturnType<typeof serveOnPort>> | undefined;
  let companionsStarting: Promise<PrismaCompanions> | undefined;
  let control: ControlServer | undefined;
  try {
    const others = await readOtherInstances(config.stateRoot, config.name);
    const tls = await ensureTlsIdentity(config.stateRoot);
    // The companions start while the main database opens: they need only its port.
    const startCompanions = (databasePort: number): Promise<PrismaCompanions> => servePrismaCompanions({
      stateRoot: config.stateRoot,
      name: config.name,
      shadowDataDir: paths.shadowData,
      templateCacheDir: config.templateCacheDir ?? templatesDir(config.stateRoot),
      host: claim.record.host,
      user: claim.record.user,
      password: claim.record.password,
      databasePort,
      previousHttpPort: claim.record.httpPort ?? null,
      previousShadowPort: claim.record.shadowPort ?? null,
      ...(config.basePort === undefined ? {} : { basePort: config.basePort }),
      others,
      log,
    });
    server = await serveOnPort({
      stateRoot: config.stateRoot,
      name: config.name,
      dataDir: paths.data,
      host: claim.record.host,
      user: claim.record.user,
      password: claim.record.password,
      requested: config.port,
      previous: claim.record.port,
      socketDir: config.socketDir,
      tls,
      templateCacheDir: config.templateCacheDir ?? templatesDir(config.stateRoot),
      ...(config.basePort === undefined ? {} : { basePort: config.basePort }),
      others,
      log,
      onListening: (port) => {
        companionsStarting = startCompanions(port);
        companionsStarting.catch(() => undefined); // awaited below; a failure is handled there
      },
    });
    // startDbServer reports the port before it resolves; the fallback only guards that contract.
    companionsStarting ??= startCompanions(server.port);
    const companions = await companionsStarting;
    const record: InstanceRecord = {
      ...claim.record,
      port: server.port,
      url: server.url,
      httpPort: companions.httpPort,
      shadowPort: companions.shadowPort,
      readyAt: new Date().toISOString(),
    };
    // Before the record says ready: a caller that sees a running instance finds the channel there.
    // What reset and restore took, made again once the hold is over (and whatever is missing at start).
    const spares = startSpareKeeper({
      stateRoot: config.stateRoot, instance: config.name, templateCacheDir: config.templateCacheDir ?? templatesDir(config.stateRoot), serverUrl: server.url, log,
    });
    control = await startControlServer(controlSocketPath(paths.dir), { main: server, shadow: companions.shadow }, log, () => spares.refill());
    await writeRecord(paths.record, record);
    log(`ready: ${record.url} (pid ${process.pid})`);
    spares.refill();
    const running = server;
    let stopping: Promise<void> | undefined;
    return {
      record,
      stop: () => {
        stopping ??= (async () => {
          log('shutting down');
          try {
            await control?.close();
            // The HTTP endpoint first: its open transactions roll back through the wire server.
            await companions.close();
            await running.close();
          } finally {
            await releaseInstance(paths, claim.release);
          }
          log('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await control?.close().catch(() => undefined);
    await (await companionsStarting?.catch(() => undefined))?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await releaseInstance(paths, claim.release).catch(() => undefined);
    throw error instanceof PpgError || !(error instanceof Error)
      ? error
      : new PpgError('DAEMON_FAILED', `the server for '${config.name}' failed to start: ${error.message}`, {
          hint: `see ${paths.log}`,
          cause: error,
        });
  }
}
