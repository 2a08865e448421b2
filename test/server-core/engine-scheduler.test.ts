import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineScheduler, STATEMENT_TIMEOUT, CANCELED_BY_USER, waitEndError } from '../../src/server/engine-scheduler.js';
import type { ErrorFields } from '../../src/server/wire-messages.js';

/** The driver: the machine's deadlines become one timer, its effects settled promises and interrupts. */
describe('EngineScheduler', () => {
  let interrupts: ErrorFields[];
  let scheduler: EngineScheduler<string>;

  beforeEach(() => {
    vi.useFakeTimers();
    interrupts = [];
    scheduler = new EngineScheduler<string>((fields) => interrupts.push(fields), { now: () => Date.now() });
  });
  afterEach(() => vi.useRealTimers());

  it('a cancel of a running batch says a stop is likely (the engine boots its next thread during the grace); other cancels do not', async () => {
    let likely = 0;
    const withHint = new EngineScheduler<string>((fields) => interrupts.push(fields), { now: () => Date.now(), stopLikely: () => likely++ });
    withHint.take('a');
    withHint.cancel('a');
    expect(likely).toBe(0);
    withHint.beginBatch('a');
    withHint.startRun('a', 0);
    withHint.cancel('a');
    expect(likely).toBe(1);
    withHint.endRun('a');
    withHint.endBatch('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(interrupts).toEqual([]);
  });

  it('a wait ends with the engine, or with the reason it was refused', async () => {
    expect(scheduler.take('a')).toBe(true);
    const b = scheduler.acquire('b', { statementTimeoutMs: 0, lockWaitTimeoutMs: 300 });
    const c = scheduler.acquire('c', { statementTimeoutMs: 1000, lockWaitTimeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(300);
    expect(await b).toEqual({ granted: false, reason: 'lock-wait', holder: 'a' });
    scheduler.release('a');
    expect(await c).toEqual({ granted: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops a running batch at its statement_timeout through the engine, and a canceled one after the grace period', async () => {
    scheduler.take('a');
    scheduler.beginBatch('a');
    scheduler.startRun('a', 50);
    await vi.advanceTimersByTimeAsync(50);
    expect(interrupts).toEqual([STATEMENT_TIMEOUT]);
    scheduler.endRun('a');
    scheduler.startRun('a', 0);
    scheduler.cancel('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(interrupts).toEqual([STATEMENT_TIMEOUT, CANCELED_BY_USER]);
  });

  it('a parse-only batch waits out the owner\'s batch in flight, then runs beside it', async () => {
    scheduler.take('a');
    scheduler.beginBatch('a');
    const route = scheduler.routeParseOnly('b', () => true);
    const done = scheduler.whenBatchDone('a');
    scheduler.settle('a', 'T', false);
    scheduler.endBatch('a');
    await done;
    expect(await route).toBe('beside');
  });

  it('words the refusals as Postgres does', () => {
    expect(waitEndError({ reason: 'canceled', holder: null }, 30_000)?.code).toBe('57014');
    expect(waitEndError({ reason: 'closed', holder: null }, 30_000)).toBeNull();
    expect(waitEndError({ reason: 'lock-wait', holder: { pid: 7, applicationName: 'psql' } }, 30_000)).toMatchObject({
      code: '55P03', hint: expect.stringContaining('"psql" (pid 7)'),
    });
  });
});
