import { isPpgError, PpgError } from '../ppg-error.js';
import { listInstanceNames } from '../instances/inspect-instance.js';
import { readRecord } from '../instances/instance-record.js';
import { describePortHolder, planPortCandidates } from '../instances/port-plan.js';
import { isPortFree } from '../instances/probe-port.js';
import { instancePaths, templatesDir } from '../instances/state-paths.js';
import { isRecordedProcessAlive } from '../instances/terminate-process.js';
import type { DbServer } from '../server/db-server.js';

interface OtherInstances {
  /** Every port another instance recorded (kept off-limits so their URLs stay stable). */
  reserved: Set<number>;
  /** Ports held right now by another live instance, for naming the holder in errors. */
  running: Map<number, string>;
}

async function readOtherInstances(root: string, self: string): Promise<OtherInstances> {
  const reserved = new Set<number>();
  const running = new Map<number, string>();
  for (const name of await listInstanceNames(root)) {
    if (name === self) continue;
    // A broken neighbour must not stop this instance from starting; it only loses its reservation.
    const record = await readRecord(instancePaths(root, name).record, name).catch(() => undefined);
    if (record?.port == null) continue;
    reserved.add(record.port);
    if (record.pid !== null && isRecordedProcessAlive(record.pid, record.pidStartTime)) running.set(record.port, name);
  }
  return { reserved, running };
}

function portInUseError(port: number, others: OtherInstances, cause?: unknown): PpgError {
  return new PpgError('PORT_IN_USE', `port ${port} is in use by ${describePortHolder(port, others.running)}`, {
    hint: 'choose another --port, or leave --port out to get a free one',
    cause,
  });
}

/** PPG_DEV_BASE_PORT moves the default port (51214): for CI and for test runs side by side. */
function basePortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const port = Number(env.PPG_DEV_BASE_PORT);
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

export interface ServeOptions {
  stateRoot: string;
  name: string;
  dataDir: string;
  host: string;
  user: string;
  password: string;
  /** Strict `--port`. */
  requested: number | undefined;
  previous: number | null;
  log: (line: string) => void;
}

/**
 * Starts the wire server on the first free candidate port (see port-plan.ts). A port that looks
 * free can be taken a moment later by a racing instance, so PORT_IN_USE from the server moves on
 * to the next candidate unless the port was requested explicitly.
 */
export async function serveOnPort(options: ServeOptions): Promise<DbServer> {
  const { startDbServer } = await import('../server/db-server.js');
  const others = await readOtherInstances(options.stateRoot, options.name);
  const candidates = planPortCandidates({
    requested: options.requested,
    previous: options.previous,
    reserved: others.reserved,
    defaultPort: basePortFromEnv(process.env),
  });
  for (const port of candidates) {
    if (!(await isPortFree(options.host, port))) {
      if (options.requested !== undefined) throw portInUseError(port, others);
      continue;
    }
    try {
      return await startDbServer({
        dataRoot: options.dataDir,
        templateCacheDir: templatesDir(options.stateRoot),
        host: options.host,
        port,
        user: options.user,
        password: options.password,
        log: options.log,
      });
    } catch (error) {
      if (!(isPpgError(error) && error.code === 'PORT_IN_USE')) throw error;
      if (options.requested !== undefined) throw portInUseError(port, others, error);
      options.log(`port ${port} was taken meanwhile; trying the next one`);
    }
  }
  throw new PpgError('NO_FREE_PORT', `no free port found among ${candidates.length} candidates`, {
    hint: 'stop some instances (ppg dev ls) or pass --port',
  });
}
