import type { TransactionStatus } from './wire-messages.js';

/**
 * Streams PGlite's output for one batch to the client as it is produced, frame-aligned, so a large result
 * never sits whole in memory. Frames of the types in `special` go through `hook` (which may replace or
 * drop them); all others pass untouched. What is kept is copied, so a caller may reuse its chunk buffer.
 */
export type FrameHook = (type: number, frame: Uint8Array) => Uint8Array | null;

const FLUSH_BYTES = 256 * 1024;
const Z = 0x5a;
const E = 0x45;
const PARSE_COMPLETE = 0x31;
const CLOSE_COMPLETE = 0x33;

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
    let data = chunk;
    if (this.carry) {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry);
      data.set(chunk, this.carry.length);
      this.carry = null;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    let runStart = 0;
    while (offset + 5 <= data.length) {
      const end = offset + 1 + view.getInt32(offset + 1);
      if (end > data.length) break;
      const type = data[offset]!;
      if (type === Z) this.status = String.fromCharCode(data[offset + 5]!) as TransactionStatus;
      else if (type === E) this.hasError = true;
      else if (type === PARSE_COMPLETE) this.parseCompletes++;
      else if (type === CLOSE_COMPLETE) this.closeCompletes++;
      if (this.special.has(type)) {
        this.keep(data, runStart, offset);
        const replacement = this.hook(type, data.subarray(offset, end));
        if (replacement) this.keep(replacement, 0, replacement.length);
        runStart = end;
      }
      offset = end;
    }
    this.keep(data, runStart, offset);
    if (offset < data.length) this.carry = data.slice(offset);
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
    let out: Uint8Array;
    if (this.pieces.length === 1) out = this.pieces[0]!;
    else {
      out = new Uint8Array(this.size);
      let offset = 0;
      for (const piece of this.pieces) {
        out.set(piece, offset);
        offset += piece.length;
      }
    }
    this.pieces = [];
    this.size = 0;
    this.sink(out);
  }
}
