import { describe, expect, it } from 'vitest';
import { assertValidName, isGlob, matchNames, nameFromProjectDir } from '../../src/state/instance-name.js';

describe('assertValidName', () => {
  it.each(['app', 'my-app_2', 'A', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(() => assertValidName(name)).not.toThrow();
  });
  it.each(['', 'a b', 'a/b', '../x', 'é', 'x'.repeat(64), 'a.b', '*'])('rejects %j with a usage error', (name) => {
    expect(() => assertValidName(name)).toThrow(expect.objectContaining({ code: 'INVALID_NAME', exitCode: 2 }));
  });
});

describe('nameFromProjectDir', () => {
  it.each([
    ['/home/u/my-app', 'my-app'],
    ['/home/u/My App (copy)', 'My-App-copy'],
    ['/home/u/.hidden', 'hidden'],
    ['/home/u/日本', 'default'],
    ['/', 'default'],
    ['/x/a.b.c', 'a-b-c'],
  ])('%s -> %s', (dir, expected) => {
    expect(nameFromProjectDir(dir)).toBe(expected);
  });
});

describe('matchNames', () => {
  const known = ['api', 'feature-a', 'feature-b', 'web'];
  it.each([
    [['api'], ['api'], []],
    [['feature-*'], ['feature-a', 'feature-b'], []],
    [['feature-?'], ['feature-a', 'feature-b'], []],
    [['feature-[a]'], ['feature-a'], []],
    [['*'], known, []],
    [['web', 'api', 'web'], ['api', 'web'], []],
    [['nope'], [], ['nope']],
    [['api', 'x-*'], ['api'], ['x-*']],
    [['feat'], [], ['feat']],
    [['a.i'], [], ['a.i']],
  ])('%j selects %j, unmatched %j', (patterns, matched, unmatched) => {
    expect(matchNames(patterns, known)).toEqual({ matched, unmatched });
  });
  it('tells globs from names', () => {
    expect([isGlob('a*'), isGlob('a?'), isGlob('[ab]'), isGlob('plain-name')]).toEqual([true, true, true, false]);
  });
});
