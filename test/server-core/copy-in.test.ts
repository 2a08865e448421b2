import { describe, expect, it } from 'vitest';
import { CopyInBuffer, withoutCsvEndMarker } from '../../src/server/copy-in.js';
import { concatBytes, copyFailMessage, frame, FRONTEND, queryMessage, SYNC_MESSAGE } from '../../src/server/wire-messages.js';

const data = (text: string) => frame(FRONTEND.CopyData, new TextEncoder().encode(text));
const text = (messages: Uint8Array[]) => messages.map((m) => new TextDecoder().decode(m.subarray(5))).join('');
const COPY_DONE = frame(FRONTEND.CopyDone, new Uint8Array(0));

describe('withoutCsvEndMarker', () => {
  it.each([
    // [CopyData payloads, data sent on]
    [['1,a\n2,b\n\\.\n'], '1,a\n2,b\n'],
    [['1,a\r\n\\.\r\n'], '1,a\r\n'],
    [['1,a\n\\.'], '1,a\n'],
    [['\\.\n'], ''],
    [['1,a\n', '\\.\n'], '1,a\n'],
    [['1,a\n\\', '.', '\n'], '1,a\n'],
    [['1,a\r\\.\r\n'], '1,a\r'],
    // Not a final line of its own: data, as Postgres 18 reads it.
    [['1,a\n\\.\n2,b\n'], '1,a\n\\.\n2,b\n'],
    [['1,a\nx\\.\n'], '1,a\nx\\.\n'],
    [['1,"a\\.\n'], '1,"a\\.\n'],
    [['1,a\n\\.\n\n'], '1,a\n\\.\n\n'],
    [[], ''],
  ])('%j → %j', (payloads, expected) => {
    expect(text(withoutCsvEndMarker(payloads.map(data)))).toBe(expected);
  });

  it('returns the same messages when there is nothing to drop', () => {
    const messages = [data('1,a\n')];
    expect(withoutCsvEndMarker(messages)).toBe(messages);
  });
});

describe('CopyInBuffer', () => {
  const query = queryMessage('copy t from stdin');

  it('holds the data until CopyDone, ignoring Flush and Sync', () => {
    const copy = new CopyInBuffer(query, false);
    expect(copy.receive(data('1\n'))).toBeNull();
    expect(copy.receive(SYNC_MESSAGE)).toBeNull();
    expect(copy.receive(data('\\.\n'))).toBeNull();
    // Text format: the server itself takes \. as the end, so the data goes on untouched.
    expect(copy.receive(COPY_DONE)).toEqual([query, data('1\n'), data('\\.\n'), COPY_DONE]);
  });

  it('drops a final \\. line in CSV mode', () => {
    const copy = new CopyInBuffer(query, true);
    copy.receive(data('1,a\n\\.\n'));
    expect(copy.receive(COPY_DONE)).toEqual([query, data('1,a\n'), COPY_DONE]);
  });

  it.each([
    ['the client\'s CopyFail', copyFailMessage('stop'), copyFailMessage('stop')],
    ['another message type', queryMessage('select 1'), copyFailMessage('unexpected message type 0x51 during COPY from stdin')],
  ])('ends with the query and a CopyFail on %s', (_name, message, fail) => {
    const copy = new CopyInBuffer(query, false);
    copy.receive(data('1\n'));
    expect(copy.receive(message)).toEqual([query, fail]);
  });

  it('refuses data over its limit', () => {
    const copy = new CopyInBuffer(query, false, 20);
    expect(copy.receive(data('0123456789'))).toBeNull();
    const end = copy.receive(data('0123456789'));
    expect(end?.[0]).toBe(query);
    expect(text(end!.slice(1))).toMatch(/exceeds ppg-dev's limit of 20 bytes/);
    expect(concatBytes(end!).length).toBeGreaterThan(query.length);
  });
});
