/**
 * Splits a client's byte stream into protocol messages (type byte + int32 length + body). Frames that lie
 * inside one socket chunk are returned as views (Node never reuses a chunk's memory); only frames that
 * span chunks are copied together.
 */
export class FrameLengthError extends Error {}

/** Postgres refuses messages over 1 GB; a larger length is garbage. */
const MAX_FRAME = 1 << 30;

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
      data = new Uint8Array(this.pendingLength + chunk.length);
      let offset = 0;
      for (const part of this.pending) {
        data.set(part, offset);
        offset += part.length;
      }
      this.pending = [];
      this.pendingLength = 0;
    }
    const frames: Uint8Array[] = [];
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    while (offset + 5 <= data.length) {
      const length = view.getInt32(offset + 1);
      if (length < 4 || length > MAX_FRAME) throw new FrameLengthError(`invalid message length ${length}`);
      if (offset + 1 + length > data.length) break;
      frames.push(data.subarray(offset, offset + 1 + length));
      offset += 1 + length;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      if (rest.length >= 5) {
        const length = view.getInt32(offset + 1);
        if (length < 4 || length > MAX_FRAME) throw new FrameLengthError(`invalid message length ${length}`);
      }
      this.pending = [rest];
      this.pendingLength = rest.length;
    }
    return frames;
  }

  private neededLength(): number | null {
    const first = this.pending[0]!;
    if (first.length < 5) return null;
    return 1 + new DataView(first.buffer, first.byteOffset, first.byteLength).getInt32(1);
  }
}
