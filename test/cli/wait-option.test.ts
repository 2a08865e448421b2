import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseWaitSeconds } from '../../src/cli/wait-option.js';
import { propertyRuns } from '../support/property-runs.js';

describe('--wait <seconds>', () => {
  it('takes whole and decimal seconds, as milliseconds', () => {
    expect(parseWaitSeconds('2')).toBe(2000);
    expect(parseWaitSeconds('0.5')).toBe(500);
    expect(parseWaitSeconds('86400')).toBe(86_400_000);
  });

  it('refuses zero, negatives, units, exponents, blanks and more than a day', () => {
    for (const value of ['0', '0.0', '0.0004', '-1', '5s', '1e3', '', ' 2', '2 ', '+2', '.5', '86400.5', 'Infinity', 'NaN', '0x10']) {
      expect(() => parseWaitSeconds(value), value).toThrow(InvalidArgumentError);
    }
  });

  it('any string is either a wait of 1 ms to 1 day in whole milliseconds or a usage error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double().map(String), fc.nat().map(String)), (value) => {
        let ms: number;
        try {
          ms = parseWaitSeconds(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          return;
        }
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(1);
        expect(ms).toBeLessThanOrEqual(86_400_000);
        expect(Math.abs(ms - Number(value) * 1000)).toBeLessThanOrEqual(0.5);
      }),
      propertyRuns(1000),
    );
  });
});
