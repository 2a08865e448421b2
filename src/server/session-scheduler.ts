import type { TransactionStatus } from './wire-messages.js';

/**
 * The rules of the session scheduler, as a state machine with no I/O and no timers: time is an input (`now`,
 * in ms) and what must happen is returned as effects, which engine-scheduler.ts carries out. One machine per
 * engine; `S` is whatever identifies a client session.
 *
 * - One owner at a time. A batch takes a free engine at once (`take`), else waits in FIFO order (`enqueue`).
 *   After each batch the owner keeps the engine while it is inside a transaction or an unfinished extended
 *   batch (`settle`); `release` hands it straight to the next in line, so a client that lets go and asks
 *   again goes to the back.
 * - A waiting batch leaves the line, unrun, when its statement_timeout or the lock-wait limit passes, on a
 *   cancel, or when its client goes (`refuse`).
 * - A running batch is stopped (`interrupt`, which restarts the engine) when its statement_timeout passes,
 *   or when it still runs CANCEL_GRACE_MS after a cancel: a batch that ends by itself meanwhile needs no
 *   restart, and its client sees what Postgres shows when a cancel comes as the statement finishes. A
 *   cancel while nothing of the client's is in the engine does nothing, as in Postgres.
 * - A parse-only batch (Parse, Describe/Close of statements, Sync) may run beside an owner that is idle in
 *   its transaction (`routeParseOnly`): Postgres answers it at once, and single-threaded clients rely on
 *   that. While the owner's batch is in flight it waits for that batch to end, then decides again (`retry`).
 * - At an engine restart the interrupted batch ends like any other: its owner settles with the status the
 *   restart left it (an aborted transaction keeps the engine until ROLLBACK). A session whose prepared
 *   statements predate the restart is not `current` and cannot run beside the owner until it parsed them
 *   again in a batch of its own.
 * - Pipelining: an owner whose batch cannot leave a transaction open or change session state lets go of the
 *   engine once the batch is sent (`detach`), so the next client's batch is already queued in the engine
 *   thread when it finishes: at once if someone waits, else as soon as a batch that may queue behind it
 *   asks (`take`); a lone client keeps the engine as before. Only a waiter that can have its batch sent
 *   again if the engine restarts under it (`behind`: the batch runner) gets the engine while detached
 *   batches are still in it; anyone else (cleanup, quiesce, the COPY probe) waits until they have ended
 *   (`endBatch`), in line order. A detached batch that the engine dropped unrun at a restart queues again
 *   (`undetach`).
 */
export const CANCEL_GRACE_MS = 100;

/** Why a waiting batch left the line without running. */
export type WaitEnd = 'canceled' | 'statement-timeout' | 'lock-wait' | 'closed';
/** Why a running batch is stopped. */
export type Interruption = 'canceled' | 'statement-timeout';

export type SchedulerEffect<S> =
  /** `session` owns the engine now: its waiting batch runs. */
  | { kind: 'grant'; session: S }
  /** `session`'s waiting batch ends unrun; `holder` owned the engine meanwhile (named in the lock-wait error). */
  | { kind: 'refuse'; session: S; reason: WaitEnd; holder: S | null }
  /** Stop `session`'s running batch. */
  | { kind: 'interrupt'; session: S; reason: Interruption }
  /** The batch `session`'s parse-only batch waited for has ended: route it again. */
  | { kind: 'retry'; session: S };

/** Limits on a wait for the engine, in ms (0 = none). */
export interface WaitLimits {
  statementTimeoutMs: number;
  lockWaitTimeoutMs: number;
}

export type ParseOnlyRoute = 'run' | 'hold' | 'beside' | 'queue';

interface Waiter<S> {
  session: S;
  /** It may have its batch queued behind detached batches still in the engine. */
  behind: boolean;
  statementDeadline: number | null;
  lockDeadline: number | null;
}

interface Run {
  statementDeadline: number | null;
  /** An interrupt was asked for: one per run is enough (the engine restarts). */
  stopped: boolean;
}

export class SessionScheduler<S> {
  private current: S | null = null;
  /** The owner's state after its last batch (a new owner starts idle: only an owner can be in a transaction). */
  private ownerStatus: TransactionStatus = 'I';
  private ownerMidBatch = false;
  private readonly waiters: Waiter<S>[] = [];
  /** Sessions with a batch on the engine or being wrapped up (`beginBatch` … `endBatch`). */
  private readonly executing = new Set<S>();
  /** Sessions whose batch is in the engine (`startRun` … `endRun`). */
  private readonly runs = new Map<S, Run>();
  /** When a cancel's grace period ends, by session. */
  private readonly cancels = new Map<S, number>();
  /** Parse-only batches waiting for a batch to end: session → the session whose batch it waits for. */
  private readonly held = new Map<S, S>();
  /** Sessions whose batch is still in the engine after they let go of it (`detach`). */
  private readonly detached = new Set<S>();
  /** The owner's batch is sent and may be detached as soon as a batch that may queue behind it asks. */
  private ownerDetachable = false;

  get owner(): S | null {
    return this.current;
  }

  /** How many batches wait in line. */
  get waiting(): number {
    return this.waiters.length;
  }

  isWaiting(session: S): boolean {
    return this.waiters.some((w) => w.session === session);
  }

  isExecuting(session: S): boolean {
    return this.executing.has(session);
  }

  isRunning(session: S): boolean {
    return this.runs.has(session);
  }

  /** How many detached batches are still in the engine. */
  get inFlight(): number {
    return this.detached.size;
  }

  /**
   * Takes the engine if it is free (and nobody waits) or already `session`'s; never queues. `behind`: the
   * caller can take it while detached batches are still in the engine (see `detach`).
   */
  take(session: S, behind = false): boolean {
    if (this.current === session) return true;
    if (this.waiters.length > 0) return false;
    if (this.current !== null) {
      if (!behind || !this.ownerDetachable) return false;
      this.detached.add(this.current);
    } else if (this.detached.size > 0 && !behind) return false;
    this.own(session);
    return true;
  }

  /** Puts `session` in line (after `take` failed); it gets a `grant` or a `refuse`. `behind` as for `take`. */
  enqueue(session: S, now: number, limits: WaitLimits = NO_LIMITS, behind = false): void {
    this.waiters.push({
      session,
      behind,
      statementDeadline: deadline(now, limits.statementTimeoutMs),
      lockDeadline: deadline(now, limits.lockWaitTimeoutMs),
    });
  }

  /**
   * Where a parse-only batch goes: `run` (the engine was free or ours, and is ours now), `hold` (the owner's
   * batch is in flight: wait for its `retry`), `beside` (run inside the owner's idle transaction now) or
   * `queue` (wait in line like any batch). `current`: the session's prepared statements are those of the
   * running engine (not from before a restart) and the engine is alive.
   */
  routeParseOnly(session: S, current: boolean): ParseOnlyRoute {
    if (this.take(session, true)) return 'run';
    const owner = this.current;
    if (owner === null) return 'queue';
    if (this.executing.has(owner)) {
      this.held.set(session, owner);
      return 'hold';
    }
    return current && this.ownerStatus === 'T' && !this.ownerMidBatch ? 'beside' : 'queue';
  }

  /** A batch of `session` starts on the engine (it owns it). A cancel that came before has nothing left to stop. */
  beginBatch(session: S): void {
    this.executing.add(session);
    this.cancels.delete(session);
  }

  /** The batch is now in the engine; `statementTimeoutMs` (0 = none) counts from here. */
  startRun(session: S, now: number, statementTimeoutMs: number): void {
    this.runs.set(session, { statementDeadline: deadline(now, statementTimeoutMs), stopped: false });
  }

  /** `statementTimeoutMs` of a run not yet stopped counts from `now` instead (a wait it should not pay for is over). */
  timeRun(session: S, now: number, statementTimeoutMs: number): void {
    const run = this.runs.get(session);
    if (run && !run.stopped) run.statementDeadline = deadline(now, statementTimeoutMs);
  }

  endRun(session: S): void {
    this.runs.delete(session);
    this.cancels.delete(session);
  }

  /**
   * What the batch left: the session's transaction status and whether the engine is still inside its
   * extended batch (no ReadyForQuery yet). Returns true if the session keeps the engine; if not, it calls
   * `release` once its own bookkeeping on the engine is done.
   */
  settle(session: S, status: TransactionStatus, midBatch: boolean): boolean {
    if (this.current === session) {
      this.ownerStatus = status;
      this.ownerMidBatch = midBatch;
    }
    return status !== 'I' || midBatch;
  }

  /**
   * The owner's batch is in the engine and cannot leave it in a transaction or an unfinished batch: the
   * owner lets go before its output is back, now if someone waits (the first in line gets the engine if it
   * may queue behind), else when a batch that may queue behind asks for it (`take`). The batch stays
   * `executing` (cancel, statement_timeout) until `endBatch`.
   */
  detach(session: S): SchedulerEffect<S>[] {
    if (this.current !== session) return [];
    if (this.waiters.length === 0) {
      this.ownerDetachable = true;
      return [];
    }
    this.detached.add(session);
    this.current = null;
    return this.grantNext();
  }

  /** A detached batch of `session` was dropped unrun (the engine restarted): it leaves the engine's count and must queue again. */
  undetach(session: S): SchedulerEffect<S>[] {
    if (!this.detached.delete(session) || this.current !== null) return [];
    return this.grantNext();
  }

  /** The batch and its bookkeeping are over: parse-only batches that waited for it decide again. */
  endBatch(session: S): SchedulerEffect<S>[] {
    if (this.current === session) this.ownerDetachable = false;
    this.executing.delete(session);
    this.cancels.delete(session);
    const effects: SchedulerEffect<S>[] = this.detached.delete(session) && this.current === null ? this.grantNext() : [];
    for (const [waiting, on] of this.held) {
      if (on !== session) continue;
      this.held.delete(waiting);
      effects.push({ kind: 'retry', session: waiting });
    }
    return effects;
  }

  /** Gives up the engine (nothing if `session` is not the owner) and hands it to the next in line. */
  release(session: S): SchedulerEffect<S>[] {
    if (this.current !== session) return [];
    this.current = null;
    this.ownerDetachable = false;
    return this.grantNext();
  }

  /** CancelRequest: a waiting batch leaves the line; a batch on the engine gets CANCEL_GRACE_MS to end. */
  cancel(session: S, now: number): SchedulerEffect<S>[] {
    const refused = this.leaveLine(session, 'canceled');
    if (refused.length > 0) return refused;
    if (this.executing.has(session) && !this.cancels.has(session)) this.cancels.set(session, now + CANCEL_GRACE_MS);
    return [];
  }

  /** The session is gone: out of the line and of any hold. Its batch in the engine (if any) runs on. */
  leave(session: S): SchedulerEffect<S>[] {
    const effects = this.leaveLine(session, 'closed');
    if (this.held.delete(session)) effects.push({ kind: 'refuse', session, reason: 'closed', holder: this.current });
    return effects;
  }

  /** The earliest time at which `tick` has something to do, or null. */
  nextDeadline(): number | null {
    let next = Infinity;
    for (const w of this.waiters) next = Math.min(next, w.statementDeadline ?? Infinity, w.lockDeadline ?? Infinity);
    for (const run of this.runs.values()) if (!run.stopped) next = Math.min(next, run.statementDeadline ?? Infinity);
    for (const at of this.cancels.values()) next = Math.min(next, at);
    return next === Infinity ? null : next;
  }

  /** Everything due by `now`, in the order it fell due. */
  tick(now: number): SchedulerEffect<S>[] {
    const due: { at: number; apply: () => SchedulerEffect<S>[] }[] = [];
    for (const w of this.waiters) {
      // A tie goes to statement_timeout, the wait's own limit.
      const statement = w.statementDeadline ?? Infinity;
      const lock = w.lockDeadline ?? Infinity;
      const at = Math.min(statement, lock);
      if (at <= now) due.push({ at, apply: () => this.leaveLine(w.session, statement <= lock ? 'statement-timeout' : 'lock-wait') });
    }
    for (const [session, at] of this.cancels) {
      if (at <= now) due.push({ at, apply: () => this.stop(session, 'canceled', true) });
    }
    for (const [session, run] of this.runs) {
      const at = run.statementDeadline ?? Infinity;
      if (!run.stopped && at <= now) due.push({ at, apply: () => this.stop(session, 'statement-timeout', false) });
    }
    return due.sort((a, b) => a.at - b.at).flatMap((d) => d.apply());
  }

  /** A free engine goes to the first in line, unless it cannot queue behind detached batches still in the engine. */
  private grantNext(): SchedulerEffect<S>[] {
    const next = this.waiters[0];
    if (!next || (this.detached.size > 0 && !next.behind)) return [];
    this.waiters.shift();
    this.own(next.session);
    return [{ kind: 'grant', session: next.session }];
  }

  private own(session: S): void {
    this.current = session;
    this.ownerDetachable = false;
    this.ownerStatus = 'I';
    this.ownerMidBatch = false;
  }

  private leaveLine(session: S, reason: WaitEnd): SchedulerEffect<S>[] {
    const index = this.waiters.findIndex((w) => w.session === session);
    if (index < 0) return [];
    this.waiters.splice(index, 1);
    return [{ kind: 'refuse', session, reason, holder: this.current }];
  }

  /** A cancel's grace period ended, or a run's statement_timeout passed. A cancel is spent either way. */
  private stop(session: S, reason: Interruption, fromCancel: boolean): SchedulerEffect<S>[] {
    if (fromCancel) this.cancels.delete(session);
    const run = this.runs.get(session);
    if (!run || run.stopped) return [];
    run.stopped = true;
    return [{ kind: 'interrupt', session, reason }];
  }
}

const NO_LIMITS: WaitLimits = { statementTimeoutMs: 0, lockWaitTimeoutMs: 0 };

/** When a limit of `ms` (0 = none) that starts at `now` runs out, or null. */
function deadline(now: number, ms: number): number | null {
  return ms > 0 ? now + ms : null;
}
