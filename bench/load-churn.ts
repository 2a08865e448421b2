/**
 * `npm run bench -- --load`: many connections running short read-write transactions while a chaos loop kills
 * random clients in the middle of a transaction or a COPY. Afterwards every acknowledged commit must be there,
 * nothing that was never committed may be, and the totals must agree. Reports throughput, latency, and for a
 * ppg-dev server its RSS and open descriptors before and after (they must come back down).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { percentile } from './stats.js';

export interface LoadChurnOptions {
  url: string;
  /** The server process, for RSS and descriptor counts; null for native PostgreSQL (many processes). */
  pid: number | null;
  seconds: number;
  clients: number;
  /** Clients that run COPY FROM STDIN batches instead of transactions. */
  copyClients: number;
  /** How often the chaos loop kills a random client. */
  killEveryMs: number;
}

export interface LoadChurnResult {
  commits: number;
  copies: number;
  killed: number;
  errors: number;
  tps: number;
  p50Ms: number;
  p99Ms: number;
  rssBeforeMiB: number | null;
  rssAfterMiB: number | null;
  fdsBefore: number | null;
  fdsAfter: number | null;
  /** Seconds from the last client leaving until the server's sockets were back at their count before the run. */
  settleSeconds: number | null;
  /** Broken invariants; empty when the data is exactly what was acknowledged. */
  violations: string[];
}

const COPY_BATCH_ROWS = 500;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
}

/** Open sockets of the process (files are not counted: PGlite opens relation files as tables grow). */
function fdCount(pid: number): number {
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed meanwhile
    }
  }
  return sockets;
}

function socketOf(client: pg.Client): { destroy(): void } {
  return (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream;
}

/** One worker's connection; replaced by a new one whenever the chaos loop kills it. */
interface Worker {
  client: pg.Client | null;
  /** What the worker is doing, so the chaos loop's kill lands "mid-transaction" or "mid-COPY". */
  busy: boolean;
}

export async function runLoadChurn(options: LoadChurnOptions): Promise<LoadChurnResult> {
  const setup = new pg.Client({ connectionString: options.url });
  await setup.connect();
  await setup.query(`
    drop table if exists churn_ledger, churn_totals, churn_copied;
    create table churn_ledger (worker int, seq int, amount int, primary key (worker, seq));
    create table churn_totals (worker int primary key, total bigint not null);
    create table churn_copied (batch text, n int);
    insert into churn_totals select g, 0 from generate_series(0, ${options.clients - 1}) g;`);

  // Acknowledged: the COMMIT (or COPY) answered. In doubt: sent, but the client was killed before the answer.
  const acked = new Map<string, number>();
  const inDoubt = new Set<string>();
  const neverCommitted = new Set<string>();
  const ackedBatches = new Set<string>();
  const doubtBatches = new Set<string>();
  const latencies: number[] = [];
  let killed = 0;
  let errors = 0;

  const before = options.pid === null ? null : { rss: rssMiB(options.pid), fds: fdCount(options.pid) };
  const deadline = Date.now() + options.seconds * 1000;
  const workers: Worker[] = Array.from({ length: options.clients + options.copyClients }, () => ({ client: null, busy: false }));

  async function connect(worker: Worker): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: options.url });
    client.on('error', () => undefined);
    await client.connect();
    worker.client = client;
    return client;
  }

  async function transactions(index: number): Promise<void> {
    const worker = workers[index]!;
    let seq = 0;
    while (Date.now() < deadline) {
      const client = worker.client ?? await connect(worker).catch(() => null);
      if (!client) continue;
      const key = `${index}:${++seq}`;
      const amount = 1 + (seq % 97);
      let stage: 'before' | 'commit-sent' = 'before';
      const started = performance.now();
      try {
        worker.busy = true;
        await client.query('begin');
        await client.query('insert into churn_ledger values ($1, $2, $3)', [index, seq, amount]);
        await client.query('update churn_totals set total = total + $2 where worker = $1', [index, amount]);
        stage = 'commit-sent';
        await client.query('commit');
        acked.set(key, amount);
        latencies.push(performance.now() - started);
      } catch {
        errors++;
        (stage === 'commit-sent' ? inDoubt : neverCommitted).add(key);
        worker.client = null;
        await client.end().catch(() => undefined);
      } finally {
        worker.busy = false;
      }
    }
  }

  async function copies(index: number): Promise<void> {
    const worker = workers[index]!;
    let batch = 0;
    while (Date.now() < deadline) {
      const client = worker.client ?? await connect(worker).catch(() => null);
      if (!client) continue;
      const name = `${index}:${++batch}`;
      let sent = false;
      try {
        worker.busy = true;
        const rows = Array.from({ length: COPY_BATCH_ROWS }, (_, n) => `${name}\t${n}\n`).join('');
        const stream = client.query(copyStreams.from('copy churn_copied from stdin'));
        const source = Readable.from([rows]);
        // Once the data is handed over, CopyDone follows at once: from then on the outcome is in doubt.
        source.on('end', () => (sent = true));
        await pipeline(source, stream);
        ackedBatches.add(name);
      } catch {
        errors++;
        if (sent) doubtBatches.add(name);
        worker.client = null;
        await client.end().catch(() => undefined);
      } finally {
        worker.busy = false;
      }
    }
  }

  const chaos = (async () => {
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, options.killEveryMs));
      const busy = workers.filter((w) => w.busy && w.client);
      const victim = busy[Math.floor(Math.random() * busy.length)];
      if (victim?.client) {
        socketOf(victim.client).destroy();
        killed++;
      }
    }
  })();

  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: options.clients }, (_, i) => transactions(i)),
    ...Array.from({ length: options.copyClients }, (_, i) => copies(options.clients + i)),
    chaos,
  ]);
  const elapsedSeconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.client?.end().catch(() => undefined)));

  const violations: string[] = [];
  const rows = (await setup.query<{ worker: number; seq: number; amount: number }>('select worker, seq, amount from churn_ledger')).rows;
  const present = new Map(rows.map((r) => [`${r.worker}:${r.seq}`, r.amount]));
  for (const [key, amount] of acked) if (present.get(key) !== amount) violations.push(`acknowledged commit ${key} is missing`);
  for (const key of present.keys()) {
    if (!acked.has(key) && !inDoubt.has(key)) violations.push(`row ${key} is there but its COMMIT was never sent`);
  }
  for (const key of neverCommitted) if (present.has(key)) violations.push(`row ${key} was rolled back by a kill but is there`);
  const totals = (await setup.query<{ worker: number; total: string }>('select worker, total::text from churn_totals')).rows;
  const sums = new Map<number, number>();
  for (const r of rows) sums.set(r.worker, (sums.get(r.worker) ?? 0) + r.amount);
  for (const t of totals) if (Number(t.total) !== (sums.get(t.worker) ?? 0)) violations.push(`worker ${t.worker}: total ${t.total} but ledger sums to ${sums.get(t.worker) ?? 0}`);
  const batches = (await setup.query<{ batch: string; count: string }>('select batch, count(*)::text as count from churn_copied group by batch')).rows;
  const batchCounts = new Map(batches.map((b) => [b.batch, Number(b.count)]));
  for (const [batch, count] of batchCounts) {
    if (count !== COPY_BATCH_ROWS) violations.push(`COPY batch ${batch} has ${count} of ${COPY_BATCH_ROWS} rows`);
    if (!ackedBatches.has(batch) && !doubtBatches.has(batch)) violations.push(`COPY batch ${batch} is there but was never finished`);
  }
  for (const batch of ackedBatches) if (!batchCounts.has(batch)) violations.push(`acknowledged COPY batch ${batch} is missing`);
  await setup.end();

  let after: { rss: number; fds: number } | null = null;
  let settleSeconds: number | null = null;
  if (options.pid !== null && before) {
    // Sockets close as the server cleans up each departed client (rollback, deallocate: engine work, one
    // client at a time), so with hundreds of clients this takes seconds: wait for it, and report how long.
    const pid = options.pid;
    const settleStart = Date.now();
    while (fdCount(pid) > before.fds && Date.now() < settleStart + 60_000) await new Promise((resolve) => setTimeout(resolve, 100));
    settleSeconds = (Date.now() - settleStart) / 1000;
    after = { rss: rssMiB(pid), fds: fdCount(pid) };
    if (after.fds > before.fds) violations.push(`${after.fds - before.fds} sockets still open after every client left`);
  }

  return {
    commits: acked.size,
    copies: ackedBatches.size,
    killed,
    errors,
    tps: acked.size / elapsedSeconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    rssBeforeMiB: before?.rss ?? null,
    rssAfterMiB: after?.rss ?? null,
    fdsBefore: before?.fds ?? null,
    fdsAfter: after?.fds ?? null,
    settleSeconds,
    violations,
  };
}
