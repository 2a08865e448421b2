import { describe, expect, it } from 'vitest';
import { PendingBatch } from '../../src/server/pending-batch.js';
import { isParseOnly } from '../../src/server/parse-beside.js';
import { SessionStatements, type StatementChange } from '../../src/server/session-statements.js';
import { concatBytes, cstring, DESCRIBE_TARGET, errorResponse, frame, FRONTEND, int32, readCString, SYNC_MESSAGE } from '../../src/server/wire-messages.js';

const parse = (name: string, sql: string) => frame(FRONTEND.Parse, concatBytes([cstring(name), cstring(sql), new Uint8Array(2)]));
const bind = (portal: string, statement: string) => frame(FRONTEND.Bind, concatBytes([cstring(portal), cstring(statement), new Uint8Array(6)]));
const describeOf = (kind: number, name: string) => frame(FRONTEND.Describe, concatBytes([new Uint8Array([kind]), cstring(name)]));
const close = (kind: number, name: string) => frame(FRONTEND.Close, concatBytes([new Uint8Array([kind]), cstring(name)]));
const execute = (portal: string) => frame(FRONTEND.Execute, concatBytes([cstring(portal), int32(0)]));
/** The names in a message, as the engine gets them. */
const names = (f: Uint8Array) => {
  const offset = f[0] === FRONTEND.Describe || f[0] === FRONTEND.Close ? 6 : 5;
  const first = readCString(f, offset);
  return f[0] === FRONTEND.Bind ? [first.value, readCString(f, first.next).value] : [first.value];
};

describe('SessionStatements.record', () => {
  const p = (name: string): StatementChange => ({ op: 'parse', name, parse: parse(name, 'select 1') });
  const c = (name: string): StatementChange => ({ op: 'close', name });
  it.each([
    ['every change the engine carried out', [p('x_a'), p('x_b'), c('x_a')], 2, 1, ['x_b']],
    ['a failed Parse leaves no name, nor the ones after it', [p('x_a'), p('x_bad'), p('x_c')], 1, 0, ['x_a']],
    ['a Close skipped after an error leaves the statement', [p('x_a'), p('x_bad'), c('x_a')], 1, 0, ['x_a']],
    ['unnamed statements and portals have no name to keep', [p(''), c(''), p('x_a')], 2, 1, ['x_a']],
    ['nothing ran', [p('x_a')], 0, 0, []],
  ])('%s', (_name, changes, parsed, closed, expected) => {
    const statements = new SessionStatements(7, 0);
    statements.record(changes, parsed, closed);
    expect([...statements.names]).toEqual(expected);
  });

  it('gives back the Parses a restart lost, once per generation', () => {
    const statements = new SessionStatements(7, 0);
    statements.record([{ op: 'parse', name: 'ppg7_a', parse: parse('ppg7_a', 'select 1') }], 1, 0);
    expect(statements.isCurrent(1)).toBe(false);
    expect(statements.restoreMessages(1)).toEqual(concatBytes([parse('ppg7_a', 'select 1'), SYNC_MESSAGE]));
    expect(statements.isCurrent(1)).toBe(true);
  });

  it('shows the client its own names in errors', () => {
    const statements = new SessionStatements(7, 0);
    const error = errorResponse({ severity: 'ERROR', code: '26000', message: 'prepared statement "ppg7_s1" does not exist' });
    expect(statements.clientText(error)).toEqual(errorResponse({ severity: 'ERROR', code: '26000', message: 'prepared statement "s1" does not exist' }));
  });
});

describe('PendingBatch', () => {
  const gather = (...messages: Uint8Array[]) => {
    const statements = new SessionStatements(7, 0);
    const batch = new PendingBatch(statements, { namePrefix: statements.prefix, statementNames: statements.names, hasNeighbours: () => false, backendPid: 7, livePids: () => [7], activity: () => [] });
    for (const m of messages) batch.addExtended(m);
    return { statements, taken: batch.take('sync', [SYNC_MESSAGE]) };
  };

  it('gives statement and portal names the client\'s prefix and leaves unnamed ones alone', () => {
    const { taken, statements } = gather(parse('s1', 'select 1'), bind('p1', 's1'), describeOf(DESCRIBE_TARGET.Portal, 'p1'), execute('p1'), close(DESCRIBE_TARGET.Statement, 's1'), bind('', ''), execute(''));
    expect(taken.parts.slice(0, -1).map(names)).toEqual([['ppg7_s1'], ['ppg7_p1', 'ppg7_s1'], ['ppg7_p1'], ['ppg7_p1'], ['ppg7_s1'], ['', ''], ['']]);
    expect(taken.changes.map((c) => `${c.op} ${c.name}`)).toEqual(['parse ppg7_s1', 'close ppg7_s1']);
    expect(statements.used).toBe(true);
    expect(taken.usesUnnamed).toBe(true);
  });

  it('a batch that parses its unnamed statement before using it does not need the old one', () => {
    const { taken } = gather(parse('', 'select 1'), bind('', ''), execute(''));
    expect(taken.usesUnnamed).toBe(false);
    expect(taken.parsesUnnamed).toEqual(parse('', 'select 1'));
  });

  it('a COPY FROM STDIN Parse becomes a statement that fails with 0A000', () => {
    const { taken } = gather(parse('', 'copy t from stdin'));
    expect(readCString(taken.parts[0]!, 6).value).toMatch(/RAISE EXCEPTION .*COPY FROM STDIN over the extended query protocol/);
  });

  it.each([
    [[parse('a', 'select 1'), describeOf(DESCRIBE_TARGET.Statement, 'a'), SYNC_MESSAGE], true],
    [[parse('a', 'select 1'), close(DESCRIBE_TARGET.Statement, 'a'), SYNC_MESSAGE], true],
    [[parse('a', 'select 1'), bind('', 'a'), SYNC_MESSAGE], false],
    [[describeOf(DESCRIBE_TARGET.Portal, 'p'), SYNC_MESSAGE], false],
  ])('isParseOnly %#', (parts, expected) => {
    expect(isParseOnly(parts)).toBe(expected);
  });
});
