import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { measureCancel, type CancelTimes } from './cancel-latency.js';
import { initNativeCluster, startNativeServer, type NativeInstall } from './native-postgres.js';
import { runPgbench, type PgbenchRun, type PgbenchWorkload } from './pgbench-runner.js';
import { sequentialRoundTrips } from './pg-round-trips.js';
import { startPpgServer } from './ppg-server-process.js';
import { removeTempDir } from './cleanup.js';
import type { LatencySummary } from './stats.js';

/** Start-up times of one round, in milliseconds from spawn until `select 1` is answered. */
export interface StartupTimes {
  ppgColdMs: number | null;
  ppgWarmMs: number | null;
  nativeColdMs: number | null;
  nativeInitdbMs: number | null;
  nativeWarmMs: number | null;
}

/** Every figure is taken on ppg-dev, then immediately on native (interleaved). */
export type Side = 'ppg' | 'native';

/** Runs `fn`; on failure records "<label>: <message>" and returns null, so one broken part never stops the bench. */
export type Attempt = <T>(label: string, fn: () => Promise<T>) => Promise<T | null>;

export interface PhaseContext {
  tempDir: string;
  templateCacheDir: string;
  native: NativeInstall | null;
  attempt: Attempt;
  /** Records a failure that still produced a (partial) result. */
  fail: (label: string, message: string) => void;
}

/** Cold start (new data dir) then warm start (same dir), ppg-dev and native interleaved; dirs removed afterwards. */
export async function measureStartup(ctx: PhaseContext, round: number): Promise<StartupTimes> {
  const ppgRoot = path.join(ctx.tempDir, 'ppg', `startup-${round}`);
  const nativeParent = path.join(ctx.tempDir, 'native', `startup-${round}`);
  const nativeData = path.join(nativeParent, 'data');
  const times: StartupTimes = { ppgColdMs: null, ppgWarmMs: null, nativeColdMs: null, nativeInitdbMs: null, nativeWarmMs: null };
  const ppgStart = async (): Promise<number> => {
    const server = await startPpgServer(ppgRoot, ctx.templateCacheDir);
    await server.stop();
    return server.startMs;
  };
  const nativeStart = async (): Promise<number> => {
    const server = await startNativeServer(ctx.native as NativeInstall, nativeData, nativeParent);
    await server.stop();
    return server.startMs;
  };
  times.ppgColdMs = await ctx.attempt(`round ${round} ppg-dev cold start`, ppgStart);
  if (ctx.native) {
    await ctx.attempt(`round ${round} native cold start`, async () => {
      await mkdir(nativeParent, { recursive: true });
      times.nativeInitdbMs = await initNativeCluster(ctx.native as NativeInstall, nativeData);
      times.nativeColdMs = times.nativeInitdbMs + (await nativeStart());
    });
  }
  if (times.ppgColdMs !== null) times.ppgWarmMs = await ctx.attempt(`round ${round} ppg-dev warm start`, ppgStart);
  if (times.nativeColdMs !== null) times.nativeWarmMs = await ctx.attempt(`round ${round} native warm start`, nativeStart);
  removeTempDir(ppgRoot);
  removeTempDir(nativeParent);
  return times;
}

export interface SideUrls {
  ppg: string | null;
  native: string | null;
}

/** `measure` on ppg-dev, then on native (each side that has a server); a failed side is null. */
async function eachSide<T>(ctx: PhaseContext, urls: SideUrls, label: (side: Side) => string, measure: (url: string) => Promise<T>): Promise<Record<Side, T | null>> {
  const result: Record<Side, T | null> = { ppg: null, native: null };
  for (const side of ['ppg', 'native'] as const) {
    const url = urls[side];
    if (url) result[side] = await ctx.attempt(label(side), () => measure(url));
  }
  return result;
}

/** `count` sequential `select 1` round trips on one connection, ppg-dev then native. */
export function measureSelect1(ctx: PhaseContext, urls: SideUrls, count: number, round: number): Promise<Record<Side, LatencySummary | null>> {
  return eachSide(ctx, urls, (side) => `round ${round} ${side} select 1 ×${count}`, (url) => sequentialRoundTrips(url, count, () => 'select 1'));
}

/** `samples` cancels of a running statement (cancel-latency.ts), ppg-dev then native. */
export function measureCancels(ctx: PhaseContext, urls: SideUrls, samples: number, round: number): Promise<Record<Side, CancelTimes | null>> {
  return eachSide(ctx, urls, (side) => `round ${round} ${side} cancel ×${samples}`, (url) => measureCancel(url, samples));
}

/** Each pgbench workload on ppg-dev, then on native. */
export async function measurePgbench(
  ctx: PhaseContext, pgbench: string, urls: SideUrls, workloads: readonly PgbenchWorkload[], durationSeconds: number, round: number,
): Promise<Record<string, Record<Side, PgbenchRun | null>>> {
  const results: Record<string, Record<Side, PgbenchRun | null>> = {};
  for (const workload of workloads) {
    const entry: Record<Side, PgbenchRun | null> = { ppg: null, native: null };
    for (const side of ['ppg', 'native'] as const) {
      const url = urls[side];
      if (!url) continue;
      const label = `round ${round} ${side} ${workload.label}`;
      const run = await ctx.attempt(label, () => runPgbench(pgbench, url, workload.args, (durationSeconds + 180) * 1000));
      if (run?.tail) ctx.fail(label, `pgbench exit ${run.exitCode}: ${run.tail}`);
      entry[side] = run;
    }
    results[workload.key] = entry;
  }
  return results;
}
