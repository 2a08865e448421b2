/**
 * The session scheduler's state machine: one owner of the engine at a time, the rest wait in FIFO order.
 * The owner keeps the engine across batches while it is inside a transaction (the caller decides when to
 * release). Hand-off is immediate: `release` makes the next waiter the owner before anyone else can
 * `tryAcquire`, so a releasing client that wants the engine again goes to the back of the line.
 */
export class WaitAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super('wait for the engine aborted');
  }
}

interface Waiter<S> {
  session: S;
  resolve: () => void;
  reject: (error: WaitAbortedError) => void;
}

export class EngineQueue<S> {
  private current: S | null = null;
  private readonly waiters: Waiter<S>[] = [];

  get owner(): S | null {
    return this.current;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  isWaiting(session: S): boolean {
    return this.waiters.some((w) => w.session === session);
  }

  /** Takes the engine at once if it is free or already ours; never queues. */
  tryAcquire(session: S): boolean {
    if (this.current === session) return true;
    if (this.current === null && this.waiters.length === 0) {
      this.current = session;
      return true;
    }
    return false;
  }

  /** Resolves once `session` owns the engine; rejects with WaitAbortedError if `abort` is called first. */
  acquire(session: S): Promise<void> {
    if (this.tryAcquire(session)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ session, resolve, reject });
    });
  }

  /** Gives up ownership (no-op if `session` is not the owner) and hands the engine to the next waiter. */
  release(session: S): void {
    if (this.current !== session) return;
    const next = this.waiters.shift();
    this.current = next ? next.session : null;
    next?.resolve();
  }

  /** Removes a waiting session from the line. Returns false if it was not waiting. */
  abort(session: S, reason: unknown): boolean {
    const index = this.waiters.findIndex((w) => w.session === session);
    if (index < 0) return false;
    const [waiter] = this.waiters.splice(index, 1);
    waiter!.reject(new WaitAbortedError(reason));
    return true;
  }
}
