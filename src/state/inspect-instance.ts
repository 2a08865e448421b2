import { readdir } from 'node:fs/promises';
import { PpgError } from '../ppg-error.js';
import { deriveStatus, type InstanceStatus } from './instance-status.js';
import { inspectLock } from './instance-lock.js';
import { readRecord, type InstanceRecord } from './instance-record.js';
import { isValidName } from './instance-name.js';
import { probePostgres } from './probe-port.js';
import { instancesDir, type InstancePaths } from './state-paths.js';
import { recordedProcessState } from './terminate-process.js';

export interface InstanceView {
  paths: InstancePaths;
  /** Undefined when the folder exists but has no record yet (never started, or record moved aside). */
  record: InstanceRecord | undefined;
  status: InstanceStatus;
  reason: string;
}

/**
 * Reads the record and observes pid, lock and port to derive the status. Throws the record's
 * RECORD_CORRUPT / RECORD_TOO_NEW errors. Never loads PGlite.
 */
export async function inspectInstance(paths: InstancePaths): Promise<InstanceView> {
  const record = await readRecord(paths.record, paths.name);
  const lock = await inspectLock(paths);
  const pid = record?.pid ?? null;
  const pidState = pid === null ? 'dead' : recordedProcessState(pid, record?.pidStartTime);
  const pidAlive = pidState !== 'dead';
  const port = record?.port ?? null;
  const portAnswers = pidAlive && (lock.present || pidState === 'verified') && port !== null && record !== undefined
    ? await probePostgres(record.host, port)
    : false;
  const verdict = deriveStatus({
    recordPid: pid !== null,
    pidAlive,
    pidVerified: pidState === 'verified',
    lockPresent: lock.present,
    lockFresh: lock.fresh,
    ready: record?.readyAt != null,
    portAnswers,
  });
  return { paths, record, status: verdict.status, reason: verdict.reason };
}

/** Names of every instance folder under the root, sorted; [] when the root does not exist yet. */
export async function listInstanceNames(root: string): Promise<string[]> {
  try {
    const entries = await readdir(instancesDir(root), { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && isValidName(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new PpgError('STATE_ROOT_UNREADABLE', `cannot read the state directory ${instancesDir(root)} (${code ?? 'unknown error'})`, {
      hint: 'fix its permissions, or point PPG_DEV_HOME at another folder',
      cause: error,
    });
  }
}
