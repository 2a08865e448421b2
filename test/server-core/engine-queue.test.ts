import { describe, expect, it } from 'vitest';
import { EngineQueue, WaitAbortedError } from '../../src/server/engine-queue.js';

type Step =
  | { op: 'try'; who: string; expect: boolean }
  | { op: 'acquire'; who: string }
  | { op: 'release'; who: string }
  | { op: 'abort'; who: string; expect: boolean };

interface Case {
  name: string;
  steps: Step[];
  owner: string | null;
  granted: string[];
  aborted?: string[];
}

const cases: Case[] = [
  { name: 'free engine is taken at once', steps: [{ op: 'try', who: 'a', expect: true }], owner: 'a', granted: [] },
  {
    name: 'owner may re-take its own engine',
    steps: [{ op: 'try', who: 'a', expect: true }, { op: 'try', who: 'a', expect: true }],
    owner: 'a', granted: [],
  },
  {
    name: 'others cannot take an owned engine',
    steps: [{ op: 'try', who: 'a', expect: true }, { op: 'try', who: 'b', expect: false }],
    owner: 'a', granted: [],
  },
  {
    name: 'release hands over in FIFO order',
    steps: [
      { op: 'try', who: 'a', expect: true }, { op: 'acquire', who: 'b' }, { op: 'acquire', who: 'c' },
      { op: 'release', who: 'a' },
    ],
    owner: 'b', granted: ['b'],
  },
  {
    name: 'a releasing client goes to the back of the line',
    steps: [
      { op: 'try', who: 'a', expect: true }, { op: 'acquire', who: 'b' }, { op: 'release', who: 'a' },
      { op: 'try', who: 'a', expect: false }, { op: 'acquire', who: 'a' }, { op: 'release', who: 'b' },
    ],
    owner: 'a', granted: ['b', 'a'],
  },
  {
    name: 'release by a non-owner changes nothing',
    steps: [{ op: 'try', who: 'a', expect: true }, { op: 'acquire', who: 'b' }, { op: 'release', who: 'b' }],
    owner: 'a', granted: [],
  },
  {
    name: 'an aborted waiter is skipped',
    steps: [
      { op: 'try', who: 'a', expect: true }, { op: 'acquire', who: 'b' }, { op: 'acquire', who: 'c' },
      { op: 'abort', who: 'b', expect: true }, { op: 'release', who: 'a' },
    ],
    owner: 'c', granted: ['c'], aborted: ['b'],
  },
  {
    name: 'the owner cannot be aborted',
    steps: [{ op: 'try', who: 'a', expect: true }, { op: 'abort', who: 'a', expect: false }],
    owner: 'a', granted: [],
  },
  {
    name: 'last release leaves the engine free',
    steps: [{ op: 'try', who: 'a', expect: true }, { op: 'release', who: 'a' }],
    owner: null, granted: [],
  },
];

describe('EngineQueue', () => {
  it.each(cases)('$name', async ({ steps, owner, granted, aborted = [] }) => {
    const queue = new EngineQueue<string>();
    const grantedOrder: string[] = [];
    const abortedList: string[] = [];
    const pending: Promise<void>[] = [];
    for (const step of steps) {
      if (step.op === 'try') expect(queue.tryAcquire(step.who)).toBe(step.expect);
      else if (step.op === 'acquire') {
        pending.push(queue.acquire(step.who).then(
          () => void grantedOrder.push(step.who),
          (error: unknown) => {
            expect(error).toBeInstanceOf(WaitAbortedError);
            abortedList.push(step.who);
          },
        ));
      } else if (step.op === 'release') queue.release(step.who);
      else expect(queue.abort(step.who, 'x')).toBe(step.expect);
      await Promise.resolve();
      await Promise.resolve();
    }
    expect(queue.owner).toBe(owner);
    expect(grantedOrder).toEqual(granted);
    expect(abortedList).toEqual(aborted);
  });

  it('passes the abort reason to the waiter', async () => {
    const queue = new EngineQueue<string>();
    queue.tryAcquire('a');
    const wait = queue.acquire('b');
    queue.abort('b', { code: '57014' });
    await expect(wait).rejects.toMatchObject({ reason: { code: '57014' } });
    expect(queue.isWaiting('b')).toBe(false);
  });
});
