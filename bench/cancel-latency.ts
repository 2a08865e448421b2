import pg from 'pg';
import { sleep } from './processes.js';
import { medianOf } from './stats.js';

/**
 * What a cancel costs the canceled client: `pg_sleep(60)` on one connection, canceled 1 s into it with
 * `pg_cancel_backend` from a second one (what psql's Ctrl-C and pg's cancel do, minus the extra
 * connection). ppg-dev stops the engine thread and reopens the database; native PostgreSQL only interrupts
 * its backend, so the two differ most in when the next query is answered.
 */
export interface CancelTimes {
  /** From the pg_cancel_backend call until the canceled query's 57014 arrived (median of the samples), ms. */
  errorMs: number;
  /** From the same call until the canceled client's next `select 1` was answered, ms. */
  nextQueryMs: number;
  samples: number;
}

/** How far into the statement the cancel comes: long enough that it is surely running (a cancel that came first would leave it to run 60 s, an error here). */
const RUNNING_FOR_MS = 1_000;

export async function measureCancel(url: string, samples: number): Promise<CancelTimes> {
  const errors: number[] = [];
  const next: number[] = [];
  for (let i = 0; i < samples; i++) {
    const one = await cancelOnce(url);
    errors.push(one.errorMs);
    next.push(one.nextQueryMs);
  }
  return { errorMs: medianOf(errors) ?? 0, nextQueryMs: medianOf(next) ?? 0, samples };
}

async function cancelOnce(url: string): Promise<{ errorMs: number; nextQueryMs: number }> {
  const sleeper = new pg.Client({ connectionString: url });
  const canceller = new pg.Client({ connectionString: url });
  sleeper.on('error', () => undefined);
  canceller.on('error', () => undefined);
  try {
    await sleeper.connect();
    await canceller.connect();
    const pid = (await sleeper.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const startedAt = performance.now();
    const sleeping = sleeper.query('select pg_sleep(60)').then(
      () => { throw new Error('pg_sleep(60) finished: the cancel did not stop it'); },
      (error: Error & { code?: string }) => {
        if (error.code !== '57014') throw error;
        return performance.now();
      },
    );
    // Not polled through pg_stat_activity: on ppg-dev that query waits for the engine the sleep holds.
    await sleep(Math.max(0, RUNNING_FOR_MS - (performance.now() - startedAt)));
    const canceledAt = performance.now();
    await canceller.query('select pg_cancel_backend($1)', [pid]);
    const erroredAt = await sleeping;
    await sleeper.query('select 1');
    return { errorMs: erroredAt - canceledAt, nextQueryMs: performance.now() - canceledAt };
  } finally {
    await Promise.all([sleeper.end().catch(() => undefined), canceller.end().catch(() => undefined)]);
  }
}
