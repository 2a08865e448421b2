import { describe, expect, it } from 'vitest';
import { gitignoreIgnores } from '../../src/cloud/gitignore-check.js';

describe('gitignoreIgnores(.env)', () => {
  it.each([
    ['', false],
    ['.env\n', true],
    ['/.env\r\n', true],
    ['.env*\n', true],
    ['*.env\n', true],
    ['.env.local\n', false],
    ['# .env\n', false],
    ['.env\n!.env\n', false],
    ['*\n!.env\n.env\n', true],
    ['config/.env\n', false],
    ['node_modules\n', false],
  ])('%j → %s', (gitignore, expected) => {
    expect(gitignoreIgnores(gitignore, '.env')).toBe(expected);
  });
});
