import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { liveChildren } from './ppg-process.js';

function isPortListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Like src/instances' check: an exited process waiting for init to reap it is not a leak. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

/** Pids of every process whose environment carries this PPG_DEV_HOME (Linux /proc; [] elsewhere). */
export function processesUsingHome(home: string): number[] {
  if (!existsSync('/proc')) return [];
  const needle = `PPG_DEV_HOME=${home}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle) && isAlive(pid)) found.push(pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/**
 * Finds what a test left behind in `home`: live `ppg` children, daemons (by their environment),
 * instance locks, recorded pids that are alive. Kills and removes all of it so the next test
 * starts clean, and returns one line per leak.
 */
export async function collectLeaks(home: string): Promise<string[]> {
  const leaks: string[] = [];
  for (const child of [...liveChildren]) {
    leaks.push(`ppg process ${child.pid} (${child.spawnargs.slice(2).join(' ')}) still running`);
    child.kill('SIGKILL');
    liveChildren.delete(child);
  }
  for (const pid of processesUsingHome(home)) {
    leaks.push(`process ${pid} using ${home} still running`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const instances = path.join(home, 'instances');
  for (const name of existsSync(instances) ? readdirSync(instances) : []) {
    const dir = path.join(instances, name);
    if (existsSync(path.join(dir, '.lock'))) {
      leaks.push(`instance '${name}' still has its .lock`);
      rmSync(path.join(dir, '.lock'), { recursive: true, force: true });
    }
    try {
      const record = JSON.parse(readFileSync(path.join(dir, 'instance.json'), 'utf8')) as { pid?: number | null; port?: number | null };
      if (typeof record.pid === 'number' && isAlive(record.pid)) leaks.push(`instance '${name}' pid ${record.pid} alive`);
      if (typeof record.port === 'number' && (await isPortListening(record.port))) {
        leaks.push(`instance '${name}' port ${record.port} still accepts connections`);
      }
    } catch {
      // No record, or a test corrupted it on purpose.
    }
  }
  return leaks;
}
