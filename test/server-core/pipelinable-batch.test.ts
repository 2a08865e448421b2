import { describe, expect, it } from 'vitest';
import { autocommitOnly, hasNoEffects, PendingBatch } from '../../src/server/pending-batch.js';
import { SessionStatements } from '../../src/server/session-statements.js';
import { rewriteQueryText, type RewriteContext } from '../../src/server/statement-rewrite.js';
import { concatBytes, cstring, DESCRIBE_TARGET, frame, FRONTEND, int32, queryMessage, SYNC_MESSAGE } from '../../src/server/wire-messages.js';

/**
 * Which batches may be pipelined (handed on to the next client as soon as they are sent): only those that
 * provably end with the engine idle and change no session state. Everything else must answer false.
 */
const parse = (name: string, sql: string) => frame(FRONTEND.Parse, concatBytes([cstring(name), cstring(sql), new Uint8Array(2)]));
const bind = (portal: string, statement: string) => frame(FRONTEND.Bind, concatBytes([cstring(portal), cstring(statement), new Uint8Array(6)]));
const execute = (portal: string) => frame(FRONTEND.Execute, concatBytes([cstring(portal), int32(0)]));
const closeStatement = (name: string) => frame(FRONTEND.Close, concatBytes([new Uint8Array([DESCRIBE_TARGET.Statement]), cstring(name)]));
const FLUSH = frame(FRONTEND.Flush, new Uint8Array(0));
const FUNCTION_CALL = frame(FRONTEND.FunctionCall, concatBytes([int32(1), new Uint8Array(8)]));

function session() {
  const statements = new SessionStatements(7, 0);
  const context: RewriteContext = {
    namePrefix: statements.prefix, statementNames: statements.names, hasNeighbours: () => true, backendPid: 7, livePids: () => [7], activity: () => [],
  };
  const pending = new PendingBatch(statements, context);
  return {
    query(sql: string) {
      const rewrite = rewriteQueryText(sql, context);
      pending.addQuery(queryMessage(rewrite.sql), rewrite.effects, rewrite.sql);
      return pending.take('query').pipelinable;
    },
    extended(messages: Uint8Array[], terminator: Uint8Array = SYNC_MESSAGE) {
      for (const m of messages) pending.addExtended(m);
      return pending.take(terminator === FLUSH ? 'flush' : 'sync', [terminator]).pipelinable;
    },
  };
}

describe('autocommitOnly', () => {
  it.each([
    ['SELECT abalance FROM pgbench_accounts WHERE aid = 5;', true],
    ['select 1', true],
    ['  insert into t values (1) returning *', true],
    ['update t set v = 1', true],
    ['delete from t', true],
    ['with x as (delete from t returning *) select * from x', true],
    ['values (1)', true],
    ['table t', true],
    ['select 1; select 2;', true],
    ["select ';begin'", true],
    ['select 1; begin', false],
    ['begin', false],
    ['BEGIN; select 1; commit', false],
    ['start transaction', false],
    ['commit', false],
    ['rollback', false],
    ['savepoint s', false],
    ['end', false],
    ['abort', false],
    ['prepare transaction \'x\'', false],
    ['call p()', false],
    ['do $$begin end$$', false],
    ['copy t to stdout', false],
    ['declare c cursor for select 1', false],
    ['/* leading comment */ select 1', false],
    ['-- comment\nselect 1', false],
    ['"select" 1', false],
    ['', false],
    [';', false],
  ])('%j → %s', (sql, expected) => {
    expect(autocommitOnly(sql)).toBe(expected);
  });
});

describe('hasNoEffects', () => {
  it('is false for any tracked effect, whatever its kind', () => {
    const none = { settings: false, prepared: [], deallocated: [], listen: [], unlisten: [], copyFromStdin: false };
    expect(hasNoEffects(none)).toBe(true);
    expect(hasNoEffects({ ...none, settings: true })).toBe(false);
    expect(hasNoEffects({ ...none, listen: ['c'] })).toBe(false);
    expect(hasNoEffects({ ...none, extensionFiles: true })).toBe(false);
    expect(hasNoEffects({ ...none, future: 1 } as never)).toBe(false);
  });
});

describe('Batch.pipelinable', () => {
  it.each([
    ['a plain SELECT', 'SELECT abalance FROM pgbench_accounts WHERE aid = 5;', true],
    ['an INSERT with OFFSET-like words that the rewrite looks at', 'select * from t offset 5', true],
    ['BEGIN', 'begin', false],
    ['a SELECT followed by BEGIN', 'select 1; begin', false],
    ['SET', 'set search_path = x', false],
    ['set_config in a SELECT', "select set_config('search_path', 'x', false)", false],
    ['LISTEN', 'listen c', false],
    ['a SELECT naming an extension', 'select * from pg_extension', false],
    ['SQL EXECUTE of a prepared statement', 'execute s(1)', false],
    ['COPY TO', 'copy t to stdout', false],
  ])('a Query: %s', (_name, sql, expected) => {
    expect(session().query(sql)).toBe(expected);
  });

  it('an extended batch of autocommit statements ending with Sync, not with Flush or a FunctionCall', () => {
    const s = session();
    expect(s.extended([parse('', 'select $1::int'), bind('', ''), execute('')])).toBe(true);
    expect(s.extended([parse('', 'select 1'), bind('', ''), execute('')], FLUSH)).toBe(false);
    expect(s.extended([], FUNCTION_CALL)).toBe(false);
    expect(s.extended([parse('', 'begin'), bind('', ''), execute('')])).toBe(false);
    expect(s.extended([])).toBe(false);
  });

  it('a Bind of a named statement is pipelined only if that statement was an autocommit one', () => {
    const s = session();
    expect(s.extended([parse('sel', 'select 1')])).toBe(true);
    expect(s.extended([parse('tx', 'commit')])).toBe(false);
    expect(s.extended([bind('', 'sel'), execute('')])).toBe(true);
    expect(s.extended([bind('', 'tx'), execute('')])).toBe(false);
    expect(s.extended([bind('', 'unknown'), execute('')])).toBe(false);
    // A name parsed again with other SQL, or closed, loses it.
    expect(s.extended([parse('sel', 'rollback')])).toBe(false);
    expect(s.extended([bind('', 'sel'), execute('')])).toBe(false);
    expect(s.extended([parse('again', 'select 2'), closeStatement('again')])).toBe(true);
    expect(s.extended([bind('', 'again'), execute('')])).toBe(false);
  });

  it('a Bind of the unnamed statement from an earlier batch follows that Parse', () => {
    const s = session();
    expect(s.extended([parse('', 'select 1')])).toBe(true);
    expect(s.extended([bind('', ''), execute('')])).toBe(true);
    expect(s.extended([parse('', 'begin')])).toBe(false);
    expect(s.extended([bind('', ''), execute('')])).toBe(false);
  });
});
