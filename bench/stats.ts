/** Small statistics helpers for the benchmark. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Nearest-rank percentile, p in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  medianMs: number;
  p95Ms: number;
}

export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  return { count: samplesMs.length, meanMs: mean(samplesMs), medianMs: median(samplesMs), p95Ms: percentile(samplesMs, 95) };
}

/** Median of the non-null values, null when there are none. */
export function medianOf(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  return present.length ? median(present) : null;
}
