import { describe, expect, it } from 'vitest';
import { classifyStatement, splitStatements } from '../../src/server/sql-statements.js';

function kinds(sql: string) {
  return splitStatements(sql).map((s) => classifyStatement(sql, s));
}

describe('splitStatements', () => {
  it.each([
    ['select 1', 1],
    ['select 1; select 2', 2],
    ['select 1;', 1],
    ["select ';'; select 2", 2],
    ['select $$a;b$$; select 2', 2],
    ['select $tag$ ; $$ ; $tag$', 1],
    ['select 1 -- ; comment\n; select 2', 2],
    ['select /* ; /* nested ; */ ; */ 1', 1],
    ['select "a;b" from t', 1],
    ["select E'it\\'s;'; select 2", 2],
    ['  ;  ; ', 0],
  ])('%j has %i statement(s)', (sql, count) => {
    expect(splitStatements(sql)).toHaveLength(count);
  });
});

describe('classifyStatement', () => {
  it.each([
    ['SET search_path TO app', { kind: 'set' }],
    ['reset all', { kind: 'set' }],
    ["select set_config('timezone', 'UTC', false)", { kind: 'set' }],
    ['update t set x = 1', { kind: 'other' }],
    ['LISTEN chan', { kind: 'listen', channel: 'chan' }],
    ['listen "Mixed Case"', { kind: 'listen', channel: 'Mixed Case' }],
    ['UNLISTEN *', { kind: 'unlisten', channel: '*' }],
    ['unlisten chan', { kind: 'unlisten', channel: 'chan' }],
    ['copy t from stdin', { kind: 'copy-from-stdin' }],
    ['COPY t (a, b) FROM STDIN WITH (FORMAT csv)', { kind: 'copy-from-stdin' }],
    ['copy t to stdout', { kind: 'other' }],
    ['CREATE DATABASE shadow', { kind: 'create-database', name: 'shadow' }],
    ['create database "Prisma_Shadow"', { kind: 'create-database', name: 'Prisma_Shadow' }],
    ['CREATE DATABASE t1 TEMPLATE seeded', { kind: 'create-database', name: 't1', template: 'seeded' }],
    ['create database t2 with owner postgres template = "Seeded" encoding utf8', { kind: 'create-database', name: 't2', template: 'Seeded' }],
    ['CREATE DATABASE t3 TEMPLATE template0', { kind: 'create-database', name: 't3' }],
    ['CREATE DATABASE t4 TEMPLATE template1', { kind: 'create-database', name: 't4' }],
    ['DROP DATABASE IF EXISTS x', { kind: 'drop-database', name: 'x', ifExists: true, force: false }],
    ['drop database x with (force)', { kind: 'drop-database', name: 'x', ifExists: false, force: true }],
    ['DISCARD ALL', { kind: 'discard-all' }],
    ["LOAD 'auto_explain'", { kind: 'load' }],
    ['create extension citext', { kind: 'other' }],
    ['discard temp', { kind: 'discard-temp' }],
    ['DISCARD TEMPORARY', { kind: 'discard-temp' }],
    ['discard plans', { kind: 'other' }],
    ['prepare transaction \'x\'', { kind: 'other' }],
    ['/* c */ -- d\n  set x = 1', { kind: 'set' }],
  ])('%j', (sql, expected) => {
    expect(kinds(sql)).toEqual([expected]);
  });

  it('reports names with their positions for PREPARE / EXECUTE / DEALLOCATE', () => {
    const sql = 'PREPARE s1 AS select 1; execute "S2"(1); deallocate prepare s3; DEALLOCATE ALL';
    const [prepare, execute, deallocate, all] = kinds(sql);
    expect(prepare).toMatchObject({ kind: 'prepare', name: { value: 's1', quoted: false } });
    expect(execute).toMatchObject({ kind: 'execute', name: { value: 'S2', quoted: true } });
    expect(deallocate).toMatchObject({ kind: 'deallocate', name: { value: 's3' } });
    expect(all).toEqual({ kind: 'deallocate', name: 'all' });
    if (prepare?.kind === 'prepare') expect(sql.slice(prepare.name.start, prepare.name.end)).toBe('s1');
  });
});
