import { describe, expect, it } from 'vitest';
import { splitFrames } from '../../src/server/backend-output.js';
import { rewriteBackendFunctions } from '../../src/server/backend-functions.js';
import { signalShortcut } from '../../src/server/signal-shortcut.js';
import { concatBytes, cstring, frame, FRONTEND, int32, queryMessage, SYNC_MESSAGE } from '../../src/server/wire-messages.js';

const context = { backendPid: 7, livePids: () => [7, 8, 9] };
const rewritten = (sql: string) => rewriteBackendFunctions(sql, context);

const int16 = (n: number) => new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
const parse = (sql: string, name = '') => frame(FRONTEND.Parse, concatBytes([cstring(name), cstring(rewritten(sql)), int16(0)]));
function bind(params: { text?: string; int4?: number }[], resultBinary = false, statement = ''): Uint8Array {
  const formats = params.map((p) => (p.int4 !== undefined ? 1 : 0));
  const values = params.map((p) => {
    if (p.int4 === undefined) return concatBytes([int32(Buffer.byteLength(p.text!)), Buffer.from(p.text!)]);
    return concatBytes([int32(4), int32(p.int4)]);
  });
  return frame(FRONTEND.Bind, concatBytes([
    cstring(''), cstring(statement), int16(formats.length), ...formats.map(int16), int16(params.length), ...values,
    int16(1), int16(resultBinary ? 1 : 0),
  ]));
}
const describePortal = frame(FRONTEND.Describe, concatBytes([new Uint8Array([0x50]), cstring('')]));
const describeStatement = frame(FRONTEND.Describe, concatBytes([new Uint8Array([0x53]), cstring('')]));
const execute = frame(FRONTEND.Execute, concatBytes([cstring(''), int32(0)]));

const types = (reply: Uint8Array) => splitFrames(reply).map((f) => String.fromCharCode(f.type)).join('');

describe('signalShortcut', () => {
  it.each([
    ['select pg_cancel_backend(8)', { kind: 'cancel', pid: 8, live: true }],
    ['SELECT pg_catalog.pg_terminate_backend( 9 ) AS gone;', { kind: 'terminate', pid: 9, live: true }],
    ['select pg_terminate_backend(12345)', { kind: 'terminate', pid: 12345, live: false }],
  ])('answers the simple query %j', (sql, call) => {
    const shortcut = signalShortcut([queryMessage(rewritten(sql))]);
    expect(shortcut?.call).toEqual(call);
    // RowDescription, (a WARNING for a dead pid), DataRow, CommandComplete, ReadyForQuery.
    expect(types(shortcut!.reply)).toBe(call.live ? 'TDCZ' : 'TNDCZ');
  });

  it('answers the unnamed extended form with its parameter in text or binary, as pg and postgres.js (prepare: false) send it', () => {
    const text = signalShortcut([parse('select pg_cancel_backend($1)'), bind([{ text: '8' }]), describePortal, execute, SYNC_MESSAGE]);
    expect(text?.call).toEqual({ kind: 'cancel', pid: 8, live: true });
    expect(types(text!.reply)).toBe('12TDCZ');
    const binary = signalShortcut([parse('select pg_terminate_backend($1)'), bind([{ int4: 9 }], true), execute, SYNC_MESSAGE]);
    expect(binary?.call).toEqual({ kind: 'terminate', pid: 9, live: true });
    expect(types(binary!.reply)).toBe('12DCZ');
    const described = signalShortcut([parse('select pg_terminate_backend($1)'), bind([{ text: '9' }]), describeStatement, execute, SYNC_MESSAGE]);
    expect(types(described!.reply)).toBe('12tTDCZ');
  });

  it.each([
    ['another statement', [queryMessage(rewritten('select pg_cancel_backend(8), 1'))]],
    ['two statements', [queryMessage(rewritten('select pg_cancel_backend(8); select 1'))]],
    ['a call with a timeout', [queryMessage(rewritten('select pg_terminate_backend(8, 1000)'))]],
    ['a call from a table', [queryMessage(rewritten('select pg_cancel_backend(pid) from pg_stat_activity'))]],
    ['a named statement', [parse('select pg_cancel_backend($1)', 's1'), bind([{ text: '8' }], false, 's1'), execute, SYNC_MESSAGE]],
    ['a non-integer parameter', [parse('select pg_cancel_backend($1)'), bind([{ text: 'x' }]), execute, SYNC_MESSAGE]],
    ['a batch without Sync', [parse('select pg_cancel_backend($1)'), bind([{ text: '8' }]), execute]],
    ['a plain select', [queryMessage('select 1')]],
  ])('leaves %s to the engine', (_label, parts) => {
    expect(signalShortcut(parts as Uint8Array[])).toBeNull();
  });
});
