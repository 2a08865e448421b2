import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Everything the benchmark starts (child processes, temp dirs) is registered here, so a normal end, a failure
 * and Ctrl-C all leave nothing behind.
 */
interface TrackedChild {
  child: ChildProcess;
  /** Signal asking it to stop cleanly (postgres: SIGINT = fast shutdown). */
  stopSignal: NodeJS.Signals;
}

const children = new Set<TrackedChild>();
const tempDirs = new Set<string>();
const hooks = new Set<() => void>();

let stopping = false;

/** True once a signal asked the bench to stop: no new work should start. */
export function isStopping(): boolean {
  return stopping;
}

export function trackChild(child: ChildProcess, stopSignal: NodeJS.Signals = 'SIGTERM'): void {
  if (stopping) {
    // Spawned by work that was already under way when the signal came: it must not outlive the bench.
    child.kill('SIGKILL');
    return;
  }
  const entry = { child, stopSignal };
  children.add(entry);
  child.once('exit', () => children.delete(entry));
}

/**
 * Synchronous work for cleanupAll to do first, for what is not a child of ours: the daemons `ppg dev --detach`
 * starts run in their own session. Returns a function that unregisters the hook.
 */
export function onCleanup(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Runs the hooks, asks every live child to stop, waits up to `graceMs`, then SIGKILLs the rest; removes the temp dirs. */
export async function cleanupAll(graceMs = 5_000): Promise<void> {
  for (const hook of [...hooks]) {
    hooks.delete(hook);
    try {
      hook();
    } catch {
      // one failed hook must not keep the rest (and the temp dirs) from being cleaned up
    }
  }
  const live = [...children].filter(({ child }) => alive(child));
  for (const { child, stopSignal } of live) child.kill(stopSignal);
  const deadline = Date.now() + graceMs;
  while (live.some(({ child }) => alive(child)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const { child } of live) if (alive(child)) child.kill('SIGKILL');
  for (const dir of [...tempDirs]) {
    try {
      removeTempDir(dir);
    } catch {
      // A child killed late may still be writing; a second try usually succeeds.
      await new Promise((resolve) => setTimeout(resolve, 200));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** On SIGINT/SIGTERM/SIGHUP: clean up, then exit 130. */
export function cleanupOnSignals(onSignal: (signal: string) => void): void {
  let handling = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (handling) return;
      handling = true;
      stopping = true;
      onSignal(signal);
      cleanupAll(3_000).finally(() => process.exit(130));
    });
  }
}
