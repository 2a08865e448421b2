import pg from 'pg';
import { sleep } from './processes.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

/** Measurements made with the `pg` client from the driver process. */

/**
 * Polls until a fresh connection to `url` answers `select 1`. Resolves with the time it succeeded
 * (performance.now()); rejects after `timeoutMs` or when `gaveUp()` says the server process is gone.
 */
export async function waitUntilAnswering(url: string, timeoutMs: number, gaveUp: () => string | null = () => null): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let lastError = 'no attempt';
  while (performance.now() < deadline) {
    const reason = gaveUp();
    if (reason) throw new Error(reason);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.max(1000, deadline - performance.now()) });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      const answeredAt = performance.now();
      await client.end().catch(() => undefined);
      return answeredAt;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await client.end().catch(() => undefined);
      await sleep(10);
    }
  }
  throw new Error(`no answer to select 1 within ${Math.round(timeoutMs / 1000)} s (last error: ${lastError})`);
}

export interface RoundTripResult extends LatencySummary {
  /** CPU seconds the server process used during the timed loop, when measurable (ppg-dev only). */
  serverCpuSeconds: number | null;
}

/**
 * `count` sequential round trips of `sql` (simple protocol: no parameters) on one connection, after `warmup`
 * untimed ones (and at least `warmupMs` of them), after running `setup` once. `sqlFor(i)` may vary the statement (point selects); latencies are per round trip.
 */
export async function sequentialRoundTrips(
  url: string, count: number, sqlFor: (i: number) => string,
  options: { warmup?: number; warmupMs?: number; setup?: string; serverCpu?: () => number | null } = {},
): Promise<RoundTripResult> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    if (options.setup) await client.query(options.setup);
    const warmUntil = performance.now() + (options.warmupMs ?? 0);
    for (let i = 0; i < (options.warmup ?? 200) || performance.now() < warmUntil; i++) await client.query(sqlFor(i % count));
    const samples = new Array<number>(count);
    const cpuBefore = options.serverCpu?.() ?? null;
    for (let i = 0; i < count; i++) {
      const sql = sqlFor(i);
      const started = performance.now();
      await client.query(sql);
      samples[i] = performance.now() - started;
    }
    const cpuAfter = options.serverCpu?.() ?? null;
    return { ...summarizeLatencies(samples), serverCpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null };
  } finally {
    await client.end().catch(() => undefined);
  }
}
