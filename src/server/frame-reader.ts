import { concatBytes, readInt32 } from './wire-messages.js';

/**
 * Cutting bytes into protocol messages (type byte, int32 length that counts itself, body): `scanFrames` is
 * the one walk over message headers, for a client's stream (FrameReader) and for PGlite's output alike.
 */
export class FrameLengthError extends Error {}

/** Postgres refuses messages over 1 GB; a larger length is garbage. */
const MAX_FRAME = 1 << 30;

/**
 * Calls `visit(type, start, end)` for each whole message at the start of `bytes`, in order, and returns
 * where the first incomplete one begins (`bytes.length` if none). Throws FrameLengthError for a length
 * under 4 or over 1 GB, also in the header of an incomplete message: nothing after it could be framed.
 */
export function scanFrames(bytes: Uint8Array, visit: (type: number, start: number, end: number) => void): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const length = view.getInt32(offset + 1);
    if (length < 4 || length > MAX_FRAME) throw new FrameLengthError(`invalid message length ${length}`);
    const end = offset + 1 + length;
    if (end > bytes.length) break;
    visit(bytes[offset]!, offset, end);
    offset = end;
  }
  return offset;
}

/**
 * Splits a client's byte stream into messages. Messages that lie inside one socket chunk are returned as
 * views (Node never reuses a chunk's memory); only messages that span chunks are copied together.
 */
export class FrameReader {
  private pending: Uint8Array[] = [];
  private pendingLength = 0;

  /** Returns every complete frame now available. Throws FrameLengthError on an impossible length. */
  push(chunk: Uint8Array): Uint8Array[] {
    let data = chunk;
    if (this.pendingLength > 0) {
      this.pending.push(chunk);
      const needed = this.neededLength();
      if (needed !== null && this.pendingLength + chunk.length < needed) {
        this.pendingLength += chunk.length;
        return [];
      }
      data = concatBytes(this.pending);
      this.pending = [];
      this.pendingLength = 0;
    }
    const frames: Uint8Array[] = [];
    const whole = scanFrames(data, (_type, start, end) => frames.push(data.subarray(start, end)));
    if (whole < data.length) {
      this.pending = [data.subarray(whole)];
      this.pendingLength = data.length - whole;
    }
    return frames;
  }

  private neededLength(): number | null {
    const first = this.pending[0]!;
    return first.length < 5 ? null : 1 + readInt32(first, 1);
  }
}
