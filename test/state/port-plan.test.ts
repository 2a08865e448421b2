import { describe, expect, it } from 'vitest';
import { describePortHolder, planPortCandidates } from '../../src/state/port-plan.js';

describe('planPortCandidates', () => {
  const none = new Set<number>();
  it.each([
    ['explicit port is the only candidate', { requested: 6000, previous: 51214, reserved: none }, [6000]],
    ['explicit port even if another instance recorded it', { requested: 51214, reserved: new Set([51214]) }, [51214]],
    ['no history: default first, then upwards', { reserved: none, span: 3 }, [51214, 51215, 51216]],
    ['previous port first, default range after without duplicates', { previous: 51215, reserved: none, span: 3 }, [51215, 51214, 51216]],
    ['previous port outside the range', { previous: 7000, reserved: none, span: 2 }, [7000, 51214, 51215]],
    ['ports recorded by other instances are skipped', { reserved: new Set([51214, 51216]), span: 4 }, [51215, 51217]],
    ['own previous port wins over a stale reservation', { previous: 51214, reserved: new Set([51214]), span: 2 }, [51214, 51215]],
    ['never past 65535', { reserved: none, defaultPort: 65534, span: 5 }, [65534, 65535]],
  ])('%s', (_label, input, expected) => {
    expect(planPortCandidates(input)).toEqual(expected);
  });
});

describe('describePortHolder', () => {
  it.each([
    [51214, new Map([[51214, 'api']]), "instance 'api'"],
    [51215, new Map([[51214, 'api']]), 'another process'],
  ])('port %i', (port, owners, expected) => {
    expect(describePortHolder(port, owners)).toBe(expected);
  });
});
