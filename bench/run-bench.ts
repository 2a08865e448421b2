/**
 * `npm run bench`: ppg-dev's wire server against native PostgreSQL (when installed), interleaved, plus the wire
 * layer's overhead over in-process PGlite. Options: see bench-options.ts. Always exits 0 (Ctrl-C: 130); failed
 * parts are listed at the end. Every server runs in its own child process; everything is cleaned up.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBenchOptions, USAGE, type BenchOptions } from './bench-options.js';
import { measureCancels, measurePgbench, measureSelect1, measureStartup, type PhaseContext, type SideUrls } from './bench-phases.js';
import { renderSummary, summarize, type OneOffs, type RoundResult } from './bench-summary.js';
import { cleanupAll, cleanupOnSignals, isStopping, trackTempDir } from './cleanup.js';
import { findNativePostgres, handOver, initNativeCluster, startNativeServer, type NativeInstall, type NativeServer } from './native-postgres.js';
import { findPgbench, initPgbench, pgbenchWorkloads } from './pgbench-runner.js';
import { startPpgServer, type PpgServerProcess } from './ppg-server-process.js';
import { rawRoundTrips } from './raw-wire-client.js';
import { runLoadBench } from './run-load.js';
import { measureInProcess, measureWireOverhead } from './wire-overhead.js';
import { measureWorkflow, type WorkflowResult } from './workflow-bench.js';

const failures: string[] = [];
/** Cancels per side and round: each takes a second or more. */
const CANCEL_SAMPLES = 3;

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function fail(label: string, message: string): void {
  if (isStopping()) return;
  failures.push(`${label}: ${message}`);
  progress(`FAILED ${label}: ${message}`);
}

async function attempt<T>(label: string, fn: () => Promise<T>): Promise<T | null> {
  if (isStopping()) return null;
  progress(`${label}…`);
  try {
    return await fn();
  } catch (error) {
    fail(label, error instanceof Error ? error.message : String(error));
    return null;
  }
}

async function run(options: BenchOptions): Promise<void> {
  const loadBefore = os.loadavg();
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'ppg-bench-'));
  trackTempDir(tempDir);
  chmodSync(tempDir, 0o755); // native PostgreSQL (another user when we are root) works in a subfolder
  if (options.load) {
    const report = await runLoadBench(options, tempDir, attempt, progress);
    process.stdout.write(`\n${report}\n${failures.length ? `FAILED parts:\n${failures.map((f) => `  - ${f}`).join('\n')}\n` : ''}`);
    return;
  }
  const templateCacheDir = path.join(tempDir, 'ppg', 'templates');

  let native: NativeInstall | null = null;
  if (options.native) {
    const found = findNativePostgres();
    if ('missing' in found) progress(`native PostgreSQL skipped: ${found.missing}`);
    else native = found;
  }
  const nativeLabel = native ? `native PG ${native.version.split(' ')[0]}` : null;
  const pgbench = findPgbench(native?.binDir ?? null);
  if (!pgbench) fail('pgbench', 'pgbench not found on PATH; pgbench workloads skipped');
  const ctx: PhaseContext = { tempDir, templateCacheDir, native, attempt, fail };
  progress(`temp dir ${tempDir}; ${options.rounds} round(s) of ${options.durationSeconds} s; ${nativeLabel ?? 'no native PostgreSQL'}`);

  // The first server ever builds the template (initdb in WASM); its data dir then serves the in-process baseline.
  const firstRoot = path.join(tempDir, 'ppg', 'first');
  const oneOffs: OneOffs = { firstEverStartMs: null, pgbenchInitMs: { ppg: null, native: null } };
  oneOffs.firstEverStartMs = await attempt('ppg-dev first start (builds the template)', async () => {
    const server = await startPpgServer(firstRoot, templateCacheDir, 300_000);
    await server.stop();
    return server.startMs;
  });

  // The servers the throughput and latency figures run against, each in its own process. --workflow needs
  // only native PostgreSQL (the test-database reference); its figures run on `ppg dev` instances.
  const ppgMain: PpgServerProcess | null = options.workflowOnly
    ? null
    : await attempt('start ppg-dev server', () => startPpgServer(path.join(tempDir, 'ppg', 'main'), templateCacheDir));
  let nativeMain: NativeServer | null = null;
  if (native) {
    const install = native;
    nativeMain = await attempt('start native PostgreSQL', async () => {
      const parent = path.join(tempDir, 'native', 'main');
      await mkdir(parent, { recursive: true });
      handOver(install, path.join(tempDir, 'native'));
      await initNativeCluster(install, path.join(parent, 'data'));
      return startNativeServer(install, path.join(parent, 'data'), parent);
    });
  }
  const urls: SideUrls = { ppg: ppgMain?.url ?? null, native: nativeMain?.url ?? null };
  if (pgbench && !options.workflowOnly) {
    for (const side of ['ppg', 'native'] as const) {
      const url = urls[side];
      if (url) oneOffs.pgbenchInitMs[side] = await attempt(`${side} pgbench -i -s 1`, () => initPgbench(pgbench, url));
    }
  }

  const workloads = pgbenchWorkloads(options.durationSeconds);
  const rounds: RoundResult[] = [];
  for (let round = 1; round <= (options.workflowOnly ? 0 : options.rounds); round++) {
    const result: RoundResult = { round, startup: null, select1: null, cancel: null, pgbench: null, wire: null, nativeRawSelect1: null };
    rounds.push(result);
    result.startup = await measureStartup(ctx, round);
    result.select1 = await measureSelect1(ctx, urls, options.roundTrips, round);
    result.cancel = await measureCancels(ctx, urls, CANCEL_SAMPLES, round);
    if (ppgMain && oneOffs.pgbenchInitMs.ppg !== null && oneOffs.firstEverStartMs !== null) {
      result.wire = await attempt(`round ${round} wire overhead`, async () => {
        const inProcess = await measureInProcess(path.join(firstRoot, 'postgres'), options.roundTrips);
        return measureWireOverhead(ppgMain.url, options.roundTrips, inProcess, ppgMain.cpuSeconds);
      });
      const nativeUrl = urls.native;
      if (nativeUrl) {
        result.nativeRawSelect1 = await attempt(`round ${round} native raw select 1`, () => rawRoundTrips(nativeUrl, options.roundTrips, () => 'select 1', { warmupMs: 300 }));
      }
    } else {
      fail(`round ${round} wire overhead`, 'skipped: needs the ppg-dev server with pgbench tables and the first data dir');
    }
    if (pgbench) result.pgbench = await measurePgbench(ctx, pgbench, urls, workloads, options.durationSeconds, round);
  }

  // After the rounds: its samples scale with --rounds instead, and its extra daemons never idle beside pgbench.
  let workflow: WorkflowResult | null = null;
  if (oneOffs.firstEverStartMs !== null) workflow = await attempt('workflow', () => measureWorkflow(ctx, options, urls.native));
  else fail('workflow', 'skipped: needs the template the first start builds');

  await ppgMain?.stop();
  await nativeMain?.stop();
  const loadAfter = os.loadavg();
  const summary = summarize(rounds, oneOffs, workloads, nativeLabel, workflow);
  const environment = {
    node: process.version, cpus: os.cpus().length, native: native ? { version: native.version, binDir: native.binDir } : null,
    pgbench, pgbenchVersion: pgbench ? spawnSync(pgbench, ['--version'], { encoding: 'utf8' }).stdout.trim() : null,
    loadavgBefore: loadBefore, loadavgAfter: loadAfter,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ options, environment, figures: summary.figures, oneOffs, rounds, workflow, failures }, null, 2)}\n`);
    return;
  }
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const lines = [
    '',
    ...(options.workflowOnly ? ['--workflow: only the workflow rows ran (the other rows say n/a)'] : []),
    `ppg-dev benchmark — ${options.rounds} round(s), pgbench ${options.durationSeconds} s per run, ${options.roundTrips} sequential round trips${options.quick ? ' (--quick)' : ''}${options.rounds > 1 ? '; figures are medians over rounds' : ''}`,
    `machine: ${environment.cpus} CPUs, load average ${load(loadBefore)} before / ${load(loadAfter)} after (1/5/15 min); Node ${process.version}; ${environment.pgbenchVersion ?? 'no pgbench'}`,
    '',
    renderSummary(summary, nativeLabel),
    '',
    '¹ native cold start includes initdb of the new cluster; ppg-dev copies its cached template.',
    '² ppg-dev only: the first server on a machine runs initdb in WASM once and caches a template.',
    '³ createTestDatabase({ template }) (package API) against a `ppg dev` instance; template: 2 tables, 11k rows. warm = a copy the',
    '  pool made in the background; cold = made on demand (warm: 0), connection included. Native column: CREATE DATABASE … TEMPLATE',
    '  on an open connection. Indented rows: the same statements on both servers, interleaved.',
    `⁴ the built CLI (ppg dev …) as a child process, from spawn until a new connection answers select 1; instance filled to ≥ ${options.workflowDataMb} MB${options.quick ? ' (--quick)' : ''}.`,
    '  Reset, restore and branch of a running instance run inside its daemon (quiesced, not restarted); the stop + start row is',
    '  what a restart would cost, through two commands (one Node start-up more than inside one command).',
    `⁵ pg_cancel_backend from a second connection, times from that call (median of ${CANCEL_SAMPLES} per round). ppg-dev ends the engine thread`,
    '  and reopens the database (only after a 100 ms grace for a statement about to finish); native interrupts its backend.',
    'wire overhead: the same statements one at a time — PGlite execProtocolRaw in a child process vs TCP to ppg-dev with a',
    '  raw-frame client ("wire µs"; "via pg µs" = the same through the pg client). "latency +" compares median times,',
    '  "CPU +" the server process\' CPU per query with the in-process CPU per call (median over rounds each).',
    '',
    isStopping() ? 'INTERRUPTED by a signal: partial results.' : failures.length ? `FAILED parts (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}` : 'all parts ran.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    if (process.argv.includes('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stdout.write(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return;
  }
  cleanupOnSignals((signal) => process.stderr.write(`\n[bench] ${signal}: stopping servers and removing temp dirs…\n`));
  try {
    await run(options);
  } catch (error) {
    process.stdout.write(`bench aborted: ${error instanceof Error ? error.stack : String(error)}\n`);
  } finally {
    await cleanupAll();
  }
}

await main();
process.exit(0);
