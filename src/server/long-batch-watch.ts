/**
 * Notices a batch that has been running for a while. Only such a batch is ever stopped in practice (a
 * Ctrl-C, a statement_timeout), so the engine boots the thread that would replace it then, before a cancel
 * comes, instead of during the cancel's 100 ms grace, where the boot (0.3–0.5 s on a busy 2-core machine)
 * stays on the path of every client queued behind the stop. One timer while the engine is busy, not one
 * per batch: under load thousands of short batches pass each second.
 */
export class LongBatchWatch {
  /** Serial number of the request at the head of the engine's queue (the one running). */
  private headSerial = 0;
  /** The head seen at the last tick: still the head at the next one means it ran a whole period. */
  private seenAtTick = -1;
  private reported = -1;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly periodMs: number,
    /** Called once per head that has run at least `periodMs` (at most twice that). */
    private readonly onLong: (head: number) => void,
  ) {}

  get head(): number {
    return this.headSerial;
  }

  /** The head of the queue changed: a new request runs (`busy`), or none is left. */
  headChanged(busy: boolean): void {
    this.headSerial++;
    if (!busy) this.stop();
    else if (!this.timer) this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.seenAtTick = this.headSerial;
    this.timer = setTimeout(this.tick, this.periodMs);
    // A watch never keeps a process alive.
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.headSerial === this.seenAtTick && this.reported !== this.headSerial) {
      this.reported = this.headSerial;
      this.onLong(this.headSerial);
    }
    this.arm();
  };
}
