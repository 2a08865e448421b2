import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorCodeOr } from '../../src/error-codes.js';

/**
 * The one list of error codes (src/error-codes.ts): PpgError's type accepts only listed codes; this keeps
 * the list itself tidy (one casing, no code nobody throws) and create-db's JSON names unchanged.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceText(full);
      return entry.name.endsWith('.ts') && entry.name !== 'error-codes.ts' ? readFileSync(full, 'utf8') : '';
    })
    .join('\n');
}

describe('error codes', () => {
  const codes = Object.keys(ERROR_CODES);

  it('are UPPER_SNAKE, like every other constant', () => {
    expect(codes.filter((code) => !/^[A-Z]+(_[A-Z]+)*$/.test(code))).toEqual([]);
  });

  it('are each used somewhere in src/ (a listed code nobody throws is dead)', () => {
    const text = sourceText(SRC);
    expect(codes.filter((code) => !text.includes(`'${code}'`))).toEqual([]);
  });

  it("lower-cased, are create-db's names for the failures ppg create-db --json reports", () => {
    // create-db 1.2.x prints these in `{success: false, error}`; see src/cloud/create-db-types.ts.
    for (const name of ['invalid_ttl', 'invalid_region', 'network_error', 'api_error']) expect(codes).toContain(name.toUpperCase());
  });

  it('a code from another process is kept when known, else replaced by the fallback', () => {
    expect(errorCodeOr('PORT_IN_USE', 'DAEMON_FAILED')).toBe('PORT_IN_USE');
    expect(errorCodeOr('SOMETHING_NEW', 'DAEMON_FAILED')).toBe('DAEMON_FAILED');
    expect(errorCodeOr(undefined, 'DAEMON_FAILED')).toBe('DAEMON_FAILED');
    expect(errorCodeOr('toString', 'DAEMON_FAILED')).toBe('DAEMON_FAILED');
  });
});
