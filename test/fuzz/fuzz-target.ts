import pg from 'pg';
import { type ChildServer, startChildServer } from '../server/child-server.js';
import { STORM_COPY_TABLE } from './protocol-states.js';
import { fdCounts, HealthyClient, type FdCounts } from './server-health.js';
import { SESSION_TABLE } from './valid-sessions.js';

/**
 * The server under fuzz: a real wire server in a child process (so a frozen event loop cannot hang the
 * test runner), the tables the storms and sessions use, the healthy client on a database of its own,
 * and the descriptor baseline. A failed invariant marks it broken; the next case gets a new server, so
 * fast-check can go on (and shrink) after a freeze.
 */
export const HEALTHY_DATABASE = 'fuzz_healthy';

export class FuzzTarget {
  broken = false;

  private constructor(
    private readonly srv: ChildServer,
    readonly healthy: HealthyClient,
    readonly fdBaseline: FdCounts,
  ) {}

  get port(): number {
    return this.srv.port;
  }

  get url(): string {
    return this.srv.url;
  }

  get pid(): number {
    return this.srv.child.pid!;
  }

  /** The child's data root (its argv), to tell PGlite's relation files from leaked descriptors. */
  get dataRoot(): string {
    return this.srv.child.spawnargs[2]!;
  }

  stderr(): string {
    return this.srv.stderr();
  }

  static async start(): Promise<FuzzTarget> {
    const srv = await startChildServer();
    let healthy: HealthyClient | null = null;
    try {
      const admin = new pg.Client({ connectionString: srv.url });
      await admin.connect();
      try {
        // The healthy client lives on a database of its own: storms legitimately hold the main database's
        // engine inside transactions, but share the event loop with every database, so a freeze shows.
        await admin.query(`CREATE DATABASE ${HEALTHY_DATABASE}`);
        await admin.query(`CREATE TABLE ${STORM_COPY_TABLE} (a int, b text)`);
        await admin.query(`CREATE TABLE ${SESSION_TABLE} (a int, b text)`);
      } finally {
        await admin.end();
      }
      healthy = await HealthyClient.connect(srv.url.replace('/postgres?', `/${HEALTHY_DATABASE}?`));
      healthy.start();
      await healthy.waitForAnswers(3);
      const violations = await healthy.stop();
      if (violations.length > 0) throw new Error(`fresh server unhealthy: ${violations.join('; ')}`);
      const fdBaseline = await settledFdCounts(srv.child.pid!, srv.child.spawnargs[2]!);
      return new FuzzTarget(srv, healthy, fdBaseline);
    } catch (error) {
      await healthy?.end();
      srv.child.kill('SIGKILL');
      await srv.cleanup();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.healthy.end();
    // A broken server may be spinning and ignore SIGTERM: no grace period for it.
    if (this.broken) this.srv.child.kill('SIGKILL');
    await this.srv.cleanup();
  }
}

/**
 * Descriptor counts once the admin client's socket is gone: polls until the socket count stops falling
 * (listening socket + healthy client remain), bounded at 5 s.
 */
async function settledFdCounts(pid: number, dataRoot: string): Promise<FdCounts> {
  const deadline = Date.now() + 5_000;
  let counts = fdCounts(pid, dataRoot);
  while (counts.sockets > 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    counts = fdCounts(pid, dataRoot);
  }
  return counts;
}
