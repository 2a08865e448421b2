import { PpgError } from '../ppg-error.js';
import type { Engine } from './engine.js';

/**
 * Quiescing a running server, so its data directories can be copied or replaced without a restart
 * (`ppg dev snapshot`, `reset`, `branch` of a running instance). Two modes:
 * - `wait`: clients are kept, not failed. Every open engine is taken through its scheduler queue as if
 *   by one more client, so running batches and open transactions finish first and new batches queue
 *   behind it, as they queue behind a transaction; then a CHECKPOINT puts every page on disk. The files
 *   are then complete and at rest until `release`.
 * - `terminate`: as at a Postgres shutdown, connected clients get FATAL 57P01 and every engine is closed
 *   (the caller does that part; it owns the sessions and the registry).
 * In both modes the gate is shut: connections may still log in, but wait before they get an engine, and
 * CREATE/DROP DATABASE waits too.
 */
export type QuiesceMode = 'wait' | 'terminate';

/** How long `wait` mode waits for open transactions before giving up (the data is then left as it was). */
export const QUIESCE_WAIT_TIMEOUT_MS = 20_000;

/** The gate new engine users pass; quiesce calls take turns. */
export class QuiesceGate {
  private shut: Promise<void> | null = null;
  private turn: Promise<unknown> = Promise.resolve();

  /** Resolves at once unless a quiesce is in progress, else when it ends. */
  async pass(): Promise<void> {
    while (this.shut) await this.shut;
  }

  /** Runs `work` with the gate shut; one at a time, in call order. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const mine = this.turn.then(async () => {
      let open = (): void => undefined;
      this.shut = new Promise<void>((resolve) => {
        open = resolve;
      });
      try {
        return await work();
      } finally {
        this.shut = null;
        open();
      }
    });
    this.turn = mine.catch(() => undefined);
    return mine;
  }
}

/**
 * What the engine's scheduler sees as the owner while we hold it: a stand-in session that runs no batch
 * (so nothing parses beside it), named in the lock-wait error of clients that wait for it.
 */
function holderFor<S>(purpose: string): S {
  return { pid: 0, applicationName: purpose } as unknown as S;
}

/**
 * `wait` mode: takes every engine through its scheduler (waiting for running batches and open transactions), then
 * checkpoints each. Resolves with the function that gives them back. Fails with PpgError `INSTANCE_BUSY`
 * if a transaction stays open past `timeoutMs` (default 20 s); nothing is held then.
 */
export async function holdEngines<S>(engines: Engine<S>[], timeoutMs = QUIESCE_WAIT_TIMEOUT_MS): Promise<() => void> {
  const holder = holderFor<S>('ppg dev (copying the data)');
  const release = (): void => {
    for (const engine of engines) {
      // A holder still in line (timeout) leaves it; an owner hands the engine to the next client.
      engine.scheduler.leave(holder);
      engine.scheduler.release(holder);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PpgError('INSTANCE_BUSY', `a transaction stayed open for ${Math.round(timeoutMs / 1000)} s, so the data could not be copied consistently`, {
      hint: 'commit or roll back the open transactions (or stop the instance) and try again',
    })), timeoutMs);
  });
  try {
    // A wait that release() ends after a timeout resolves unrun; nobody reads it then.
    const acquired = engines.map((engine) => engine.scheduler.acquire(holder));
    await Promise.race([Promise.all(acquired), timedOut]);
    for (const engine of engines) {
      if (engine.isDead) continue; // it reopens from its files, which are all there is
      await engine.execQuery('CHECKPOINT');
      // A simple query ends the unnamed prepared statement; its owner parses it again.
      engine.setUnnamedStatementOwner(null);
    }
    return release;
  } catch (error) {
    release();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
