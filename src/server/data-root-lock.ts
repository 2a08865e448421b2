import { open, readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { PpgError } from '../ppg-error.js';
import { processStartTime, recordedProcessState } from '../state/terminate-process.js';

/**
 * One server per data root, like Postgres's postmaster.pid: two PGlites writing one directory lose data
 * silently. The pid file names the owner (pid and start time, so a reused pid is not mistaken for it); a
 * file whose owner is gone is stale and taken over. Roots held by this process are tracked in memory too,
 * since a second server in the same process has the same pid.
 */
const PID_FILE = 'ppg-server.pid';
const heldHere = new Set<string>();

export async function lockDataRoot(dataRoot: string): Promise<() => Promise<void>> {
  const key = await realpath(dataRoot);
  const file = path.join(key, PID_FILE);
  if (heldHere.has(key)) throw lockedError(dataRoot, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n${processStartTime(process.pid) ?? ''}\n`);
      } finally {
        await handle.close();
      }
      heldHere.add(key);
      return async () => {
        heldHere.delete(key);
        await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [pidText, startText] = (await readFile(file, 'utf8').catch(() => '')).split('\n');
    const pid = Number(pidText);
    const startTime = startText ? Number(startText) : undefined;
    const ownerGone = !Number.isInteger(pid) || pid <= 0 || pid === process.pid || recordedProcessState(pid, startTime) === 'dead';
    if (!ownerGone) throw lockedError(dataRoot, pid);
    await rm(file, { force: true });
  }
  throw lockedError(dataRoot, null);
}

function lockedError(dataRoot: string, pid: number | null): PpgError {
  return new PpgError('DATA_DIR_LOCKED', `the data directory ${dataRoot} is in use by another ppg-dev server${pid ? ` (process ${pid})` : ''}`, {
    hint: 'stop that server first (ppg dev ls shows the instances), or use another data directory',
  });
}
