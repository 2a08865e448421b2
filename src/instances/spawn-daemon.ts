import { fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DAEMON_CONFIG_ENV, isDaemonMessage, type DaemonConfig, type DaemonMessage, type DataPlacedMessage } from '../daemon/daemon-messages.js';
import { rotateLogIfLarge } from './daemon-log.js';
import type { InstancePaths } from '../state/state-paths.js';
import { terminateProcess } from '../state/terminate-process.js';

const DAEMON_ENTRY = fileURLToPath(new URL('../daemon/daemon-main.js', import.meta.url));

/**
 * Forks the daemon detached (own session, stdout/stderr appended to daemon.log), waits for its one
 * IPC message, then lets it go. Never throws for daemon failures: they come back as an `error`
 * message (DAEMON_EXITED when it died silently, DAEMON_TIMEOUT after `timeoutMs`, child killed).
 */
export async function spawnDaemon(
  paths: InstancePaths,
  config: DaemonConfig,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  dataPlaced?: Promise<void>,
): Promise<DaemonMessage> {
  await rotateLogIfLarge(paths);
  const logFd = openSync(paths.log, 'a');
  let child;
  try {
    child = fork(DAEMON_ENTRY, [], {
      detached: true,
      // Not the project folder: a daemon must not pin a folder the user may move or delete.
      cwd: paths.dir,
      stdio: ['ignore', logFd, logFd, 'ipc'],
      env: { ...env, [DAEMON_CONFIG_ENV]: JSON.stringify(dataPlaced ? { ...config, awaitData: true } : config) },
      // Flags of the calling process (a test runner's loaders, --inspect) must not leak into a daemon.
      execArgv: [],
    });
  } finally {
    closeSync(logFd);
  }
  const daemon = child;
  // A daemon told to await its data starts once it is in place; if it never will be, closing the channel
  // ends it (it then exits without claiming anything, which answers this call with DAEMON_EXITED).
  dataPlaced?.then(
    () => {
      if (daemon.connected) daemon.send({ type: 'data-placed' } satisfies DataPlacedMessage, () => undefined);
    },
    () => {
      if (daemon.connected) daemon.disconnect();
    },
  );
  const answer = await new Promise<DaemonMessage | 'timeout'>((resolve) => {
    // The start-up limit runs from when the daemon may start: a long copy before that is not its start.
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const arm = (): void => {
      if (!settled) timer = setTimeout(() => resolve('timeout'), timeoutMs);
    };
    if (dataPlaced) dataPlaced.then(arm, () => undefined);
    else arm();
    daemon.once('message', (message) => {
      settled = true;
      clearTimeout(timer);
      resolve(
        isDaemonMessage(message)
          ? message
          : { type: 'error', code: 'DAEMON_FAILED', message: 'the daemon sent an unexpected message' },
      );
    });
    daemon.once('exit', (code, signal) => {
      settled = true;
      clearTimeout(timer);
      resolve({
        type: 'error',
        code: 'DAEMON_EXITED',
        message: `the daemon exited (${signal ?? `code ${code}`}) before it was ready`,
      });
    });
  });
  if (answer === 'timeout') {
    if (daemon.pid !== undefined) await terminateProcess(daemon.pid, 5_000);
    return {
      type: 'error',
      code: 'DAEMON_TIMEOUT',
      message: `the daemon was not ready after ${(timeoutMs / 1000).toFixed(1)} s and was stopped (PPG_DEV_START_TIMEOUT_MS raises the limit)`,
    };
  }
  if (daemon.connected) daemon.disconnect();
  daemon.unref();
  return answer;
}
