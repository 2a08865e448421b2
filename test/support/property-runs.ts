/** The seed CI runs the property tests with, so every run checks the same cases. */
const CI_SEED = 20261201;

/**
 * fast-check options for the property tests outside the protocol fuzzer (which has its own: npm run fuzz).
 * By default a fixed seed and `numRuns` cases. `PPG_PROPERTY_RUNS=N` runs more, `PPG_PROPERTY_SEED=S`
 * replays another seed, and `PPG_PROPERTY_SEED=random` draws a new one each run; fast-check names the seed
 * and path of any failure, so it can be replayed.
 */
export function propertyRuns(numRuns: number, env: NodeJS.ProcessEnv = process.env): { seed?: number; numRuns: number } {
  const runs = Number(env.PPG_PROPERTY_RUNS);
  const seed = env.PPG_PROPERTY_SEED;
  return {
    ...(seed === 'random' ? {} : { seed: seed !== undefined && Number.isInteger(Number(seed)) ? Number(seed) : CI_SEED }),
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : numRuns,
  };
}
