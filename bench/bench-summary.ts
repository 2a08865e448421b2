import type { Side, StartupTimes } from './bench-phases.js';
import type { CancelTimes } from './cancel-latency.js';
import type { PgbenchRun, PgbenchWorkload } from './pgbench-runner.js';
import { formatNumber, formatPercent, formatTable, rowCollector, verdict, type ReportRow } from './report-table.js';
import { medianOf, type LatencySummary } from './stats.js';
import type { RoundTripResult } from './pg-round-trips.js';
import type { WireOverheadCase } from './wire-overhead.js';
import type { WorkflowResult } from './workflow-bench.js';
import { addWorkflowRows } from './workflow-summary.js';

/** Turns per-round measurements into medians, ratios and target verdicts. */
export interface RoundResult {
  round: number;
  startup: StartupTimes | null;
  select1: Record<Side, LatencySummary | null> | null;
  cancel: Record<Side, CancelTimes | null> | null;
  pgbench: Record<string, Record<Side, PgbenchRun | null>> | null;
  wire: WireOverheadCase[] | null;
  /** The raw-frame client's `select 1` against native PostgreSQL: what TCP plus a native backend cost. */
  nativeRawSelect1: RoundTripResult | null;
}

export interface OneOffs {
  firstEverStartMs: number | null;
  pgbenchInitMs: Record<Side, number | null>;
}

const TARGETS = {
  selectOnlyC8: 0.5,
  tpcbC4: 0.8,
  select1Latency: 3,
  wireOverhead: 0.2,
  cancelToNextQueryMs: 500,
};

function both(values: (side: Side) => (number | null | undefined)[]): Record<Side, number | null> {
  return { ppg: medianOf(values('ppg')), native: medianOf(values('native')) };
}

/** Medians over the rounds of one figure of a per-side result (a round or side without it is left out). */
function perRound<T>(rounds: readonly RoundResult[], result: (r: RoundResult) => Record<Side, T | null> | null, pick: (t: T) => number): Record<Side, number | null> {
  return both((side) => rounds.map((r) => {
    const value = result(r)?.[side];
    return value ? pick(value) : null;
  }));
}

function ratio(values: Record<Side, number | null>): number | null {
  return values.ppg !== null && values.native ? values.ppg / values.native : null;
}

export interface BenchSummary {
  rows: ReportRow[];
  wireRows: string[][];
  /** Median figures by metric, for --json. */
  figures: Record<string, unknown>;
}

export function summarize(
  rounds: readonly RoundResult[], oneOffs: OneOffs, workloads: readonly PgbenchWorkload[], nativeLabel: string | null, workflow: WorkflowResult | null,
): BenchSummary {
  const { rows, figures, add: row } = rowCollector(nativeLabel !== null);

  for (const workload of workloads) {
    const tps = both((side) => rounds.map((r) => r.pgbench?.[workload.key]?.[side]?.tps));
    const failed = both((side) => rounds.map((r) => {
      const run = r.pgbench?.[workload.key]?.[side];
      return run ? (run.failed ?? 0) + run.abortedClients : null;
    }));
    const r = ratio(tps);
    if (workload.key === 'select-only-c8') {
      row(`${workload.label} (tps)`, tps, 0, `≥ ${TARGETS.selectOnlyC8}× native`, r === null ? null : r >= TARGETS.selectOnlyC8);
    } else if (workload.key === 'tpcb-like-c4') {
      row(`${workload.label} (tps)`, tps, 0, `≥ ${TARGETS.tpcbC4}× native`, r === null ? null : r >= TARGETS.tpcbC4);
      row('  failed tx + aborted clients', failed, 0, '0 on ppg-dev', failed.ppg === null ? null : failed.ppg === 0);
    } else {
      row(`${workload.label} (tps)`, tps, 0);
    }
  }

  const latency = (pick: (s: LatencySummary) => number) => perRound(rounds, (r) => r.select1, pick);
  const meanLatency = latency((s) => s.meanMs);
  const latencyRatio = ratio(meanLatency);
  row('select 1 round trip, mean (ms)', meanLatency, 3, `≤ ${TARGETS.select1Latency}× native`, latencyRatio === null ? null : latencyRatio <= TARGETS.select1Latency);
  row('select 1 round trip, median (ms)', latency((s) => s.medianMs), 3);
  row('select 1 round trip, p95 (ms)', latency((s) => s.p95Ms), 3);

  const cancel = (pick: (c: CancelTimes) => number) => perRound(rounds, (r) => r.cancel, pick);
  const nextQuery = cancel((c) => c.nextQueryMs);
  row('cancel 1 s into pg_sleep(60): 57014 arrives (ms)⁵', cancel((c) => c.errorMs), 0);
  row('  … the canceled client\'s next select 1 answered (ms)', nextQuery, 0, `≤ ${TARGETS.cancelToNextQueryMs} on ppg-dev`, nextQuery.ppg === null ? null : nextQuery.ppg <= TARGETS.cancelToNextQueryMs);

  const startup = (pick: (s: StartupTimes, side: Side) => number | null) => both((side) => rounds.map((r) => (r.startup ? pick(r.startup, side) : null)));
  row('cold start, new data dir (ms)¹', startup((s, side) => (side === 'ppg' ? s.ppgColdMs : s.nativeColdMs)), 0);
  row('warm start, same data dir (ms)', startup((s, side) => (side === 'ppg' ? s.ppgWarmMs : s.nativeWarmMs)), 0);
  row('pgbench -i -s 1 (ms)', oneOffs.pgbenchInitMs, 0);
  row('first start ever, builds template (ms)²', { ppg: oneOffs.firstEverStartMs, native: null }, 0);
  if (workflow) addWorkflowRows(row, workflow);

  const wireRows: string[][] = [];
  for (const query of ['select 1', 'point select'] as const) {
    const cases = rounds.flatMap((r) => r.wire?.filter((c) => c.query === query) ?? []);
    if (!cases.length) continue;
    const m = (pick: (c: WireOverheadCase) => number | null) => medianOf(cases.map(pick));
    const latencyOverhead = m((c) => c.latencyOverhead);
    const cpuOverhead = m((c) => c.serverCpuOverhead);
    const wireCpuUs = m((c) => (c.wire.serverCpuSeconds !== null ? (c.wire.serverCpuSeconds * 1e6) / c.wire.count : null));
    const target = `< ${TARGETS.wireOverhead * 100}%`;
    wireRows.push([
      query,
      formatNumber(m((c) => c.inProcess.medianUs), 0),
      formatNumber(m((c) => c.inProcessSync.medianUs), 0),
      formatNumber(m((c) => c.wire.medianMs * 1000), 0),
      formatPercent(latencyOverhead),
      formatNumber(m((c) => c.wirePg.medianMs * 1000), 0),
      formatNumber(m((c) => c.inProcess.cpuUsPerCall), 0),
      formatNumber(wireCpuUs, 0),
      formatPercent(cpuOverhead),
      target,
      `${verdict(latencyOverhead === null ? null : latencyOverhead < TARGETS.wireOverhead)} / ${verdict(cpuOverhead === null ? null : cpuOverhead < TARGETS.wireOverhead)}`,
    ]);
    figures[`wire overhead ${query}`] = {
      inProcessMedianUs: m((c) => c.inProcess.medianUs), inProcessSyncMedianUs: m((c) => c.inProcessSync.medianUs),
      wireMedianUs: m((c) => c.wire.medianMs * 1000), latencyOverhead, wirePgMedianUs: m((c) => c.wirePg.medianMs * 1000), inProcessCpuUs: m((c) => c.inProcess.cpuUsPerCall),
      serverCpuUsPerQuery: wireCpuUs, serverCpuOverhead: cpuOverhead, target,
      result: { latency: verdict(latencyOverhead === null ? null : latencyOverhead < TARGETS.wireOverhead), serverCpu: verdict(cpuOverhead === null ? null : cpuOverhead < TARGETS.wireOverhead) },
    };
  }
  const nativeRaw = medianOf(rounds.map((r) => (r.nativeRawSelect1 ? r.nativeRawSelect1.medianMs * 1000 : null)));
  if (nativeRaw !== null) figures['native raw select 1 median (µs)'] = nativeRaw;
  return { rows, wireRows, figures };
}

export function renderSummary(summary: BenchSummary, nativeLabel: string | null): string {
  const main = formatTable(
    ['metric', 'ppg-dev', nativeLabel ?? 'native (not run)', 'ppg÷native', 'target', 'result'],
    summary.rows.map((r) => [r.metric, r.ppg, r.native, r.ratio, r.target, r.verdict]),
  );
  const wire = summary.wireRows.length
    ? formatTable(
      ['wire overhead', 'in-proc µs', 'in-proc sync µs', 'wire µs', 'latency +', 'via pg µs', 'in-proc CPU µs', 'server CPU µs/q', 'CPU +', 'target', 'latency / CPU'],
      summary.wireRows,
    )
    : 'wire overhead: not measured';
  const nativeRaw = summary.figures['native raw select 1 median (µs)'] as number | undefined;
  const floor = nativeRaw !== undefined && summary.wireRows.length
    ? `\n(for scale: the same raw client's whole select 1 round trip to native PostgreSQL, TCP and backend included: median ${formatNumber(nativeRaw, 0)} µs)`
    : '';
  return `${main}\n\n${wire}${floor}`;
}
