import { fileURLToPath } from 'node:url';
import { sequentialRoundTrips, type RoundTripResult } from './pg-round-trips.js';
import { accountIds, POINT_SELECT } from './point-select.js';
import { runCommand } from './processes.js';
import { rawRoundTrips } from './raw-wire-client.js';

/**
 * "The wire layer adds < 20% over calling PGlite in-process for the same queries": the same statements, one at a
 * time, in a PGlite child process (bench/pglite-inprocess.ts) and over TCP through ppg-dev's server.
 */
const INPROCESS_SCRIPT = fileURLToPath(new URL('./pglite-inprocess.js', import.meta.url));

export interface InProcessCase {
  count: number;
  meanUs: number;
  medianUs: number;
  cpuUsPerCall: number;
}

export interface WireOverheadCase {
  query: 'select 1' | 'point select';
  inProcess: InProcessCase;
  inProcessSync: InProcessCase;
  /** Minimal raw-frame client (bench/raw-wire-client.ts): server + TCP. Server CPU is measured during this loop. */
  wire: RoundTripResult;
  /** The same through the `pg` client (adds its parsing and promise machinery). */
  wirePg: RoundTripResult;
  /** Median raw wire round trip ÷ median in-process execProtocolRaw call, minus 1. */
  latencyOverhead: number;
  /** Server-process CPU per wire query ÷ in-process CPU per execProtocolRaw call, minus 1 (null if unmeasurable). */
  serverCpuOverhead: number | null;
}

/** Runs the in-process loops in a fresh child on `dataDir` (a PGlite data dir nobody else has open). */
export async function measureInProcess(dataDir: string, count: number): Promise<Record<string, InProcessCase>> {
  const result = await runCommand(process.execPath, [INPROCESS_SCRIPT, dataDir, String(count)], { timeoutMs: 300_000 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let parsed: { cases?: Record<string, InProcessCase>; error?: string };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    throw new Error(`in-process PGlite child failed (${result.code ?? result.signal}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  if (!parsed.cases) throw new Error(`in-process PGlite child failed: ${parsed.error ?? 'no result'}`);
  return parsed.cases;
}

function pick(cases: Record<string, InProcessCase>, name: string): InProcessCase {
  const found = cases[name];
  if (!found) throw new Error(`in-process result lacks "${name}"`);
  return found;
}

/**
 * The wire half: the same statements one at a time over TCP, first with a raw-frame client (latency and server
 * CPU), then with `pg` (for reference); `serverCpu` reads the ppg-dev server process' CPU.
 */
export async function measureWireOverhead(
  url: string, count: number, inProcess: Record<string, InProcessCase>, serverCpu: () => number | null,
): Promise<WireOverheadCase[]> {
  const ids = accountIds(count);
  const results: WireOverheadCase[] = [];
  for (const query of ['select 1', 'point select'] as const) {
    const sqlFor = query === 'select 1' ? () => 'select 1' : (i: number) => POINT_SELECT(ids[i] as number);
    // Same warm-up as the in-process side; VACUUM drops dead versions earlier tpcb-like runs left in the table.
    const setup = query === 'point select' ? 'vacuum analyze pgbench_accounts' : undefined;
    const wire = await rawRoundTrips(url, count, sqlFor, { serverCpu, warmupMs: 1000, setup });
    const wirePg = await sequentialRoundTrips(url, count, sqlFor, { warmupMs: 300 });
    const base = pick(inProcess, `${query} execProtocolRaw`);
    const serverCpuPerQueryUs = wire.serverCpuSeconds !== null ? (wire.serverCpuSeconds * 1e6) / count : null;
    results.push({
      query,
      inProcess: base,
      inProcessSync: pick(inProcess, `${query} execProtocolRawSync`),
      wire,
      wirePg,
      latencyOverhead: (wire.medianMs * 1000) / base.medianUs - 1,
      serverCpuOverhead: serverCpuPerQueryUs !== null ? serverCpuPerQueryUs / base.cpuUsPerCall - 1 : null,
    });
  }
  return results;
}
