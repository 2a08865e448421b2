import { SessionScheduler, type SchedulerEffect, type WaitEnd, type WaitLimits } from './session-scheduler.js';
import type { ErrorFields, TransactionStatus } from './wire-messages.js';

/**
 * Runs one engine's SessionScheduler (session-scheduler.ts, the rules) against the clock: it feeds the
 * machine the time, keeps one timer for its next deadline, turns its effects into settled promises for the
 * sessions, and stops a running batch through the engine's `interrupt`.
 */
export const CANCELED_BY_USER: ErrorFields = { severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' };
export const STATEMENT_TIMEOUT: ErrorFields = { severity: 'ERROR', code: '57014', message: 'canceling statement due to statement timeout' };

/** How a wait for the engine ended: granted, or not (with who held the engine meanwhile). */
export type WaitOutcome<S> = { granted: true } | { granted: false; reason: WaitEnd; holder: S | null };

/** Who a lock-wait error names. */
export interface Holder {
  readonly pid: number;
  readonly applicationName: string;
}

/** The error a client gets for a batch that left the line unrun (null: the client is gone, nobody to tell). */
export function waitEndError(outcome: { reason: WaitEnd; holder: Holder | null }, lockWaitTimeoutMs: number): ErrorFields | null {
  switch (outcome.reason) {
    case 'canceled':
      return CANCELED_BY_USER;
    case 'statement-timeout':
      return STATEMENT_TIMEOUT;
    case 'lock-wait': {
      const holder = outcome.holder;
      return {
        severity: 'ERROR', code: '55P03',
        message: `canceling statement: the database was held for ${lockWaitTimeoutMs} ms by another connection's open transaction`,
        hint: `ppg-dev runs one transaction at a time; commit or roll back the transaction of ${holder ? `"${holder.applicationName}" (pid ${holder.pid})` : 'the other connection'}`,
      };
    }
    case 'closed':
      return null;
  }
}

export class EngineScheduler<S> {
  private readonly machine = new SessionScheduler<S>();
  private readonly waits = new Map<S, (outcome: WaitOutcome<S>) => void>();
  private readonly holds = new Map<S, (retry: boolean) => void>();
  private readonly batchEnds = new Map<S, (() => void)[]>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly now: () => number;
  private readonly stopLikely: () => void;
  private readonly runEnded: (session: S) => void;

  /**
   * `interrupt` stops `session`'s batch in the engine (Engine.interrupt). Hooks: `now` is the clock (ms,
   * monotonic), replaceable in tests; `stopLikely`: a cancel has given a running batch its grace, a stop may
   * follow (Engine.prepareRestart); `runEnded`: a session's run is over, a stop aimed at it is spent.
   */
  constructor(
    private readonly interrupt: (fields: ErrorFields, session: S) => void,
    hooks: { now?: () => number; stopLikely?: () => void; runEnded?: (session: S) => void } = {},
  ) {
    this.now = hooks.now ?? (() => performance.now());
    this.stopLikely = hooks.stopLikely ?? (() => undefined);
    this.runEnded = hooks.runEnded ?? (() => undefined);
  }

  get owner(): S | null {
    return this.machine.owner;
  }

  get waiting(): number {
    return this.machine.waiting;
  }

  /** Detached (pipelined) batches still in the engine. */
  get inFlight(): number {
    return this.machine.inFlight;
  }

  /** A batch of `session` is on the engine or being wrapped up (beginBatch … endBatch). */
  isExecuting(session: S): boolean {
    return this.machine.isExecuting(session);
  }

  /** A batch of `session` is in the engine now. */
  isRunning(session: S): boolean {
    return this.machine.isRunning(session);
  }

  /** See SessionScheduler.take; `behind`: the caller sends its batch again if the engine restarts under it. */
  take(session: S, behind = false): boolean {
    return this.machine.take(session, behind);
  }

  /** Takes the engine, waiting in line if need be (within `limits`); see WaitOutcome. `behind` as for `take`. */
  acquire(session: S, limits?: WaitLimits, behind = false): Promise<WaitOutcome<S>> {
    if (this.machine.take(session, behind)) return Promise.resolve({ granted: true });
    return new Promise((resolve) => {
      this.waits.set(session, resolve);
      this.machine.enqueue(session, this.now(), limits, behind);
      this.rearm();
    });
  }

  /** The owner's batch is sent and cannot leave a transaction open: the next in line may send its own (SessionScheduler.detach). */
  detach(session: S): void {
    this.apply(this.machine.detach(session));
  }

  /** A detached batch the engine dropped unrun at a restart: queue again (as the batch runner, `behind`). */
  requeue(session: S, limits?: WaitLimits): Promise<WaitOutcome<S>> {
    this.apply(this.machine.undetach(session));
    return this.acquire(session, limits, true);
  }

  /**
   * Where a parse-only batch runs (see SessionScheduler.routeParseOnly), after waiting out the batches in
   * flight; 'closed' if the session left meanwhile. `current` is asked at each decision.
   */
  async routeParseOnly(session: S, current: () => boolean): Promise<'run' | 'beside' | 'queue' | 'closed'> {
    for (;;) {
      const route = this.machine.routeParseOnly(session, current());
      if (route !== 'hold') return route;
      const retry = await new Promise<boolean>((resolve) => this.holds.set(session, resolve));
      if (!retry) return 'closed';
    }
  }

  beginBatch(session: S): void {
    this.machine.beginBatch(session);
  }

  startRun(session: S, statementTimeoutMs: number): void {
    this.machine.startRun(session, this.now(), statementTimeoutMs);
    this.rearm();
  }

  /** See SessionScheduler.timeRun. */
  timeRun(session: S, statementTimeoutMs: number): void {
    this.machine.timeRun(session, this.now(), statementTimeoutMs);
    this.rearm();
  }

  endRun(session: S): void {
    this.machine.endRun(session);
    this.runEnded(session);
    this.rearm();
  }

  /** See SessionScheduler.settle: true if the session keeps the engine. */
  settle(session: S, status: TransactionStatus, midBatch: boolean): boolean {
    return this.machine.settle(session, status, midBatch);
  }

  endBatch(session: S): void {
    this.apply(this.machine.endBatch(session));
    const ends = this.batchEnds.get(session);
    this.batchEnds.delete(session);
    for (const resolve of ends ?? []) resolve();
  }

  /** Resolves when no batch of `session` is on the engine or being wrapped up. */
  whenBatchDone(session: S): Promise<void> {
    if (!this.machine.isExecuting(session)) return Promise.resolve();
    return new Promise((resolve) => {
      const ends = this.batchEnds.get(session) ?? [];
      ends.push(resolve);
      this.batchEnds.set(session, ends);
    });
  }

  release(session: S): void {
    this.apply(this.machine.release(session));
  }

  cancel(session: S): void {
    if (this.machine.isRunning(session)) this.stopLikely();
    this.apply(this.machine.cancel(session, this.now()));
  }

  leave(session: S): void {
    this.apply(this.machine.leave(session));
  }

  private apply(effects: SchedulerEffect<S>[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'grant':
        case 'refuse': {
          const settle = this.waits.get(effect.session);
          const hold = this.holds.get(effect.session);
          if (settle) {
            this.waits.delete(effect.session);
            settle(effect.kind === 'grant' ? { granted: true } : { granted: false, reason: effect.reason, holder: effect.holder });
          } else if (hold) {
            this.holds.delete(effect.session);
            hold(false);
          }
          break;
        }
        case 'retry': {
          const hold = this.holds.get(effect.session);
          this.holds.delete(effect.session);
          hold?.(true);
          break;
        }
        case 'interrupt':
          this.interrupt(effect.reason === 'canceled' ? CANCELED_BY_USER : STATEMENT_TIMEOUT, effect.session);
          break;
      }
    }
    this.rearm();
  }

  /** One timer, for the machine's next deadline. */
  private rearm(): void {
    const next = this.machine.nextDeadline() ?? Infinity;
    if (next === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.apply(this.machine.tick(this.now()));
    }, Math.max(0, Math.ceil(next - this.now())));
    this.timer.unref();
  }
}
