/** Formats the benchmark summary as aligned text tables. */
export interface ReportRow {
  metric: string;
  ppg: string;
  native: string;
  ratio: string;
  target: string;
  verdict: string;
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRatio(ppg: number | null | undefined, native: number | null | undefined): string {
  if (ppg === null || ppg === undefined || native === null || native === undefined || !native) return 'n/a';
  return `${(ppg / native).toFixed(2)}×`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
}

export function verdict(ok: boolean | null): string {
  return ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL';
}

/** Plain text table: first column left-aligned, the rest right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells
    .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)))
    .join('  ')
    .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
