import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSplitSessions, checkStorms, progress, TargetHolder, type PropertyOutcome } from './fuzz-campaign.js';
import { PROTOCOL_STATES } from './protocol-states.js';

/**
 * Protocol fuzzing (issue 8). `npm test` runs a fixed-seed slice: a few storms from every protocol state
 * and a few split-delivered sessions. `npm run fuzz -- --seconds N [--seed S]` (test/fuzz/fuzz-cli.mjs)
 * runs this file with PPG_FUZZ_SECONDS/PPG_FUZZ_SEED set: rounds of all properties with a new seed each,
 * until the time is up. Every failure names the seed that replays it.
 */
const CI_SEED = 20_261_201;
const CI_STORMS_PER_STATE = 5;
const CI_SESSIONS = 8;

const REPLAY_CI = 'npx vitest run test/fuzz/protocol-fuzz.test.ts (the fixed-seed slice)';
/** Cases per property and seed in the long run: a round covers every state, then the next seed starts. */
const RUNS_PER_ROUND = 5;
const replayOf = (seed: number): string => `npm run fuzz -- --seed ${seed} --seconds <as long as it took>`;

const seconds = Number(process.env.PPG_FUZZ_SECONDS ?? 0);
const fixedSeed = process.env.PPG_FUZZ_SEED ? Number(process.env.PPG_FUZZ_SEED) : null;

const holder = new TargetHolder();
beforeAll(async () => {
  await holder.get();
});
afterAll(async () => holder.close());

function expectHeld(outcome: PropertyOutcome): void {
  if (outcome.failure) console.error(outcome.failure);
  expect(outcome.failure).toBe('');
}

if (seconds <= 0) {
  describe('protocol fuzzing, fixed-seed slice', () => {
    for (const [i, state] of PROTOCOL_STATES.entries()) {
      it(`storms starting in state ${state}`, async () => {
        expectHeld(await checkStorms(holder, state, { seed: CI_SEED + i, numRuns: CI_STORMS_PER_STATE, shrink: false, replay: REPLAY_CI }));
      });
    }

    it('valid sessions split at random byte boundaries get byte-identical replies', async () => {
      expectHeld(await checkSplitSessions(holder, { seed: CI_SEED, numRuns: CI_SESSIONS, shrink: false, replay: REPLAY_CI }));
    });
  });
} else {
  describe('protocol fuzzing, long run', () => {
    it(`runs for ${seconds} s`, async () => {
      const started = Date.now();
      const deadline = started + seconds * 1000;
      const failures: string[] = [];
      const seeds: number[] = [];
      let cases = 0;
      let seed = fixedSeed ?? randomSeed();
      while (Date.now() < deadline) {
        seeds.push(seed);
        // Each state's property gets its own seed (seed + index), as in the CI slice.
        for (const check of [...PROTOCOL_STATES.map((state, i) => (s: number) => checkStorms(holder, state, { seed: s + i, numRuns: RUNS_PER_ROUND, shrink: true, replay: replayOf(s) })),
          (s: number) => checkSplitSessions(holder, { seed: s, numRuns: RUNS_PER_ROUND, shrink: true, replay: replayOf(s) })]) {
          if (Date.now() >= deadline) break;
          const outcome = await check(seed);
          cases += outcome.cases;
          if (outcome.failure) {
            failures.push(outcome.failure);
            progress(`FAILURE ${outcome.failure}`);
          }
        }
        progress(`fuzz: seed ${seed} done; ${cases} cases, ${failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s`);
        seed = fixedSeed === null ? randomSeed() : seed + 1;
      }
      const elapsed = Math.round((Date.now() - started) / 1000);
      progress(`fuzz summary: ${cases} cases in ${elapsed} s, seeds ${seeds.join(', ')}, ${holder.restarts} server restarts, ${failures.length} failures`);
      expect(failures).toEqual([]);
    }, seconds * 1000 + 300_000);
  });
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
