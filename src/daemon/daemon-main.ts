/**
 * Process entry of a detached daemon (forked by src/instances/spawn-daemon.ts with stdout/stderr
 * going to daemon.log). Reports exactly one IPC message, `ready` or `error`, then serves until
 * SIGTERM/SIGINT and shuts down cleanly.
 */
import { isPpgError } from '../ppg-error.js';
import { DAEMON_CONFIG_ENV, type DaemonConfig, type DaemonMessage } from './daemon-messages.js';
import { runDaemon } from './run-daemon.js';
import { waitForShutdownSignal } from './shutdown-signal.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);
}

function tell(message: DaemonMessage): void {
  if (!process.send) return;
  process.send(message, () => {
    // Our parent only waits for this one message; letting go keeps us from pinning it.
    if (process.connected) process.disconnect();
  });
}

async function daemonMain(): Promise<void> {
  const config = JSON.parse(process.env[DAEMON_CONFIG_ENV] ?? '{}') as DaemonConfig;
  const shutdown = waitForShutdownSignal();
  log(`starting instance '${config.name}' (ppg-dev daemon, node ${process.version})`);
  let daemon;
  try {
    daemon = await runDaemon(config, log);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`error: ${message}`);
    if (error instanceof Error && !isPpgError(error) && error.stack) log(error.stack);
    tell(
      isPpgError(error)
        ? { type: 'error', code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
        : { type: 'error', code: 'DAEMON_FAILED', message },
    );
    process.exitCode = 1;
    return;
  }
  tell({ type: 'ready', record: daemon.record });
  const signal = await shutdown;
  log(`received ${signal}`);
  await daemon.stop();
}

await daemonMain();
