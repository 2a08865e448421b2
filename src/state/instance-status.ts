export type InstanceStatus = 'running' | 'starting' | 'stopped' | 'crashed';

/** What we observed about one instance; gathered by inspect-instance.ts, judged here. */
export interface StatusFacts {
  /** The record names a daemon pid (it is cleared on clean shutdown). */
  recordPid: boolean;
  /** That pid is alive (`kill(pid, 0)`; EPERM counts as alive). */
  pidAlive: boolean;
  /** …and provably the process that wrote the record (same start time; Linux). */
  pidVerified: boolean;
  /** The `.lock` directory exists. */
  lockPresent: boolean;
  /** Its mtime was refreshed recently, i.e. some live process keeps it. */
  lockFresh: boolean;
  /** The daemon recorded that it accepts connections. */
  ready: boolean;
  /** The recorded port answered a Postgres SSLRequest. */
  portAnswers: boolean;
}

export interface StatusVerdict {
  status: InstanceStatus;
  /** Why, in a few words, for `ls` and error messages. */
  reason: string;
}

/**
 * Pure: the status of an instance. Never trusts a stored status. A live pid without the lock is a
 * reused pid, not our daemon, unless its start time proves otherwise (then its lock was removed
 * under it, and it still serves: treating it as crashed would let a second daemon open the data). A ready daemon that does not answer is still `running`: PGlite
 * executes synchronously, so a long statement stalls its event loop and the probe.
 */
export function deriveStatus(facts: StatusFacts): StatusVerdict {
  if (facts.recordPid && facts.pidAlive && (facts.lockPresent || facts.pidVerified)) {
    const lockNote = facts.lockPresent ? '' : ' (its lock was removed)';
    if (facts.portAnswers) return { status: 'running', reason: `accepting connections${lockNote}` };
    if (facts.ready) return { status: 'running', reason: `busy: not answering right now${lockNote}` };
    return { status: 'starting', reason: `daemon is starting${lockNote}` };
  }
  if (facts.recordPid && facts.pidAlive) return { status: 'crashed', reason: 'pid reused; daemon gone' };
  if (facts.recordPid) return { status: 'crashed', reason: 'daemon died without stopping' };
  if (facts.lockPresent && facts.lockFresh) return { status: 'starting', reason: 'locked by a live process' };
  if (facts.lockPresent) return { status: 'crashed', reason: 'stale lock left behind' };
  return { status: 'stopped', reason: 'not running' };
}
