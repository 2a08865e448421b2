import { accessSync, constants } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCodeOr } from '../error-codes.js';
import { PpgError } from '../ppg-error.js';
import type { DaemonConfig } from '../daemon/daemon-messages.js';
import { readLogTail } from './daemon-log.js';
import { inspectInstance, type InstanceView } from '../state/inspect-instance.js';
import type { InstanceRecord } from '../state/instance-record.js';
import { basePortFromEnv } from '../state/port-plan.js';
import { spawnDaemon } from './spawn-daemon.js';
import { ensureInstanceDir, instancePaths, templatesMissing, type InstancePaths } from '../state/state-paths.js';

/** First start may build the shared template (initdb in WASM: 6–12 s on a busy machine). */
const DEFAULT_START_TIMEOUT_MS = 60_000;

export interface StartRequest {
  stateRoot: string;
  name: string;
  projectDir: string;
  /** Strict `--port`. Without it: previous port, else 51214, else the next free one. */
  port?: number | undefined;
  env: NodeJS.ProcessEnv;
  /** Progress for people (stderr), e.g. that a first start builds the template. */
  onNotice?: ((line: string) => void) | undefined;
  /**
   * The instance's data is still being made (`ppg dev branch`): the daemon is forked at once and boots,
   * but claims the instance and opens its data only when this resolves; a rejection ends it unstarted.
   */
  dataPlaced?: Promise<void> | undefined;
}

export const FIRST_START_NOTICE = 'first start: preparing the PGlite template (a few seconds, once per PGlite version)…';

/** What the daemon is told, the same for `--detach` and the foreground: every setting it needs, no env lookups inside. */
export function daemonConfigFor(request: StartRequest): DaemonConfig {
  const basePort = basePortFromEnv(request.env);
  const socketDir = socketDirFromEnv(request.env);
  return {
    stateRoot: request.stateRoot,
    name: request.name,
    projectDir: request.projectDir,
    ...(request.port === undefined ? {} : { port: request.port }),
    ...(basePort === undefined ? {} : { basePort }),
    ...(socketDir === undefined ? {} : { socketDir }),
  };
}

/**
 * Where the Unix-domain socket goes: PPG_DEV_SOCKET_DIR (empty: no socket), else where libpq looks by
 * default: /var/run/postgresql on Debian-like systems when we may write there, else /tmp.
 */
function socketDirFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const chosen = env.PPG_DEV_SOCKET_DIR;
  if (chosen !== undefined) return chosen.trim() === '' ? undefined : chosen;
  if (process.platform === 'win32') return undefined;
  try {
    accessSync(DEBIAN_SOCKET_DIR, constants.W_OK);
    return DEBIAN_SOCKET_DIR;
  } catch {
    return '/tmp';
  }
}

const DEBIAN_SOCKET_DIR = '/var/run/postgresql';

export interface StartResult {
  record: InstanceRecord & { url: string; port: number };
  /** True when it was already running (or another command started it meanwhile). */
  alreadyRunning: boolean;
  /** True when it had crashed: the stale lock was broken and PGlite replayed its WAL. */
  recovered: boolean;
}

function startTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PPG_DEV_START_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_START_TIMEOUT_MS;
}

function asRunning(view: InstanceView): StartResult['record'] {
  const record = view.record;
  if (!record || record.url === null || record.port === null) {
    throw new PpgError('RECORD_CORRUPT', `instance '${view.paths.name}' runs but its record has no URL`, {
      hint: `stop it (ppg dev stop ${view.paths.name}) and start it again`,
    });
  }
  return { ...record, url: record.url, port: record.port };
}

function assertSamePort(view: InstanceView, port: number | undefined): void {
  if (port !== undefined && view.record?.port !== port) {
    throw new PpgError('INSTANCE_RUNNING', `instance '${view.paths.name}' is already running on port ${view.record?.port}`, {
      hint: `stop it first (ppg dev stop ${view.paths.name}) to move it to port ${port}`,
    });
  }
}

/** A daemon writes its pid a few ms after taking the lock; a lock that stays anonymous longer is not ours. */
const ANONYMOUS_LOCK_GRACE_MS = 2_000;

/**
 * Waits while someone else's daemon for this instance is starting (a concurrent `ppg dev`).
 * Fails with DATA_DIR_LOCKED if it never answers (or the lock holder never names itself), or
 * DAEMON_FAILED if it dies meanwhile.
 */
async function waitUntilRunning(paths: InstancePaths, timeoutMs: number): Promise<InstanceView> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (;;) {
    const view = await inspectInstance(paths);
    if (view.status === 'running') return view;
    if (view.status === 'stopped' || view.status === 'crashed') {
      throw await failedToStart(paths, `the daemon for '${paths.name}' stopped while starting`);
    }
    const anonymous = view.record?.pid == null && Date.now() - started >= ANONYMOUS_LOCK_GRACE_MS;
    if (anonymous || Date.now() >= deadline) {
      const holder = view.record?.pid == null ? 'another process' : `process ${view.record.pid}`;
      throw new PpgError('DATA_DIR_LOCKED', `instance '${paths.name}' is locked by ${holder}, which is not serving it`, {
        hint: `if that is a stuck ppg daemon, run: ppg dev stop ${paths.name}`,
      });
    }
    await sleep(100);
  }
}

async function failedToStart(paths: InstancePaths, message: string): Promise<PpgError> {
  const tail = await readLogTail(paths);
  return new PpgError('DAEMON_FAILED', message, {
    hint: tail === '' ? `no log was written to ${paths.log}` : `last lines of ${paths.log}:\n${tail}`,
  });
}

/**
 * `ppg dev --detach` and `ppg dev start`: idempotent. Returns the running instance's record, forking
 * a detached daemon if needed and waiting until it accepts connections (PPG_DEV_START_TIMEOUT_MS,
 * default 60 s). Two racing calls end with one daemon: the loser's daemon finds the lock taken and
 * this call then waits for the winner.
 */
export async function startDetached(request: StartRequest): Promise<StartResult> {
  const paths = instancePaths(request.stateRoot, request.name);
  await ensureInstanceDir(paths);
  const timeoutMs = startTimeoutMs(request.env);
  const view = await inspectInstance(paths);
  if (view.status === 'running') {
    assertSamePort(view, request.port);
    return { record: asRunning(view), alreadyRunning: true, recovered: false };
  }
  if (view.status === 'starting') {
    return { record: asRunning(await waitUntilRunning(paths, timeoutMs)), alreadyRunning: true, recovered: false };
  }

  const config = daemonConfigFor(request);
  if (await templatesMissing(request.stateRoot)) request.onNotice?.(FIRST_START_NOTICE);
  const answer = await spawnDaemon(paths, config, request.env, timeoutMs, request.dataPlaced);
  if (answer.type === 'ready') {
    return { record: asRunning({ ...view, record: answer.record }), alreadyRunning: false, recovered: view.status === 'crashed' };
  }
  if (answer.code === 'INSTANCE_LOCKED') {
    const winner = await waitUntilRunning(paths, timeoutMs);
    assertSamePort(winner, request.port);
    return { record: asRunning(winner), alreadyRunning: true, recovered: false };
  }
  if (answer.code === 'DAEMON_EXITED' || answer.code === 'DAEMON_TIMEOUT' || answer.code === 'DAEMON_FAILED') {
    throw await failedToStart(paths, `instance '${request.name}' failed to start: ${answer.message}`);
  }
  // The code came over IPC as a string: one we do not know (a newer daemon?) still fails as DAEMON_FAILED.
  throw new PpgError(errorCodeOr(answer.code, 'DAEMON_FAILED'), answer.message, answer.hint === undefined ? {} : { hint: answer.hint });
}
