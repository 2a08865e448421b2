import type { SideValues } from './report-table.js';
import { medianOf } from './stats.js';
import type { WorkflowResult } from './workflow-bench.js';

/** Issue #11's targets for the workflow figures, in milliseconds. */
export const WORKFLOW_TARGETS = {
  warmHandoutMs: 100,
  resetMs: 1_000,
  restoreMs: 1_000,
  branchMs: 1_500,
};

type AddRow = (metric: string, values: SideValues, digits: number, target?: string, ok?: boolean | null) => void;

const ppgOnly = (samples: readonly number[]): SideValues => ({ ppg: medianOf(samples), native: null });

function atMost(value: number | null, limit: number): boolean | null {
  return value === null ? null : value <= limit;
}

/**
 * Warm hand-out: ≤ 100 ms and faster than native CREATE DATABASE … TEMPLATE. Over 100 ms fails on its own;
 * within it, the verdict needs the native figure (n/a without one).
 */
export function warmHandoutVerdict(ppg: number | null, nativeCreate: number | null): boolean | null {
  if (ppg === null) return null;
  if (ppg > WORKFLOW_TARGETS.warmHandoutMs) return false;
  return nativeCreate === null ? null : ppg < nativeCreate;
}

/** The rows for test-database hand-out (³) and the instance workflow (⁴), medians over all samples. */
export function addWorkflowRows(row: AddRow, workflow: WorkflowResult): void {
  const { statements, coldHandoutMs, warmHandoutMs } = workflow.testDb;
  const nativeCreate = medianOf(statements.native.createMs);
  const warm = medianOf(warmHandoutMs);
  row('test db hand-out, warm pool, median (ms)³', { ppg: warm, native: nativeCreate }, 1,
    `≤ ${WORKFLOW_TARGETS.warmHandoutMs} ms and < native`, warmHandoutVerdict(warm, nativeCreate));
  row('test db hand-out, cold (ms)³', { ppg: medianOf(coldHandoutMs), native: nativeCreate }, 1);
  const both = (pick: (s: typeof statements.ppg) => number[]): SideValues => ({ ppg: medianOf(pick(statements.ppg)), native: medianOf(pick(statements.native)) });
  row('  CREATE DATABASE … TEMPLATE (ms)', both((s) => s.createMs), 1);
  row('  connect + first query on the copy (ms)', both((s) => s.firstQueryMs), 1);
  row('  DROP DATABASE (ms)', both((s) => s.dropMs), 1);

  const size = workflow.instance ? `${Math.round(workflow.instance.dataBytes / 1024 / 1024)} MB` : `${workflow.targetMb} MB`;
  const { samples } = workflow;
  const reset = medianOf(samples.resetMs);
  const restore = medianOf(samples.restoreRunningMs);
  const branch = medianOf(samples.branchMs);
  row(`ppg dev reset, running, ${size} (ms)⁴`, ppgOnly(samples.resetMs), 0, `≤ ${WORKFLOW_TARGETS.resetMs} ms`, atMost(reset, WORKFLOW_TARGETS.resetMs));
  row(`snapshot restore ${size}, running (ms)⁴`, ppgOnly(samples.restoreRunningMs), 0, `≤ ${WORKFLOW_TARGETS.restoreMs} ms`, atMost(restore, WORKFLOW_TARGETS.restoreMs));
  row(`branch of a running ${size} instance (ms)⁴`, ppgOnly(samples.branchMs), 0, `≤ ${WORKFLOW_TARGETS.branchMs} ms`, atMost(branch, WORKFLOW_TARGETS.branchMs));
  const restoreStopped = medianOf(samples.restoreStoppedMs);
  row(`  snapshot restore ${size}, stopped, no restart (ms)⁴`, ppgOnly(samples.restoreStoppedMs), 0, `≤ ${WORKFLOW_TARGETS.restoreMs} ms`, atMost(restoreStopped, WORKFLOW_TARGETS.restoreMs));
  row(`  snapshot save ${size}, running (ms)⁴`, { ppg: workflow.instance?.saveMs ?? null, native: null }, 0);
  row('  ppg dev stop + ppg dev start (ms)⁴', ppgOnly(samples.restartMs), 0);
}
