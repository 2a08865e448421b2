import { isPpgError, PpgError } from '../ppg-error.js';
import { listInstanceNames } from '../state/inspect-instance.js';
import { readRecord } from '../state/instance-record.js';
import { describePortHolder, planPortCandidates } from '../state/port-plan.js';
import { isPortFree } from '../state/probe-port.js';
import { instancePaths } from '../state/state-paths.js';
import type { TlsIdentity } from './tls-certificate.js';
import { isRecordedProcessAlive } from '../state/terminate-process.js';
import type { DbServer } from '../server/db-server.js';

export interface OtherInstances {
  /** Every port another instance recorded (kept off-limits so their URLs stay stable). */
  reserved: Set<number>;
  /** Ports held right now by another live instance, for naming the holder in errors. */
  running: Map<number, string>;
}

export async function readOtherInstances(root: string, self: string): Promise<OtherInstances> {
  const reserved = new Set<number>();
  const running = new Map<number, string>();
  for (const name of await listInstanceNames(root)) {
    if (name === self) continue;
    // A broken neighbour must not stop this instance from starting; it only loses its reservation.
    const record = await readRecord(instancePaths(root, name).record, name).catch(() => undefined);
    const alive = record?.pid != null && isRecordedProcessAlive(record.pid, record.pidStartTime);
    for (const port of [record?.port, record?.httpPort, record?.shadowPort]) {
      if (port == null) continue;
      reserved.add(port);
      if (alive) running.set(port, name);
    }
  }
  return { reserved, running };
}

function portInUseError(port: number, others: OtherInstances, cause?: unknown): PpgError {
  return new PpgError('PORT_IN_USE', `port ${port} is in use by ${describePortHolder(port, others.running)}`, {
    hint: 'choose another --port, or leave --port out to get a free one',
    cause,
  });
}

export interface ServeOptions {
  /** Key and certificate for clients that ask for TLS; plain text only when undefined. */
  tls?: TlsIdentity | undefined;
  /** Folder for the Unix-domain socket `.s.PGSQL.<port>`; none when undefined. */
  socketDir?: string | undefined;
  templateCacheDir: string;
  /** First port tried when none is requested or remembered (default 51214). */
  basePort?: number;
  stateRoot: string;
  name: string;
  dataDir: string;
  host: string;
  user: string;
  password: string;
  /** Strict `--port`. */
  requested: number | undefined;
  previous: number | null;
  /** Ports of the other instances (readOtherInstances). */
  others: OtherInstances;
  log: (line: string) => void;
  /** The port is bound (the database is still opening). */
  onListening?: (port: number) => void;
}

/**
 * Starts the wire server on the first free candidate port (see port-plan.ts).
 */
export async function serveOnPort(options: ServeOptions): Promise<DbServer> {
  const { startDbServer } = await import('../server/db-server.js');
  return bindFirstFree({
    host: options.host,
    candidates: planPortCandidates({
      requested: options.requested,
      previous: options.previous,
      reserved: options.others.reserved,
      defaultPort: options.basePort,
    }),
    strict: options.requested !== undefined,
    others: options.others,
    log: options.log,
    start: (port) => startDbServer({
      dataRoot: options.dataDir,
      templateCacheDir: options.templateCacheDir,
      host: options.host,
      port,
      user: options.user,
      password: options.password,
      log: options.log,
      ...(options.socketDir ? { socketDir: options.socketDir, onSocketError: 'warn' as const } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.onListening ? { onListening: options.onListening } : {}),
    }),
  });
}

export interface BindOptions<T> {
  host: string;
  candidates: number[];
  /** The one candidate was asked for explicitly: fail instead of moving on. */
  strict: boolean;
  others: OtherInstances;
  log: (line: string) => void;
  start(port: number): Promise<T>;
}

/** True for "address in use" from either of our servers (the wire server's PpgError or a Node listen error). */
function isPortTaken(error: unknown): boolean {
  return (isPpgError(error) && error.code === 'PORT_IN_USE') || (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * Starts a server on the first free candidate. A port that looks free can be taken a moment later by
 * a racing instance, so "in use" from the server moves on to the next candidate unless strict.
 */
export async function bindFirstFree<T>(options: BindOptions<T>): Promise<T> {
  for (const port of options.candidates) {
    if (!(await isPortFree(options.host, port))) {
      if (options.strict) throw portInUseError(port, options.others);
      continue;
    }
    try {
      return await options.start(port);
    } catch (error) {
      if (!isPortTaken(error)) throw error;
      if (options.strict) throw portInUseError(port, options.others, error);
      options.log(`port ${port} was taken meanwhile; trying the next one`);
    }
  }
  throw new PpgError('NO_FREE_PORT', `no free port found among ${options.candidates.length} candidates`, {
    hint: 'stop some instances (ppg dev ls) or pass --port',
  });
}
