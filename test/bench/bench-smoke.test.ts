import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/bench-options.js';
import { parsePgbenchOutput } from '../../bench/pgbench-output.js';
import { formatTable, rowCollector } from '../../bench/report-table.js';
import { summarize, type RoundResult } from '../../bench/bench-summary.js';
import { percentile, summarizeLatencies } from '../../bench/stats.js';
import { warmHandoutVerdict } from '../../bench/workflow-summary.js';

// Outputs captured from real pgbench 15.18 runs against native PostgreSQL 15 on the dev machine.
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('pgbench output parser', () => {
  it('reads tps, processed, failed and latency from a select-only run', () => {
    expect(parsePgbenchOutput(fixture('pgbench-select-only.txt'))).toEqual({
      tps: 34164.401867, processed: 34004, failed: 0, latencyAvgMs: 0.059, abortedClients: 0, runAborted: false, errors: [],
    });
  });

  it('reads a tpcb-like run', () => {
    const result = parsePgbenchOutput(fixture('pgbench-tpcb-like.txt'));
    expect(result.tps).toBeCloseTo(4295.95476, 5);
    expect(result.failed).toBe(0);
    expect(result.abortedClients).toBe(0);
  });

  it('reports aborted clients and no tps when the run was aborted', () => {
    const result = parsePgbenchOutput(fixture('pgbench-aborted.txt'));
    expect(result.tps).toBeNull();
    expect(result.processed).toBe(0);
    expect(result.abortedClients).toBe(2);
    expect(result.runAborted).toBe(true);
    expect(result.errors[0]).toContain('division by zero');
  });
});

describe('bench options and helpers', () => {
  it('defaults to 10 s, 1 round; --quick gives 3 s; flags beat env', () => {
    expect(parseBenchOptions([], {})).toMatchObject({ durationSeconds: 10, rounds: 1, quick: false, json: false, native: true, roundTrips: 2000 });
    expect(parseBenchOptions(['--quick'], {})).toMatchObject({ durationSeconds: 3, quick: true });
    expect(parseBenchOptions(['--rounds', '3', '--json', '--duration=5'], { BENCH_ROUNDS: '7' })).toMatchObject({ rounds: 3, json: true, durationSeconds: 5 });
    expect(parseBenchOptions([], { BENCH_DURATION: '4', BENCH_NO_NATIVE: '1' })).toMatchObject({ durationSeconds: 4, native: false });
    expect(() => parseBenchOptions(['--bogus'], {})).toThrow(/unknown option/);
  });

  it('fills the workflow instance to 100 MB, 50 MB with --quick, unless told otherwise', () => {
    expect(parseBenchOptions([], {})).toMatchObject({ workflowDataMb: 100 });
    expect(parseBenchOptions(['--quick'], {})).toMatchObject({ workflowDataMb: 50 });
    expect(parseBenchOptions(['--quick', '--data-mb', '20'], {})).toMatchObject({ workflowDataMb: 20 });
    expect(parseBenchOptions([], { BENCH_DATA_MB: '30' })).toMatchObject({ workflowDataMb: 30 });
    expect(parseBenchOptions([], {})).toMatchObject({ workflowOnly: false });
    expect(parseBenchOptions(['--workflow'], {})).toMatchObject({ workflowOnly: true });
    expect(parseBenchOptions([], { BENCH_WORKFLOW: '1' })).toMatchObject({ workflowOnly: true });
  });

  it('warm hand-out target: at most 100 ms and faster than native CREATE DATABASE … TEMPLATE', () => {
    const cases: [number | null, number | null, boolean | null][] = [
      [2, 80, true],
      [90, 80, false],
      [120, 500, false],
      [120, null, false],
      [2, null, null],
      [null, 80, null],
    ];
    for (const [ppg, native, expected] of cases) expect(warmHandoutVerdict(ppg, native), `${ppg} vs ${native}`).toBe(expected);
  });

  it('rows carry the ratio ppg ÷ native and a verdict only when there is a target', () => {
    const { rows, figures, add } = rowCollector(true);
    add('a (ms)³', { ppg: 50, native: 100 }, 0, '≤ 1×', true);
    add('b (ms)', { ppg: 1, native: null }, 1);
    expect(rows).toEqual([
      { metric: 'a (ms)³', ppg: '50', native: '100', ratio: '0.50×', target: '≤ 1×', verdict: 'PASS' },
      { metric: 'b (ms)', ppg: '1.0', native: 'n/a', ratio: 'n/a', target: '', verdict: '' },
    ]);
    expect(figures['a (ms)']).toEqual({ ppg: 50, native: 100, ratio: 0.5, target: '≤ 1×', result: 'PASS' });
  });

  it('cancel rows: medians over rounds, and the next-query target judged on ppg-dev alone', () => {
    const round = (r: number, ppgNext: number): RoundResult => ({
      round: r, startup: null, select1: null, pgbench: null, wire: null, nativeRawSelect1: null,
      cancel: { ppg: { errorMs: 110, nextQueryMs: ppgNext, samples: 3 }, native: { errorMs: 2, nextQueryMs: 3, samples: 3 } },
    });
    const oneOffs = { firstEverStartMs: null, pgbenchInitMs: { ppg: null, native: null } };
    const next = (rounds: RoundResult[]) => summarize(rounds, oneOffs, [], 'native', null).figures["… the canceled client's next select 1 answered (ms)"];
    expect(next([round(1, 340), round(2, 900), round(3, 360)])).toMatchObject({ ppg: 360, native: 3, result: 'PASS' });
    expect(next([round(1, 640), round(2, 520)])).toMatchObject({ ppg: 580, result: 'FAIL' });
  });

  it('--load runs 60 s with 200 clients unless told otherwise', () => {
    expect(parseBenchOptions(['--load'], {})).toMatchObject({ load: true, durationSeconds: 60, clients: 200 });
    expect(parseBenchOptions(['--load', '--clients', '50', '--duration', '5'], {})).toMatchObject({ load: true, durationSeconds: 5, clients: 50 });
    expect(parseBenchOptions([], {})).toMatchObject({ load: false });
  });

  it('computes nearest-rank percentiles and aligns tables', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 95)).toBe(95);
    expect(summarizeLatencies([1, 2, 3, 10])).toMatchObject({ count: 4, meanMs: 4, medianMs: 2.5, p95Ms: 10 });
    expect(formatTable(['a', 'b'], [['x', '1'], ['yy', '22']]).split('\n')).toEqual(['a    b', '--  --', 'x    1', 'yy  22']);
  });
});
