/**
 * Parses the summary pgbench (15+) prints at the end of a run. Pure, so it can be tested on captured output.
 */
export interface PgbenchResult {
  /** `tps = …` (without initial connection time); null when pgbench printed none (aborted run). */
  tps: number | null;
  /** `number of transactions actually processed: N` (the N before any `/total`). */
  processed: number | null;
  /** `number of failed transactions: N`; null on pgbench versions that do not print it. */
  failed: number | null;
  /** `latency average = X ms`. */
  latencyAvgMs: number | null;
  /** How many `client N … aborted` lines pgbench printed. */
  abortedClients: number;
  /** pgbench said "Run was aborted; the above results are incomplete." */
  runAborted: boolean;
  /** The `pgbench: error:` lines, for the report. */
  errors: string[];
}

function numberAfter(text: string, pattern: RegExp): number | null {
  const match = pattern.exec(text);
  if (!match?.[1]) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : null;
}

export function parsePgbenchOutput(output: string): PgbenchResult {
  const errors = output.split('\n').map((line) => line.trim()).filter((line) => /^pgbench: (error|fatal):/.test(line));
  return {
    tps: numberAfter(output, /^tps = ([\d.]+)/m),
    processed: numberAfter(output, /^number of transactions actually processed: (\d+)/m),
    failed: numberAfter(output, /^number of failed transactions: (\d+)/m),
    latencyAvgMs: numberAfter(output, /^latency average = ([\d.]+) ms/m),
    abortedClients: errors.filter((line) => /client \d+ .*aborted/.test(line)).length,
    runAborted: /Run was aborted/.test(output),
    errors,
  };
}
