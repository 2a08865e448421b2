import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';
import type { InstanceRow } from '../../instances/list-instances.js';
import { resolveStateRoot } from '../../state/state-paths.js';

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatUptime(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

function renderTable(rows: InstanceRow[]): string[] {
  const header = ['NAME', 'STATUS', 'PORT', 'PID', 'UPTIME', 'SIZE', 'URL', 'PROJECT'];
  const cells = rows.map((row) => [
    row.name,
    row.status,
    row.port === null ? '-' : String(row.port),
    row.pid === null ? '-' : String(row.pid),
    formatUptime(row.uptimeSeconds),
    formatBytes(row.dataBytes),
    row.url ?? '-',
    row.projectDir ?? '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)));
  return [header, ...cells].map((line) =>
    line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '),
  );
}

export function registerDevLs(dev: Command, io: CliIo): void {
  dev
    .command('ls')
    .alias('list')
    .description('list every instance with its status (running, starting, stopped, crashed)')
    .option('--json', 'print a JSON array (stable field names) for scripts')
    .action(async (options: { json?: boolean }) => {
      const { listInstances } = await import('../../instances/list-instances.js');
      const listing = await listInstances(resolveStateRoot(io.env));
      for (const problem of listing.problems) {
        writeLine(io.stderr, `warning: ${problem.name}: ${problem.message}`);
      }
      if (options.json) {
        writeLine(io.stdout, JSON.stringify(listing.rows, null, 2));
        return;
      }
      if (listing.rows.length === 0) {
        writeLine(io.stderr, 'no instances yet; start one with: ppg dev');
        return;
      }
      for (const line of renderTable(listing.rows)) writeLine(io.stdout, line);
    });
}
