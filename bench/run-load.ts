/**
 * The `--load` mode of `npm run bench`: the load-and-churn run against a ppg-dev server and, when installed,
 * native PostgreSQL (max_connections raised to fit), one after the other, each in its own child process.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BenchOptions } from './bench-options.js';
import { runLoadChurn, type LoadChurnResult } from './load-churn.js';
import { findNativePostgres, handOver, initNativeCluster, startNativeServer } from './native-postgres.js';
import { startPpgServer } from './ppg-server-process.js';
import { formatNumber, formatRatio, formatTable } from './report-table.js';

export type Attempt = <T>(label: string, fn: () => Promise<T>) => Promise<T | null>;

export async function runLoadBench(options: BenchOptions, tempDir: string, attempt: Attempt, progress: (line: string) => void): Promise<string> {
  const load = { seconds: options.durationSeconds, clients: options.clients, copyClients: Math.max(1, Math.round(options.clients / 20)), killEveryMs: 50 };
  progress(`load: ${load.clients} transaction clients + ${load.copyClients} COPY clients for ${load.seconds} s, a random busy client killed every ${load.killEveryMs} ms`);
  const ppg = await attempt('load against ppg-dev', async () => {
    const server = await startPpgServer(path.join(tempDir, 'ppg', 'load'), path.join(tempDir, 'ppg', 'templates'), 300_000);
    try {
      return await runLoadChurn({ url: server.url, pid: server.pid, ...load });
    } finally {
      await server.stop();
    }
  });
  let native: LoadChurnResult | null = null;
  const found = options.native ? findNativePostgres() : { missing: 'skipped (--no-native)' };
  if ('missing' in found) {
    progress(`native PostgreSQL: ${found.missing}`);
  } else {
    native = await attempt('load against native PostgreSQL', async () => {
      const parent = path.join(tempDir, 'native', 'load');
      await mkdir(parent, { recursive: true });
      handOver(found, path.join(tempDir, 'native'));
      await initNativeCluster(found, path.join(parent, 'data'));
      const server = await startNativeServer(found, path.join(parent, 'data'), parent, 60_000, [`max_connections=${load.clients + load.copyClients + 20}`]);
      try {
        return await runLoadChurn({ url: server.url, pid: null, ...load });
      } finally {
        await server.stop();
      }
    });
  }
  const row = (label: string, pick: (r: LoadChurnResult) => number | null, digits = 0, ratio = true): string[] => [
    label, formatNumber(ppg ? pick(ppg) : null, digits), formatNumber(native ? pick(native) : null, digits),
    ratio && ppg && native ? formatRatio(pick(ppg), pick(native)) : '',
  ];
  const table = formatTable(['load and churn', 'ppg-dev', 'native', 'ratio'], [
    row('acknowledged commits', (r) => r.commits, 0, false),
    row('COPY batches acknowledged', (r) => r.copies, 0, false),
    row('clients killed', (r) => r.killed, 0, false),
    row('commits / s', (r) => r.tps, 0),
    row('latency p50 (ms)', (r) => r.p50Ms, 1),
    row('latency p99 (ms)', (r) => r.p99Ms, 1),
    row('server RSS before (MiB)', (r) => r.rssBeforeMiB, 0, false),
    row('server RSS after (MiB)', (r) => r.rssAfterMiB, 0, false),
    row('server sockets before', (r) => r.fdsBefore, 0, false),
    row('server sockets after', (r) => r.fdsAfter, 0, false),
    row('seconds until sockets back', (r) => r.settleSeconds, 1, false),
  ]);
  const verdicts = [ppg && ['ppg-dev', ppg] as const, native && ['native', native] as const].filter((v) => !!v).map(([label, r]) =>
    r.violations.length === 0
      ? `${label}: every acknowledged commit and COPY is there, nothing unfinished is, totals agree.`
      : `${label}: ${r.violations.length} VIOLATIONS:\n${r.violations.slice(0, 20).map((v) => `  - ${v}`).join('\n')}`);
  return [table, '', ...verdicts].join('\n');
}
