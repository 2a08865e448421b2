/**
 * Child-process entry: the in-process baseline for the wire overhead. Opens PGlite on a data directory with the
 * start parameters ppg-dev's engine uses, loads a 100k-row pgbench_accounts, then times raw-protocol calls with no
 * network in between. Usage: node dist/bench/pglite-inprocess.js DATA_DIR COUNT
 * Prints one JSON line: { cases: { [name]: { count, meanUs, medianUs, cpuUsPerCall } } } or { error }.
 */
import { PGlite } from '@electric-sql/pglite';
import { accountIds, POINT_SELECT } from './point-select.js';
import { processCpuSeconds } from './processes.js';
import { mean, median } from './stats.js';

// Keep in step with LOW_MEMORY_PARAMS in src/server/engine.ts, so both sides run the same engine configuration.
const ENGINE_PARAMS = ['-c', 'shared_buffers=16MB', '-c', 'temp_buffers=1MB', '-c', 'work_mem=4MB', '-c', 'maintenance_work_mem=16MB', '-c', 'wal_buffers=1MB'];

function frame(type: string, body: Buffer): Uint8Array {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return new Uint8Array(Buffer.concat([header, body]));
}

export function queryFrame(sql: string): Uint8Array {
  return frame('Q', Buffer.from(`${sql}\0`, 'utf8'));
}

function startupFrame(): Uint8Array {
  const body = Buffer.from('user\0postgres\0database\0postgres\0\0', 'utf8');
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE(196608, 4);
  body.copy(out, 8);
  return new Uint8Array(out);
}

interface CaseResult {
  count: number;
  meanUs: number;
  medianUs: number;
  cpuUsPerCall: number;
}

/**
 * Warms up for `warmupMs` first: V8 tiers the WASM module up in background threads, whose CPU would otherwise be
 * billed to the timed loop (process-wide CPU time, like the server's /proc figure it is compared with).
 */
async function timeCase(count: number, call: (i: number) => unknown, warmupMs = 1000): Promise<CaseResult> {
  const warmUntil = performance.now() + warmupMs;
  for (let i = 0; performance.now() < warmUntil || i < 200; i++) await call(i % count);
  const samples = new Array<number>(count);
  const cpuBefore = processCpuSeconds('self') ?? 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call(i);
    samples[i] = (performance.now() - started) * 1000;
  }
  // Whole-process CPU, measured the same way as the server process' (bench/processes.ts).
  const cpuSeconds = (processCpuSeconds('self') ?? Number.NaN) - cpuBefore;
  return { count, meanUs: mean(samples), medianUs: median(samples), cpuUsPerCall: (cpuSeconds * 1e6) / count };
}

async function main(): Promise<void> {
  const [dataDir, countText] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: pglite-inprocess DATA_DIR COUNT');
  const count = Number(countText ?? 2000);
  const db = await PGlite.create({ dataDir, database: 'postgres', startParams: [...PGlite.defaultStartParams, ...ENGINE_PARAMS] });
  try {
    db.execProtocolRawSync(startupFrame());
    await db.exec(`
      drop table if exists pgbench_accounts;
      create table pgbench_accounts (aid int not null, bid int, abalance int, filler char(84)) with (fillfactor = 100);
      insert into pgbench_accounts select aid, 1, 0, '' from generate_series(1, 100000) as aid;
      alter table pgbench_accounts add primary key (aid);
    `);
    await db.exec('vacuum analyze pgbench_accounts');
    const select1 = queryFrame('select 1');
    const points = accountIds(count).map((aid) => queryFrame(POINT_SELECT(aid)));
    const cases = {
      'select 1 execProtocolRaw': await timeCase(count, () => db.execProtocolRaw(select1), 2000),
      'select 1 execProtocolRawSync': await timeCase(count, () => db.execProtocolRawSync(select1)),
      'point select execProtocolRaw': await timeCase(count, (i) => db.execProtocolRaw(points[i] as Uint8Array)),
      'point select execProtocolRawSync': await timeCase(count, (i) => db.execProtocolRawSync(points[i] as Uint8Array)),
    };
    process.stdout.write(`${JSON.stringify({ cases })}\n`);
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
