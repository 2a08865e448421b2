import { describe, expect, it } from 'vitest';
import { mayChangeRoles, parseScramVerifier } from '../../src/server/engine-roles.js';
import { concatBytes, copyFailMessage, queryMessage } from '../../src/server/wire-messages.js';

describe('parseScramVerifier', () => {
  it('splits what Postgres stores in pg_authid.rolpassword', () => {
    expect(parseScramVerifier('SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy')).toEqual({
      iterations: 4096, salt: 'c2FsdA==', storedKey: 'c3RvcmVk', serverKey: 'c2VydmVy',
    });
  });

  it.each([null, '', 'md5d41d8cd98f00b204e9800998ecf8427e', 'SCRAM-SHA-256$x:a$b:c', 'SCRAM-SHA-256$4096:a$b'])('%s is not a SCRAM verifier', (stored) => {
    expect(parseScramVerifier(stored)).toBeNull();
  });
});

describe('mayChangeRoles', () => {
  it.each([
    ["CREATE ROLE alice LOGIN PASSWORD 'x'", true],
    ['alter user bob with password null', true],
    ['drop role if exists carol', true],
    ['select 1', false],
    ['select * from users', false],
    ['select username from accounts', false],
  ])('%s → %s', (sql, expected) => {
    expect(mayChangeRoles(queryMessage(sql))).toBe(expected);
  });

  it('looks only at Query and Parse messages, not at COPY data', () => {
    expect(mayChangeRoles(concatBytes([queryMessage('select 1'), copyFailMessage('role user password')]))).toBe(false);
  });
});
