import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Attempt } from './bench-phases.js';
import { waitUntilAnswering } from './pg-round-trips.js';
import { printedUrl, type PpgCli } from './ppg-cli.js';

/**
 * `ppg dev reset`, `snapshot save/restore` and `branch`, each run with the built CLI on a running instance
 * that holds about `targetMb` of data, timed from spawning the command until a new connection answers
 * `select 1` (the command itself returns once the daemon accepts connections; the poll adds ≤ 10 ms).
 */
export interface WorkflowInstance {
  name: string;
  url: string;
  /** Size of the instance's data/ folder after filling it (what a snapshot copies). */
  dataBytes: number;
  rows: number;
  /** `snapshot save` of the filled, running instance, to its first query. */
  saveMs: number;
}

export interface WorkflowSamples {
  restartMs: number[];
  branchMs: number[];
  resetMs: number[];
  restoreStoppedMs: number[];
  restoreRunningMs: number[];
}

export function emptyWorkflowSamples(): WorkflowSamples {
  return { restartMs: [], branchMs: [], resetMs: [], restoreStoppedMs: [], restoreRunningMs: [] };
}

const INSTANCE = 'bench-wf';
const SNAPSHOT = 'base';
const MB = 1024 * 1024;
/** ~5 MB of rows (plus their WAL) per step, so the size lands within about 10 MB of the target. */
const ROWS_PER_BATCH = 5_000;
const FIRST_QUERY_TIMEOUT_MS = 60_000;

async function treeBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `ppg <args>` and waits for the first answer on the URL it printed; milliseconds from spawn. */
async function toFirstQuery(cli: PpgCli, args: readonly string[], fallbackUrl: string): Promise<{ ms: number; url: string }> {
  const started = performance.now();
  const url = printedUrl(await cli.run(args), fallbackUrl);
  return { ms: (await waitUntilAnswering(url, FIRST_QUERY_TIMEOUT_MS)) - started, url };
}

/** A timed figure is only kept when the command did what it says: the data is there (or gone). */
async function expectRows(url: string, rows: number | null, what: string): Promise<void> {
  const [table] = await query<{ oid: string | null }>(url, "SELECT to_regclass('filler')::text AS oid");
  const found = table?.oid == null ? null : Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM filler'))[0]?.n);
  if (found !== rows) throw new Error(`${what}: expected ${rows ?? 'no'} filler rows, found ${found ?? 'no table'}`);
}

/**
 * Starts the workflow instance, fills it with 1 KB rows of md5 text (below the TOAST threshold, so nothing
 * is compressed and the bytes on disk are real) until its data/ folder holds `targetMb`, and saves snapshot
 * `base` of it.
 */
export async function prepareWorkflowInstance(cli: PpgCli, targetMb: number): Promise<WorkflowInstance> {
  const url = printedUrl(await cli.run(['dev', '--detach', '--name', INSTANCE]), '');
  if (!url) throw new Error(`ppg dev --detach --name ${INSTANCE} printed no URL`);
  const dataDir = path.join(cli.home, 'instances', INSTANCE, 'data');
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  let rows = 0;
  let dataBytes = 0;
  try {
    await client.query('CREATE TABLE filler (id int PRIMARY KEY, pad text NOT NULL)');
    for (;;) {
      await client.query('CHECKPOINT'); // the files on disk are what a snapshot copies
      dataBytes = await treeBytes(dataDir);
      if (dataBytes >= targetMb * MB) break;
      await client.query(`INSERT INTO filler SELECT g, repeat(md5(g::text), 32) FROM generate_series(${rows + 1}, ${rows + ROWS_PER_BATCH}) g`);
      rows += ROWS_PER_BATCH;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  const save = await toFirstQuery(cli, ['dev', 'snapshot', 'save', SNAPSHOT, '--name', INSTANCE], url);
  return { name: INSTANCE, url, dataBytes, rows, saveMs: save.ms };
}

/**
 * One repetition, each step starting from the state the previous one left: stop + start (the restart that
 * reset, restore and branch all contain), branch (removed again), reset, restore onto the stopped instance
 * (the copy alone, no daemon), restore onto the running instance. Every step ends with the instance
 * running and holding the snapshot's rows, except reset, which the stopped restore undoes.
 */
export async function measureWorkflowRepeat(cli: PpgCli, instance: WorkflowInstance, samples: WorkflowSamples, repeat: number, attempt: Attempt): Promise<void> {
  const { name, url, rows } = instance;
  const keep = (list: number[], ms: number | null): void => {
    if (ms !== null) list.push(ms);
  };
  const label = (what: string) => `workflow ${repeat}: ${what}`;

  keep(samples.restartMs, await attempt(label('stop + start'), async () => {
    const started = performance.now();
    await cli.run(['dev', 'stop', name]);
    await cli.run(['dev', 'start', name]);
    return (await waitUntilAnswering(url, FIRST_QUERY_TIMEOUT_MS)) - started;
  }));

  keep(samples.branchMs, await attempt(label('branch of the running instance'), async () => {
    const branch = `${name}-branch-${repeat}`;
    try {
      const made = await toFirstQuery(cli, ['dev', 'branch', name, branch], '');
      await expectRows(made.url, rows, 'branch');
      return made.ms;
    } finally {
      await cli.run(['dev', 'rm', branch, '--force', '--yes']).catch(() => undefined);
    }
  }));

  keep(samples.resetMs, await attempt(label('reset of the running instance'), async () => {
    const reset = await toFirstQuery(cli, ['dev', 'reset', name, '--yes'], url);
    await expectRows(url, null, 'reset');
    return reset.ms;
  }));

  keep(samples.restoreStoppedMs, await attempt(label('snapshot restore, instance stopped'), async () => {
    await cli.run(['dev', 'stop', name]);
    const restored = await cli.run(['dev', 'snapshot', 'restore', SNAPSHOT, '--name', name, '--yes']);
    await cli.run(['dev', 'start', name]);
    await expectRows(url, rows, 'restore of the stopped instance');
    return restored.ms;
  }));

  keep(samples.restoreRunningMs, await attempt(label('snapshot restore, instance running'), async () => {
    const restored = await toFirstQuery(cli, ['dev', 'snapshot', 'restore', SNAPSHOT, '--name', name, '--yes'], url);
    await expectRows(url, rows, 'restore of the running instance');
    return restored.ms;
  }));
}
