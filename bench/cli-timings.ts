/**
 * Measures the supervisor's targets with the built CLI (run `npm run build`, then
 * `node dist/bench/cli-timings.js [--runs N]`). Uses a temp PPG_DEV_HOME and its own port window;
 * everything it starts is stopped and deleted at the end. Prints a JSON report on stdout.
 *
 * Targets: detach of a brand-new instance ≤ 1 s (template cached), restart ≤ 0.5 s,
 * `ppg dev ls` with 5 instances ≤ 0.3 s, idle instance ~0 CPU and ≤ 150 MB RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ppg.js', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const home = mkdtempSync(path.join(os.tmpdir(), 'ppg-bench-'));
const env = { ...process.env, PPG_DEV_HOME: home, PPG_DEV_BASE_PORT: String(40_000 + Math.floor(Math.random() * 100) * 100) };

function ppg(...args: string[]): { ms: number; stdout: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BIN, ...args], { env, cwd: home, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`ppg ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2);
}

function pidOf(name: string): number {
  const rows = JSON.parse(ppg('dev', 'ls', '--json').stdout) as { name: string; pid: number | null }[];
  const pid = rows.find((row) => row.name === name)?.pid;
  if (pid == null) throw new Error(`${name} is not running`);
  return pid;
}

/** RSS in MB and CPU seconds used so far, from /proc (Linux). */
function usage(pid: number): { rssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: Math.round(rssKb / 1024), cpuSeconds: ticks / 100 };
}

async function main(): Promise<void> {
  try {
    // Builds the shared template once (initdb); not part of the "new instance" target.
    const firstEver = ppg('dev', '--detach', '--name', 'warmup');
    ppg('dev', 'stop', 'warmup');

    const newInstance: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      newInstance.push(ppg('dev', '--detach', '--name', `fresh-${i}`).ms);
      ppg('dev', 'stop', `fresh-${i}`);
    }
    const restart: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      restart.push(ppg('dev', '--detach', '--name', 'fresh-0').ms);
      ppg('dev', 'stop', 'fresh-0');
    }
    const alreadyRunning: number[] = [];
    ppg('dev', '--detach', '--name', 'fresh-0');
    for (let i = 0; i < RUNS; i++) alreadyRunning.push(ppg('dev', '--detach', '--name', 'fresh-0').ms);

    // 5 instances, all running: the slowest case for ls (each is probed on its port).
    for (let i = 1; i < 5; i++) ppg('dev', '--detach', '--name', `fresh-${i}`);
    const ls: number[] = [];
    for (let i = 0; i < RUNS * 2; i++) ls.push(ppg('dev', 'ls').ms);

    const pid = pidOf('fresh-0');
    // Let start-up work (WASM tier-up, GC) settle: the target is about an idle instance.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const before = usage(pid);
    const idleSeconds = 10;
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const after = usage(pid);

    const report = {
      runs: RUNS,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((value) => Number(value.toFixed(2))),
      firstEverStartMs: Math.round(firstEver.ms),
      detachNewInstanceMs: { median: median(newInstance), all: newInstance.map(Math.round), target: 1000 },
      restartMs: { median: median(restart), all: restart.map(Math.round), target: 500 },
      detachAlreadyRunningMs: { median: median(alreadyRunning), all: alreadyRunning.map(Math.round) },
      lsWith5RunningMs: { median: median(ls), all: ls.map(Math.round), target: 300 },
      idle: { seconds: idleSeconds, cpuSecondsUsed: Number((after.cpuSeconds - before.cpuSeconds).toFixed(2)), rssMb: after.rssMb, targetRssMb: 150 },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    spawnSync(process.execPath, [BIN, 'dev', 'stop', '--all'], { env, stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
