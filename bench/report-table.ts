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

/** A figure on both sides; null where it was not measured. */
export interface SideValues {
  ppg: number | null;
  native: number | null;
}

/**
 * Collects the main table's rows and, under the same names, the figures for --json. A row with a target gets a
 * PASS/FAIL/n/a verdict; the ratio is ppg-dev ÷ native.
 */
export function rowCollector(hasNative: boolean): {
  rows: ReportRow[];
  figures: Record<string, unknown>;
  add: (metric: string, values: SideValues, digits: number, target?: string, ok?: boolean | null) => void;
} {
  const rows: ReportRow[] = [];
  const figures: Record<string, unknown> = {};
  const add = (metric: string, values: SideValues, digits: number, target = '', ok: boolean | null = null): void => {
    rows.push({
      metric, ppg: formatNumber(values.ppg, digits), native: hasNative ? formatNumber(values.native, digits) : '—',
      ratio: hasNative ? formatRatio(values.ppg, values.native) : '—', target, verdict: target ? verdict(ok) : '',
    });
    const ratio = values.ppg !== null && values.native ? values.ppg / values.native : null;
    figures[metric.trim().replace(/[¹²³⁴]/g, '')] = { ...values, ratio, ...(target ? { target, result: verdict(ok) } : {}) };
  };
  return { rows, figures, add };
}
