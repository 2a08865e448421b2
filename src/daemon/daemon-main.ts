/**
 * Process entry of a detached daemon (forked by src/instances/spawn-daemon.ts with stdout/stderr
 * going to daemon.log). Reports exactly one IPC message, `ready` or `error`, then serves until
 * SIGTERM/SIGINT and shuts down cleanly.
 */
import { isPpgError } from '../ppg-error.js';
import { sharedWasmModule } from '../server/engine-worker-url.js';
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

/** Resolves true on the parent's `data-placed` message, false if the IPC channel closes first. */
function dataPlaced(): Promise<boolean> {
  return new Promise((resolve) => {
    if (!process.connected) {
      resolve(false);
      return;
    }
    const onMessage = (message: unknown): void => {
      if ((message as { type?: unknown } | null)?.type !== 'data-placed') return;
      process.off('disconnect', onDisconnect);
      process.off('message', onMessage);
      resolve(true);
    };
    const onDisconnect = (): void => {
      process.off('message', onMessage);
      resolve(false);
    };
    process.on('message', onMessage);
    process.once('disconnect', onDisconnect);
  });
}

async function daemonMain(): Promise<void> {
  const config = JSON.parse(process.env[DAEMON_CONFIG_ENV] ?? '{}') as DaemonConfig;
  const shutdown = waitForShutdownSignal();
  log(`starting instance '${config.name}' (ppg-dev daemon, node ${process.version})`);
  if (config.awaitData) {
    // PGlite's WASM compiles on background threads meanwhile: the wait is not lost. (Preparing the main
    // database's engine thread here too, engine.ts prepareEngine, did not make a branch faster: measured
    // 2,690 -> 3,164 ms median, 5 samples, load 2-4; its Postgres start after the data is JIT-cold anyway,
    // and the thread's start competes with the copy for the two cores.)
    sharedWasmModule().catch(() => undefined);
    if (!(await dataPlaced())) {
      log('the parent went away before the data was in place; not starting');
      return;
    }
  }
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
