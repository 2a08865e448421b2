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

  /** Takes the engine if it is free (and nobody waits) or already `session`'s; never queues. */
  take(session: S): boolean {
    if (this.current === session) return true;
    if (this.current !== null || this.waiters.length > 0) return false;
    this.own(session);
    return true;
  }

  /** Puts `session` in line (after `take` failed); it gets a `grant` or a `refuse`. */
  enqueue(session: S, now: number, limits: WaitLimits = NO_LIMITS): void {
    this.waiters.push({
      session,
      statementDeadline: limits.statementTimeoutMs > 0 ? now + limits.statementTimeoutMs : null,
      lockDeadline: limits.lockWaitTimeoutMs > 0 ? now + limits.lockWaitTimeoutMs : null,
    });
  }

  /**
   * Where a parse-only batch goes: `run` (the engine was free or ours, and is ours now), `hold` (the owner's
   * batch is in flight: wait for its `retry`), `beside` (run inside the owner's idle transaction now) or
   * `queue` (wait in line like any batch). `current`: the session's prepared statements are those of the
   * running engine (not from before a restart) and the engine is alive.
   */
  routeParseOnly(session: S, current: boolean): ParseOnlyRoute {
    if (this.take(session)) return 'run';
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
    this.runs.set(session, { statementDeadline: statementTimeoutMs > 0 ? now + statementTimeoutMs : null, stopped: false });
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

  /** The batch and its bookkeeping are over: parse-only batches that waited for it decide again. */
  endBatch(session: S): SchedulerEffect<S>[] {
    this.executing.delete(session);
    this.cancels.delete(session);
    const effects: SchedulerEffect<S>[] = [];
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
    const next = this.waiters.shift();
    if (!next) {
      this.current = null;
      return [];
    }
    this.own(next.session);
    return [{ kind: 'grant', session: next.session }];
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

  private own(session: S): void {
    this.current = session;
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
