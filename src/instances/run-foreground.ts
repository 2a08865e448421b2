import { createWriteStream } from 'node:fs';
import { PpgError } from '../ppg-error.js';
import { waitForShutdownSignal } from '../daemon/shutdown-signal.js';
import { inspectInstance } from '../state/inspect-instance.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { ensureInstanceDir, instancePaths, templatesMissing } from '../state/state-paths.js';
import { daemonConfigFor, FIRST_START_NOTICE, type StartRequest } from './start-instance.js';

export interface ForegroundHooks {
  /** Called once the server accepts connections. */
  onReady(record: InstanceRecord): void | Promise<void>;
  /** Progress for people (stderr). */
  onNotice(line: string): void;
  /** Echo server log lines here too (`--debug`). */
  debug?: ((line: string) => void) | undefined;
}

/**
 * Foreground `ppg dev`: runs the daemon in this process until SIGINT/SIGTERM, then shuts down
 * cleanly (transactions rolled back, data flushed, lock released) and resolves. Fails with
 * INSTANCE_RUNNING when a daemon already serves the instance: there is nothing to wait on here.
 */
export async function runForeground(request: StartRequest, hooks: ForegroundHooks): Promise<void> {
  const paths = instancePaths(request.stateRoot, request.name);
  await ensureInstanceDir(paths);
  const view = await inspectInstance(paths);
  // Without a pid the holder is unknown: runDaemon's lock check then reports DATA_DIR_LOCKED.
  if ((view.status === 'running' || view.status === 'starting') && view.record?.pid != null) {
    const where = view.record?.url ? ` at ${view.record.url}` : '';
    throw new PpgError('INSTANCE_RUNNING', `instance '${request.name}' is already running${where} (pid ${view.record.pid})`, {
      hint: `use that URL (ppg dev --detach prints it), or stop it first: ppg dev stop ${request.name}`,
    });
  }
  const logFile = createWriteStream(paths.log, { flags: 'a' });
  const logToFile = (line: string): void => {
    logFile.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);
  };
  const log = (line: string): void => {
    logToFile(line);
    hooks.debug?.(line);
  };
  if (await templatesMissing(request.stateRoot)) hooks.onNotice(FIRST_START_NOTICE);
  if (view.status === 'crashed') hooks.onNotice(`instance '${request.name}' did not stop cleanly last time (${view.reason}); recovering it`);
  const shutdown = waitForShutdownSignal();
  try {
    const { runDaemon } = await import('../daemon/run-daemon.js');
    const daemon = await runDaemon(
      daemonConfigFor(request),
      log,
    );
    try {
      await hooks.onReady(daemon.record);
      const signal = await shutdown;
      hooks.onNotice(`received ${signal}, shutting down…`);
      logToFile(`received ${signal}`);
    } finally {
      await daemon.stop();
    }
    hooks.onNotice('stopped; data saved');
  } finally {
    await new Promise((resolve) => logFile.end(resolve));
  }
}
