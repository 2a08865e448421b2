import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import pg from 'pg';

/**
 * The invariants a fuzz storm must leave intact, measured on the server's child process from outside:
 * a healthy client's answer times, the process' CPU time (/proc/<pid>/stat), its open descriptors
 * (/proc/<pid>/fd), and whether a new client can connect and query.
 */

/** The spec's bounds (issue 8): every answer of the healthy client within 1 s, CPU idle within 2 s. */
export const ANSWER_BOUND_MS = 1_000;
export const CPU_IDLE_BOUND_MS = 2_000;
/** Descriptors are closed by the kernel once the server closes a socket; give lingering FINs this long. */
const FD_BOUND_MS = 5_000;
/** CPU is idle when the process used at most this share of one core over one sampling window. */
const IDLE_WINDOW_MS = 150;
const IDLE_SHARE = 0.1;
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export class InvariantError extends Error {}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name (which may contain spaces) start at field 3; utime/stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export interface FdCounts {
  sockets: number;
  /** Files of PGlite's data directories: Postgres keeps relation files open in its own bounded cache. */
  dataFiles: number;
  /** Everything else: pipes, the event loop's descriptors, other files. */
  other: number;
}

export function fdCounts(pid: number, dataDirPrefix: string): FdCounts {
  const counts: FdCounts = { sockets: 0, dataFiles: 0, other: 0 };
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we were listing
    }
    if (target.startsWith('socket:')) counts.sockets++;
    else if (target.startsWith(dataDirPrefix)) counts.dataFiles++;
    else counts.other++;
  }
  return counts;
}

/**
 * Polls until the process used less than IDLE_SHARE of a core over one window; fails after `boundMs`.
 * Returns how long it took.
 */
export async function waitForIdleCpu(pid: number, boundMs = CPU_IDLE_BOUND_MS): Promise<number> {
  const start = Date.now();
  const maxTicks = Math.max(1, Math.floor((IDLE_WINDOW_MS / 1000) * CLOCK_TICKS_PER_SECOND * IDLE_SHARE));
  let last = cpuTicks(pid);
  for (;;) {
    await pause(IDLE_WINDOW_MS);
    const now = cpuTicks(pid);
    if (now - last <= maxTicks) return Date.now() - start;
    if (Date.now() - start > boundMs) {
      throw new InvariantError(`server CPU not idle ${boundMs} ms after the storm (${now - last} ticks in the last ${IDLE_WINDOW_MS} ms)`);
    }
    last = now;
  }
}

/** Polls until sockets and other descriptors are back to the baseline (data files may stay in Postgres' cache). */
export async function waitForFdBaseline(pid: number, dataDirPrefix: string, baseline: FdCounts): Promise<void> {
  const deadline = Date.now() + FD_BOUND_MS;
  for (;;) {
    const now = fdCounts(pid, dataDirPrefix);
    if (now.sockets <= baseline.sockets && now.other <= baseline.other && now.dataFiles < 1000) return;
    if (Date.now() > deadline) {
      throw new InvariantError(`server descriptors not back to baseline after ${FD_BOUND_MS} ms: now ${JSON.stringify(now)}, baseline ${JSON.stringify(baseline)}`);
    }
    await pause(50);
  }
}

/** A new client connects and gets a query answered within `boundMs`. */
export async function freshClientQueries(url: string, boundMs = 5_000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: boundMs, query_timeout: boundMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ v: number }>('SELECT 41 + 1 AS v');
    if (rows[0]?.v !== 42) throw new InvariantError(`fresh client got ${JSON.stringify(rows)}`);
  } catch (error) {
    if (error instanceof InvariantError) throw error;
    throw new InvariantError(`a fresh client could not connect and query: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A client that stays connected for the whole run and, while a storm is on, asks one trivial query after
 * another. Any answer slower than ANSWER_BOUND_MS (including one that never comes: a frozen server) is
 * recorded as a violation as soon as the bound passes.
 */
export class HealthyClient {
  private probing: Promise<void> | null = null;
  private stopRequested = false;
  private violations: string[] = [];
  answers = 0;
  slowest = 0;

  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<HealthyClient> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    await client.connect();
    return new HealthyClient(client);
  }

  start(): void {
    this.stopRequested = false;
    this.violations = [];
    this.answers = 0;
    this.slowest = 0;
    this.probing = this.loop();
  }

  /** Resolves after `count` more answers (or once a violation is recorded). */
  async waitForAnswers(count: number): Promise<void> {
    const target = this.answers + count;
    while (this.answers < target && this.violations.length === 0) await pause(5);
  }

  /** Stops probing; returns the violations seen since start(). */
  async stop(): Promise<string[]> {
    this.stopRequested = true;
    await this.probing;
    this.probing = null;
    return this.violations;
  }

  async end(): Promise<void> {
    this.stopRequested = true;
    const socket = (this.client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream;
    await Promise.race([this.client.end().catch(() => undefined), pause(2_000).then(() => socket.destroy())]);
  }

  private async loop(): Promise<void> {
    while (!this.stopRequested) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), ANSWER_BOUND_MS);
      });
      const answer = this.client.query('SELECT 1 AS one').then(() => 'ok' as const, (error: Error) => error);
      const first = await Promise.race([answer, late]);
      clearTimeout(timer);
      if (first === 'late') {
        this.violations.push(`healthy client got no answer within ${ANSWER_BOUND_MS} ms`);
        return; // a frozen server never answers; the caller restarts it
      }
      if (first instanceof Error) {
        this.violations.push(`healthy client's query failed: ${first.message}`);
        return;
      }
      const took = performance.now() - started;
      this.slowest = Math.max(this.slowest, took);
      this.answers++;
    }
  }
}
