import { InvalidArgumentError } from 'commander';

/**
 * `--wait <seconds>` of the commands that copy a running instance's data (snapshot save, branch): how long
 * its clients' open transactions are waited for before the command gives up with INSTANCE_BUSY.
 */
export const WAIT_FLAGS = '--wait <seconds>';
export const WAIT_DESCRIPTION = 'how long to wait for open transactions of a running instance before giving up (default: 20)';

/** Longest wait accepted: a day, far past any transaction a developer leaves open on purpose. */
const MAX_WAIT_SECONDS = 86_400;

/** The option's value in milliseconds. */
export function parseWaitSeconds(value: string): number {
  const ms = Math.round(Number(value) * 1000);
  // At least a millisecond: 0 would mean "no wait given" to the daemon, which then waits its default.
  if (!/^\d+(\.\d+)?$/.test(value) || !(ms >= 1) || ms > MAX_WAIT_SECONDS * 1000) {
    throw new InvalidArgumentError(`expected a number of seconds from 0.001 to ${MAX_WAIT_SECONDS}`);
  }
  return ms;
}
