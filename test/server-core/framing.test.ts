import { describe, expect, it } from 'vitest';
import { BatchOutput } from '../../src/server/batch-output.js';
import { FrameLengthError, FrameReader, scanFrames } from '../../src/server/frame-reader.js';
import { BACKEND, concatBytes, frame, notificationResponse, queryMessage, readyForQuery, SYNC_MESSAGE } from '../../src/server/wire-messages.js';

const bytes = (...parts: Uint8Array[]) => concatBytes(parts);

describe('scanFrames', () => {
  const q = queryMessage('select 1');
  it.each([
    ['whole frames', bytes(q, SYNC_MESSAGE), [[0x51, 0, q.length], [0x53, q.length, q.length + 5]], q.length + 5],
    ['a frame cut short', bytes(q, SYNC_MESSAGE.subarray(0, 3)), [[0x51, 0, q.length]], q.length],
    ['a header cut short', q.subarray(0, 4), [], 0],
    ['nothing', new Uint8Array(0), [], 0],
  ])('%s', (_name, data, visited, end) => {
    const seen: number[][] = [];
    expect(scanFrames(data, (type, start, stop) => seen.push([type, start, stop]))).toBe(end);
    expect(seen).toEqual(visited);
  });

  it('rejects an impossible length, also in the header of the last, incomplete frame', () => {
    expect(() => scanFrames(bytes(q, new Uint8Array([0x51, 0, 0, 0, 0])), () => undefined)).toThrow(FrameLengthError);
  });
});

describe('FrameReader', () => {
  const q1 = queryMessage('select 1');
  const q2 = queryMessage('select 2');
  const all = bytes(q1, SYNC_MESSAGE, q2);

  it('returns whole frames from one chunk', () => {
    expect(new FrameReader().push(all)).toEqual([q1, SYNC_MESSAGE, q2]);
  });

  it.each([1, 2, 5, 7, 13, all.length - 1])('reassembles frames split every %i bytes', (step) => {
    const reader = new FrameReader();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += step) frames.push(...reader.push(all.subarray(i, i + step)));
    expect(frames).toEqual([q1, SYNC_MESSAGE, q2]);
  });

  it.each([
    ['negative', [0x51, 0xff, 0xff, 0xff, 0xff]],
    ['shorter than its header', [0x51, 0, 0, 0, 3]],
    ['over 1 GB', [0x51, 0x7f, 0, 0, 0]],
  ])('rejects a %s length', (_name, header) => {
    expect(() => new FrameReader().push(new Uint8Array(header))).toThrow(FrameLengthError);
  });
});

describe('BatchOutput', () => {
  const row = frame(BACKEND.DataRow, new Uint8Array([0, 1, 0, 0, 0, 1, 0x31]));
  const note = notificationResponse(1, 'c', 'p');
  const output = bytes(row, note, row, readyForQuery('T'));

  it.each([1, 3, 8, output.length])('streams frame-aligned output in chunks of %i', (step) => {
    const written: Uint8Array[] = [];
    const seen: number[] = [];
    const out = new BatchOutput(new Set([BACKEND.NotificationResponse]), (type, f) => {
      seen.push(type);
      return f.length > 0 ? null : f;
    }, (b) => written.push(b));
    for (let i = 0; i < output.length; i += step) out.push(output.subarray(i, i + step));
    out.end();
    expect(seen).toEqual([BACKEND.NotificationResponse]);
    expect(out.status).toBe('T');
    expect(concatBytes(written)).toEqual(bytes(row, row, readyForQuery('T')));
  });

  it('copies chunks, so a reused source buffer cannot corrupt what was kept', () => {
    const written: Uint8Array[] = [];
    const out = new BatchOutput(new Set(), (_t, f) => f, (b) => written.push(b));
    const source = row.slice();
    out.push(source);
    source.fill(0);
    out.end();
    expect(written[0]).toEqual(row);
  });
});
