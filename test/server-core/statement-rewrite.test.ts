import { describe, expect, it } from 'vitest';
import { rewriteQueryText } from '../../src/server/statement-rewrite.js';
import { DISCARD_OWN_TEMP_SQL, tempSwitchSql } from '../../src/server/temp-objects.js';

const context = (names: string[] = [], neighbours = false) => ({
  namePrefix: 'ppg7_',
  statementNames: new Set(names),
  hasNeighbours: () => neighbours,
  backendPid: 7,
  livePids: () => [7, 8],
  activity: () => [],
});

describe('rewriteQueryText', () => {
  it.each([
    ['select 1', 'select 1'],
    ['PREPARE s1 AS select $1::int', 'PREPARE "ppg7_s1" AS select $1::int'],
    ['EXECUTE s1(5)', 'EXECUTE "ppg7_s1"(5)'],
    ['execute "MiXed"', 'execute "ppg7_MiXed"'],
    ['DEALLOCATE s1', 'DEALLOCATE "ppg7_s1"'],
    ["select 'prepare x'", "select 'prepare x'"],
    // Server-enforced timeouts never reach PGlite under their own name (see proxy-settings.ts).
    ["SET idle_in_transaction_session_timeout = '1s'", "SET ppg.idle_in_transaction_session_timeout = '1s'"],
    ['set local "idle_session_timeout" to 5000', 'set local ppg.idle_session_timeout to 5000'],
    ['RESET idle_in_transaction_session_timeout', 'RESET ppg.idle_in_transaction_session_timeout'],
    ['SHOW IDLE_SESSION_TIMEOUT', "SELECT pg_temp.ppg_show_duration(current_setting('ppg.idle_session_timeout')) AS idle_session_timeout"],
    ["select set_config('idle_session_timeout', '2s', false)", "select set_config('ppg.idle_session_timeout', '2s', false)"],
    ["select current_setting('idle_in_transaction_session_timeout')", "select current_setting('ppg.idle_in_transaction_session_timeout')"],
    ["SET application_name = 'idle_session_timeout'", "SET application_name = 'idle_session_timeout'"],
    ['select idle_session_timeout from t', 'select idle_session_timeout from t'],
  ])('%j → %j', (sql, expected) => {
    expect(rewriteQueryText(sql, context()).sql).toBe(expected);
  });

  it("turns DISCARD TEMP into a drop of the client's own temp objects, and flags text that mentions temp objects", () => {
    const discard = rewriteQueryText('select 1; DISCARD TEMP', context());
    expect(discard.sql).toBe(`select 1;${DISCARD_OWN_TEMP_SQL}`);
    expect(discard.effects.temp).toBe(true);
    for (const sql of ['create temp table t (x int)', 'CREATE LOCAL TEMPORARY VIEW v AS select 1', 'select * into temp t2 from t', 'create table pg_temp.x (y int)', 'select 1 from pg_temp.x']) {
      expect(rewriteQueryText(sql, context()).effects.temp, sql).toBe(true);
    }
    for (const sql of ['select temperature, tempo from weather', 'select abalance from pgbench_accounts where aid = $1', "select 'x' as contemporary"]) {
      expect(rewriteQueryText(sql, context()).effects.temp, sql).toBeUndefined();
    }
  });

  it('limits DEALLOCATE ALL to the client\'s own statements', () => {
    const result = rewriteQueryText('DEALLOCATE ALL', context(['ppg7_a', 'ppg7_b']));
    expect(result.sql).toBe('DEALLOCATE "ppg7_a"; DEALLOCATE "ppg7_b"');
    expect(result.effects.deallocated).toEqual(['ppg7_a', 'ppg7_b']);
  });

  it.each([
    ['copy t from stdin', false],
    ['copy t from stdin (format csv)', true],
    ["COPY t (a, b) FROM STDIN WITH (FORMAT 'csv', HEADER true)", true],
    ['copy t from stdin with csv header', true],
    ['copy t from stdin (format text)', false],
    ["copy t from stdin (format binary) where note = 'csv'", false],
  ])('%j reads CSV: %s', (sql, csv) => {
    const { effects } = rewriteQueryText(sql, context());
    expect(effects.copyFromStdin).toBe(true);
    expect(effects.copyCsv === true).toBe(csv);
  });

  it('records effects the server must track', () => {
    const { effects } = rewriteQueryText('LISTEN a; UNLISTEN b; SET x = 1; PREPARE p AS select 1', context());
    expect(effects).toMatchObject({ listen: ['a'], unlisten: ['b'], settings: true, prepared: ['ppg7_p'] });
  });

  it.each([
    ['copy t from stdin; select 1', '0A000'],
    ['select 1; create database x', '25001'],
  ])('refuses %j with %s', (sql, code) => {
    expect(rewriteQueryText(sql, context()).error?.code).toBe(code);
  });

  it('refuses DISCARD ALL only when other clients share the engine', () => {
    expect(rewriteQueryText('DISCARD ALL', context([], true)).error?.code).toBe('0A000');
    expect(rewriteQueryText('DISCARD ALL', context(['ppg7_a'], false)).effects).toMatchObject({ settings: true, deallocated: ['ppg7_a'], unlisten: ['*'] });
  });

  it.each([
    ['CREATE EXTENSION IF NOT EXISTS "citext"', true],
    ['begin; create extension vector with schema public cascade; commit', true],
    ['alter extension citext update', true],
    ['select name, default_version from pg_available_extensions', true],
    ['SELECT e.extname FROM pg_catalog.pg_extension e', true],
    ["load 'auto_explain'", true],
    ['select 1', undefined],
    ['select payload from jobs', undefined],
  ])('%j asks for the extension files: %s', (sql, expected) => {
    expect(rewriteQueryText(sql, context()).effects.extensionFiles).toBe(expected);
  });
});

describe('pg_backend_pid, pg_cancel_backend, pg_terminate_backend', () => {
  it.each([
    ['select pg_backend_pid()', 'select pg_temp.pg_backend_pid(7)'],
    ['SELECT pg_catalog.pg_backend_pid ( ) AS me', 'SELECT pg_temp.pg_backend_pid(7) AS me'],
    ['select pg_terminate_backend(8)', "select pg_temp.pg_terminate_backend('{7,8}'::int[], 8)"],
    ['select PG_CANCEL_BACKEND($1)', "select pg_temp.pg_cancel_backend('{7,8}'::int[], $1)"],
    ['select pg_terminate_backend(pid, 100) from t where pid <> pg_backend_pid()', "select pg_temp.pg_terminate_backend('{7,8}'::int[], pid, 100) from t where pid <> pg_temp.pg_backend_pid(7)"],
    ["select 'pg_backend_pid()' -- pg_backend_pid()", "select 'pg_backend_pid()' -- pg_backend_pid()"],
    ['create function f() returns int as $$ select pg_backend_pid() $$ language sql', 'create function f() returns int as $$ select pg_backend_pid() $$ language sql'],
    ['select my_pg_backend_pid(), pg_backend_pid', 'select my_pg_backend_pid(), pg_backend_pid'],
  ])('%j → %j', (sql, expected) => {
    expect(rewriteQueryText(sql, context()).sql).toBe(expected);
  });
});

describe('tempSwitchSql', () => {
  it.each([
    // No client of the engine uses temp objects: nothing ever runs (the cost for such clients is nil).
    [null, null, null],
    [7, 7, null],
    [7, null, 'SELECT pg_temp.ppg_temp_switch(7, NULL)'],
    [null, 8, 'SELECT pg_temp.ppg_temp_switch(NULL, 8)'],
    [7, 8, 'SELECT pg_temp.ppg_temp_switch(7, 8)'],
  ])('in place %j, next %j → %j', (current, next, expected) => {
    expect(tempSwitchSql(current, next)).toBe(expected);
  });
});
