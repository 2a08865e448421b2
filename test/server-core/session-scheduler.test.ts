import { describe, expect, it } from 'vitest';
import { CANCEL_GRACE_MS, SessionScheduler, type SchedulerEffect } from '../../src/server/session-scheduler.js';
import type { TransactionStatus } from '../../src/server/wire-messages.js';

/**
 * The scheduler's rules as tables. A step is `<ms> <session> <op> [args] [=> result]`:
 * - take [behind]                  => true | false (`behind`: it may queue behind detached batches)
 * - wait [st=<ms>] [lock=<ms>] [behind]   queue with a statement_timeout / lock-wait limit
 * - detach | undetach              => effects (a pipelined batch lets go of the engine / was dropped unrun)
 * - release | cancel | leave | end => effects
 * - begin | endRun                 a batch starts on the engine / leaves it
 * - run [st=<ms>]                  the batch is in the engine, with a statement_timeout
 * - time [st=<ms>]                 its statement_timeout counts from now instead
 * - settle <I|T|E> [mid]           => true if it keeps the engine (`mid`: no ReadyForQuery yet)
 * - parse [stale]                  route a parse-only batch (`stale`: its statements predate a restart)
 * - tick (session `-`)             => effects due
 * Effects read `grant b`, `refuse b <reason> by <holder>`, `interrupt a <reason>`, `retry c`, joined by
 * `, `; `-` is none. A step without `=>` must return no effects (or anything, for take/settle/parse).
 */
interface Case {
  name: string;
  steps: string[];
  owner?: string | null;
  waiting?: number;
  next?: number | null;
}

const cases: Case[] = [
  // ---- who owns the engine, and when it passes on ----
  { name: 'a free engine is taken at once', steps: ['0 a take => true'], owner: 'a' },
  { name: 'the owner takes its own engine again', steps: ['0 a take => true', '0 a take => true'], owner: 'a' },
  { name: 'nobody else takes an owned engine', steps: ['0 a take => true', '0 b take => false'], owner: 'a' },
  {
    name: 'release hands the engine to the first in line',
    steps: ['0 a take => true', '0 b wait', '0 c wait', '1 a release => grant b'],
    owner: 'b', waiting: 1,
  },
  {
    name: 'a client that lets go and asks again goes to the back of the line',
    steps: ['0 a take => true', '0 b wait', '1 a release => grant b', '1 a take => false', '1 a wait', '2 b release => grant a'],
    owner: 'a', waiting: 0,
  },
  { name: 'a release by someone not owning the engine changes nothing', steps: ['0 a take => true', '0 b wait', '1 b release => -'], owner: 'a', waiting: 1 },
  { name: 'the last release leaves the engine free', steps: ['0 a take => true', '1 a release => -', '2 b take => true'], owner: 'b' },
  {
    name: 'the owner keeps the engine inside a transaction, in a failed one, and mid extended batch; lets go when idle',
    steps: ['0 a take => true', '1 a settle T => true', '2 a settle E => true', '3 a settle I mid => true', '4 a settle I => false'],
    owner: 'a',
  },

  // ---- waits and their limits ----
  {
    name: 'statement_timeout ends a wait in line at its deadline, naming the holder',
    steps: ['0 a take => true', '10 b wait st=100', '109 - tick => -', '110 - tick => refuse b statement-timeout by a'],
    owner: 'a', waiting: 0, next: null,
  },
  {
    name: 'the lock-wait limit ends a wait (55P03) when it is the sooner',
    steps: ['0 a take => true', '0 b wait st=500 lock=300', '300 - tick => refuse b lock-wait by a'],
    waiting: 0,
  },
  { name: 'a tie between the two limits is a statement timeout', steps: ['0 a take => true', '0 b wait st=300 lock=300', '300 - tick => refuse b statement-timeout by a'] },
  {
    name: 'a timer that fires late still ends each wait for its own reason, in the order they fell due',
    steps: ['0 a take => true', '0 b wait lock=200', '0 c wait st=100', '500 - tick => refuse c statement-timeout by a, refuse b lock-wait by a'],
    waiting: 0,
  },
  {
    name: 'a granted wait has no deadline left',
    steps: ['0 a take => true', '0 b wait st=100 lock=100', '50 a release => grant b', '200 - tick => -'],
    owner: 'b', next: null,
  },
  { name: 'a wait without limits never ends by itself', steps: ['0 a take => true', '0 b wait', '999999 - tick => -'], waiting: 1, next: null },
  {
    name: 'the others keep their place when one leaves the line',
    steps: ['0 a take => true', '0 b wait st=100', '0 c wait', '100 - tick => refuse b statement-timeout by a', '101 a release => grant c'],
    owner: 'c',
  },

  // ---- cancel ----
  {
    name: 'cancel of a batch waiting in line refuses it at once',
    steps: ['0 a take => true', '0 b wait st=100', '5 b cancel => refuse b canceled by a'],
    waiting: 0, next: null,
  },
  {
    name: 'cancel of a running batch stops it if it still runs after the grace period',
    steps: ['0 a take => true', '0 a begin', '0 a run', '10 a cancel => -', `${9 + CANCEL_GRACE_MS} - tick => -`, `${10 + CANCEL_GRACE_MS} - tick => interrupt a canceled`],
    next: null,
  },
  {
    name: 'a batch that ends within the grace period is not stopped',
    steps: ['0 a take => true', '0 a begin', '0 a run', '10 a cancel', '50 a endRun', '200 - tick => -'],
    next: null,
  },
  { name: 'cancel with nothing of the client on the engine does nothing', steps: ['0 a take => true', '0 a cancel => -'], next: null },
  {
    name: 'a second cancel does not push the first one\'s deadline back',
    steps: ['0 a take => true', '0 a begin', '0 a run', '0 a cancel', '60 a cancel', `${CANCEL_GRACE_MS} - tick => interrupt a canceled`],
  },
  {
    name: 'a cancel is spent with the batch it came for: the next batch of the client runs on',
    steps: ['0 a take => true', '0 a begin', '10 a cancel', '20 a end => -', '30 a begin', '30 a run', '500 - tick => -'],
    next: null,
  },
  {
    name: 'a cancel whose grace ends before the batch reaches the engine stops nothing',
    steps: ['0 a take => true', '0 a begin', '10 a cancel', `${10 + CANCEL_GRACE_MS} - tick => -`, '200 a run', '500 - tick => -'],
    next: null,
  },

  // ---- statement_timeout of a running batch ----
  {
    name: 'statement_timeout stops a running batch at its deadline, once',
    steps: ['0 a take => true', '0 a begin', '5 a run st=1000', '1004 - tick => -', '1005 - tick => interrupt a statement-timeout', '3000 - tick => -'],
    next: null,
  },
  {
    name: 'a run timed later (after a reopen it waited for) counts its statement_timeout from then; a cancel meanwhile still stops it',
    steps: ['0 a take => true', '0 a begin', '0 a run', '400 a time st=100', '499 - tick => -', '500 - tick => interrupt a statement-timeout'],
    next: null,
  },
  {
    name: 'a stopped run is not timed again',
    steps: ['0 a take => true', '0 a begin', '0 a run', '0 a cancel', `${CANCEL_GRACE_MS} - tick => interrupt a canceled`, '200 a time st=50', '1000 - tick => -'],
    next: null,
  },
  { name: 'a run that ends in time leaves no deadline', steps: ['0 a take => true', '0 a begin', '0 a run st=1000', '10 a endRun', '2000 - tick => -'], next: null },
  {
    name: 'a cancel and a statement timeout due together stop the batch once, for the sooner',
    steps: ['0 a take => true', '0 a begin', '0 a run st=120', '0 a cancel', '500 - tick => interrupt a canceled'],
    next: null,
  },

  // ---- a parse-only batch beside the owner ----
  { name: 'a parse-only batch takes a free engine', steps: ['0 a parse => run'], owner: 'a' },
  {
    name: 'a parse-only batch runs beside an owner idle in its transaction',
    steps: ['0 a take => true', '0 a begin', '0 a settle T', '1 a end', '2 b parse => beside'],
    owner: 'a', waiting: 0,
  },
  {
    name: 'it waits for the owner\'s batch in flight, then decides again',
    steps: ['0 a take => true', '0 a begin', '1 b parse => hold', '2 a settle T', '3 a end => retry b', '3 b parse => beside'],
    owner: 'a',
  },
  {
    name: 'after the owner\'s batch let go of the engine, the retried batch takes it',
    steps: ['0 a take => true', '0 a begin', '1 b parse => hold', '2 a settle I => false', '2 a release => -', '3 a end => retry b', '3 b parse => run'],
    owner: 'b',
  },
  {
    name: 'beside an owner whose transaction failed, or whose extended batch is unfinished, it queues',
    steps: ['0 a take => true', '0 a begin', '0 a settle E', '0 a end', '1 b parse => queue', '2 a begin', '2 a settle T mid', '2 a end', '3 b parse => queue'],
  },
  {
    name: 'a session whose statements predate an engine restart queues (it parses them again in a batch of its own)',
    steps: ['0 a take => true', '0 a begin', '0 a settle T', '0 a end', '1 b parse stale => queue'],
  },
  {
    name: 'a held parse-only batch of a client that leaves is refused',
    steps: ['0 a take => true', '0 a begin', '1 b parse => hold', '2 b leave => refuse b closed by a', '3 a end => -'],
  },

  // ---- pipelining: a batch that cannot leave a transaction open lets go of the engine once sent ----
  {
    name: 'a detached batch hands the engine to the next in line at once',
    steps: ['0 a take => true', '0 b wait behind', '0 c wait behind', '1 a begin', '1 a run', '1 a detach => grant b', '2 b begin', '2 b run', '2 b detach => grant c'],
    owner: 'c', waiting: 0,
  },
  {
    name: 'with nobody in line the engine is free for the next batch that may queue behind, and only for it',
    steps: ['0 a take => true', '0 a begin', '0 a detach => -', '1 x take => false', '1 b take behind => true'],
    owner: 'b',
  },
  {
    name: 'a waiter that cannot queue behind (cleanup, quiesce, COPY) gets the engine once the detached batches ended, in line order',
    steps: [
      '0 a take => true', '0 a begin', '0 b wait', '0 c wait behind', '1 a detach => -', '2 c take behind => false',
      '3 a end => grant b', '4 b release => grant c',
    ],
    owner: 'c', waiting: 0,
  },
  {
    name: 'it waits for every detached batch, not only the first',
    steps: ['0 a take => true', '0 a begin', '0 a detach => -', '0 b take behind => true', '0 b begin', '0 x wait', '1 b detach => -', '2 a end => -', '3 b end => grant x'],
    owner: 'x',
  },
  { name: 'only the owner can detach', steps: ['0 a take => true', '0 b begin', '0 b detach => -'], owner: 'a' },
  {
    name: 'a lone client whose batch could be detached keeps the engine until the batch ends, as without pipelining',
    steps: ['0 a take => true', '0 a begin', '0 a detach => -', '1 a settle I => false', '1 a release => -', '1 a end => -', '2 x take => true'],
    owner: 'x',
  },
  {
    name: 'a batch marked detachable stays the owner\'s for a waiter that cannot queue behind; it is handed on at release',
    steps: ['0 a take => true', '0 a begin', '0 a detach => -', '1 x take => false', '1 x wait', '2 a release => grant x', '2 a end => -'],
    owner: 'x',
  },
  {
    name: 'a detached batch keeps its statement_timeout and can still be canceled',
    steps: [
      '0 a take => true', '0 a begin', '0 a run st=500', '0 a detach', '0 b take behind => true', '0 b begin', '0 b run', '0 b detach',
      '10 b cancel => -', `${10 + CANCEL_GRACE_MS} - tick => interrupt b canceled`, '500 - tick => interrupt a statement-timeout',
    ],
    owner: 'b', next: null,
  },
  {
    name: 'a detached batch dropped unrun by a restart queues again behind those in line',
    steps: ['0 a take => true', '0 a begin', '0 a detach', '0 b take behind => true', '1 a undetach => -', '1 a wait behind', '2 b release => grant a'],
    owner: 'a', waiting: 0,
  },
  {
    name: 'dropping the last detached batch lets in a waiter that could not queue behind it',
    steps: ['0 a take => true', '0 a begin', '0 a detach', '0 b take behind => true', '0 b release => -', '0 x wait', '1 a undetach => grant x'],
    owner: 'x',
  },
  {
    name: 'a parse-only batch takes an engine that only detached batches are in',
    steps: ['0 a take => true', '0 a begin', '0 a detach', '1 b parse => run'],
    owner: 'b',
  },

  // ---- clients that go, and engine restarts ----
  {
    name: 'a client that leaves is taken out of the line',
    steps: ['0 a take => true', '0 b wait st=100', '0 c wait', '1 b leave => refuse b closed by a', '2 a release => grant c'],
    owner: 'c', next: null,
  },
  {
    name: 'a client that leaves while owning keeps the engine until its cleanup releases it',
    steps: ['0 a take => true', '0 a settle T', '0 b wait', '1 a leave => -', '2 a take => true', '3 a release => grant b'],
    owner: 'b',
  },
  {
    name: 'a restart (interrupt) in a transaction leaves the owner an aborted one: it keeps the engine until ROLLBACK',
    steps: [
      '0 a take => true', '0 a settle T', '1 b wait', '2 a begin', '2 a run st=50', '52 - tick => interrupt a statement-timeout',
      '60 a endRun', '70 a settle E => true', '70 a end', '80 a begin', '80 a settle I => false', '80 a release => grant b',
    ],
    owner: 'b', waiting: 0,
  },
  {
    name: 'the waits in line run on across a restart',
    steps: ['0 a take => true', '0 a begin', '0 a run st=50', '10 b wait st=100', '50 - tick => interrupt a statement-timeout', '60 a endRun', '110 - tick => refuse b statement-timeout by a'],
  },
];

function parseStep(step: string): { at: number; who: string; op: string; args: string[]; expected?: string } {
  const [call, expected] = step.split(' => ');
  const [at, who, op, ...args] = call!.trim().split(/\s+/);
  return { at: Number(at), who: who!, op: op!, args, expected: expected?.trim() };
}

function describeEffects(effects: SchedulerEffect<string>[]): string {
  if (effects.length === 0) return '-';
  return effects.map((e) => {
    switch (e.kind) {
      case 'grant':
      case 'retry':
        return `${e.kind} ${e.session}`;
      case 'refuse':
        return `refuse ${e.session} ${e.reason} by ${e.holder ?? 'nobody'}`;
      case 'interrupt':
        return `interrupt ${e.session} ${e.reason}`;
    }
  }).join(', ');
}

function limit(args: string[], key: string): number {
  const arg = args.find((a) => a.startsWith(`${key}=`));
  return arg ? Number(arg.slice(key.length + 1)) : 0;
}

function play(scheduler: SessionScheduler<string>, step: ReturnType<typeof parseStep>): string {
  const { at, who, op, args } = step;
  switch (op) {
    case 'take':
      return String(scheduler.take(who, args.includes('behind')));
    case 'wait':
      scheduler.enqueue(who, at, { statementTimeoutMs: limit(args, 'st'), lockWaitTimeoutMs: limit(args, 'lock') }, args.includes('behind'));
      return '-';
    case 'detach':
      return describeEffects(scheduler.detach(who));
    case 'undetach':
      return describeEffects(scheduler.undetach(who));
    case 'release':
      return describeEffects(scheduler.release(who));
    case 'cancel':
      return describeEffects(scheduler.cancel(who, at));
    case 'leave':
      return describeEffects(scheduler.leave(who));
    case 'end':
      return describeEffects(scheduler.endBatch(who));
    case 'begin':
      scheduler.beginBatch(who);
      return '-';
    case 'run':
      scheduler.startRun(who, at, limit(args, 'st'));
      return '-';
    case 'time':
      scheduler.timeRun(who, at, limit(args, 'st'));
      return '-';
    case 'endRun':
      scheduler.endRun(who);
      return '-';
    case 'settle':
      return String(scheduler.settle(who, args[0] as TransactionStatus, args.includes('mid')));
    case 'parse':
      return scheduler.routeParseOnly(who, !args.includes('stale'));
    case 'tick':
      return describeEffects(scheduler.tick(at));
    default:
      throw new Error(`unknown step ${op}`);
  }
}

describe('SessionScheduler', () => {
  it.each(cases)('$name', ({ steps, owner, waiting, next }) => {
    const scheduler = new SessionScheduler<string>();
    for (const text of steps) {
      const step = parseStep(text);
      const result = play(scheduler, step);
      const returnsEffects = ['release', 'cancel', 'leave', 'end', 'tick', 'detach', 'undetach'].includes(step.op);
      if (step.expected !== undefined) expect(result, text).toBe(step.expected);
      else if (returnsEffects) expect(result, text).toBe('-');
    }
    if (owner !== undefined) expect(scheduler.owner).toBe(owner);
    if (waiting !== undefined) expect(scheduler.waiting).toBe(waiting);
    if (next !== undefined) expect(scheduler.nextDeadline()).toBe(next);
  });

  it('names its next deadline: the soonest of the waits, the runs and the cancels', () => {
    const scheduler = new SessionScheduler<string>();
    scheduler.take('a');
    scheduler.enqueue('b', 0, { statementTimeoutMs: 500, lockWaitTimeoutMs: 30_000 });
    scheduler.beginBatch('a');
    scheduler.startRun('a', 0, 400);
    expect(scheduler.nextDeadline()).toBe(400);
    scheduler.cancel('a', 250);
    expect(scheduler.nextDeadline()).toBe(250 + CANCEL_GRACE_MS);
    scheduler.endRun('a');
    expect(scheduler.nextDeadline()).toBe(500);
  });
});
