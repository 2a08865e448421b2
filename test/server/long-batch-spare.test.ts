import { describe, expect, it } from 'vitest';
import { waitFor } from './async-checks.js';
import { useFreshEngine } from './fresh-engine.js';

/**
 * A batch that runs for a while gets the thread that would replace its engine booted beside it (so a
 * cancel's restart only opens the data directory); short batches never pay for one, and the spare goes
 * once the long batch has ended.
 */
describe('a spare engine thread beside a long batch', () => {
  const engine = useFreshEngine('ppg-dev-long-batch-');

  it('short batches, back to back, boot none', async () => {
    for (let i = 0; i < 200; i++) {
      await engine().execQuery('select 1');
      expect(engine().hasSpare).toBe(false);
    }
  });

  it('a long statement gets one while it runs; it is gone after the statement ends', async () => {
    const sleeping = engine().execQuery('select pg_sleep(1.5)');
    await waitFor(() => engine().hasSpare, 10_000, 'the spare');
    await sleeping;
    await waitFor(() => !engine().hasSpare, 10_000, 'the spare to end');
    expect((await engine().execQuery('select 1')).length).toBeGreaterThan(0);
  });
});
