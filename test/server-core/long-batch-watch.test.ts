import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LongBatchWatch } from '../../src/server/long-batch-watch.js';

describe('LongBatchWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a head that runs a whole period, once, between one and two periods after it started', () => {
    const long: number[] = [];
    const watch = new LongBatchWatch(200, (head) => long.push(head));
    watch.headChanged(true);
    vi.advanceTimersByTime(199);
    expect(long).toEqual([]);
    vi.advanceTimersByTime(201);
    expect(long).toEqual([watch.head]);
    vi.advanceTimersByTime(2000);
    expect(long).toHaveLength(1);
    watch.headChanged(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never reports heads that each end within a period, however long the engine stays busy', () => {
    const long: number[] = [];
    const watch = new LongBatchWatch(200, (head) => long.push(head));
    watch.headChanged(true);
    for (let i = 0; i < 100; i++) {
      vi.advanceTimersByTime(150);
      watch.headChanged(true);
    }
    expect(long).toEqual([]);
    // Busy the whole time: one timer, not one per head.
    expect(vi.getTimerCount()).toBe(1);
  });

  it('reports the next long head after a short one, and keeps no timer while idle', () => {
    const long: number[] = [];
    const watch = new LongBatchWatch(200, (head) => long.push(head));
    watch.headChanged(true);
    vi.advanceTimersByTime(50);
    watch.headChanged(false);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    watch.headChanged(true);
    const slow = watch.head;
    vi.advanceTimersByTime(400);
    expect(long).toEqual([slow]);
  });
});
