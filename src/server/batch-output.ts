import { scanFrames } from './frame-reader.js';
import { BACKEND, concatBytes, type TransactionStatus } from './wire-messages.js';

/**
 * Streams PGlite's output for one batch to the client as it is produced, frame-aligned, so a large result
 * never sits whole in memory. Frames of the types in `special` go through `hook` (which may replace or
 * drop them); all others pass untouched. What is kept is copied, so a caller may reuse its chunk buffer.
 */
export type FrameHook = (type: number, frame: Uint8Array) => Uint8Array | null;

const FLUSH_BYTES = 256 * 1024;

export class BatchOutput {
  /** Status byte of the last ReadyForQuery seen, or null. */
  status: TransactionStatus | null = null;
  hasError = false;
  /** ParseComplete and CloseComplete messages seen: how many of the batch's Parses and Closes were carried out. */
  parseCompletes = 0;
  closeCompletes = 0;
  private carry: Uint8Array | null = null;
  private pieces: Uint8Array[] = [];
  private size = 0;

  constructor(
    private readonly special: ReadonlySet<number>,
    private readonly hook: FrameHook,
    private readonly sink: (bytes: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const data = this.carry ? concatBytes([this.carry, chunk]) : chunk;
    this.carry = null;
    let runStart = 0;
    const whole = scanFrames(data, (type, start, end) => {
      if (type === BACKEND.ReadyForQuery) this.status = String.fromCharCode(data[start + 5]!) as TransactionStatus;
      else if (type === BACKEND.ErrorResponse) this.hasError = true;
      else if (type === BACKEND.ParseComplete) this.parseCompletes++;
      else if (type === BACKEND.CloseComplete) this.closeCompletes++;
      if (this.special.has(type)) {
        this.keep(data, runStart, start);
        const replacement = this.hook(type, data.subarray(start, end));
        if (replacement) this.keep(replacement, 0, replacement.length);
        runStart = end;
      }
    });
    this.keep(data, runStart, whole);
    if (whole < data.length) this.carry = data.slice(whole);
    if (this.size >= FLUSH_BYTES) this.flush();
  }

  /** Writes out everything kept so far. */
  end(): void {
    if (this.carry) {
      this.keep(this.carry, 0, this.carry.length);
      this.carry = null;
    }
    this.flush();
  }

  /** Writes out every whole frame kept so far and drops a partial one (the batch was interrupted mid-frame). */
  abandon(): void {
    this.carry = null;
    this.flush();
  }

  private keep(data: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.pieces.push(data.slice(start, end));
    this.size += end - start;
  }

  private flush(): void {
    if (this.size === 0) return;
    const out = concatBytes(this.pieces);
    this.pieces = [];
    this.size = 0;
    this.sink(out);
  }
}
