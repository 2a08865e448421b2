import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakStaleLock, inspectLock, takeInstanceLock, withStateMutex } from '../../src/state/instance-lock.js';
import { instancePaths, type InstancePaths } from '../../src/state/state-paths.js';
import { processStartTime } from '../../src/state/terminate-process.js';

let root: string;
let paths: InstancePaths;
const children: ChildProcess[] = [];
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ppg-lock-'));
  paths = instancePaths(root, 'app');
  await mkdir(paths.dir, { recursive: true });
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

function livePid(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  children.push(child);
  return child.pid as number;
}

describe('instance lock', () => {
  it('takes, reports and releases the lock', async () => {
    const release = await withStateMutex(paths, () => takeInstanceLock(paths, () => undefined));
    expect(await inspectLock(paths)).toEqual({ present: true, fresh: true });
    await expect(takeInstanceLock(paths, () => undefined)).rejects.toMatchObject({ code: 'INSTANCE_LOCKED' });
    await release();
    expect(await inspectLock(paths)).toEqual({ present: false, fresh: false });
  });

  it('never breaks a lock whose pid is alive, however old the lock looks', async () => {
    await mkdir(paths.lock);
    await utimes(paths.lock, new Date(0), new Date(0));
    await expect(breakStaleLock(paths, { pid: livePid() })).rejects.toMatchObject({ code: 'INSTANCE_LOCKED' });
    expect(existsSync(paths.lock)).toBe(true);
  });

  it('breaks the lock of a dead pid, even a fresh one', async () => {
    await mkdir(paths.lock);
    expect(await breakStaleLock(paths, { pid: await deadPid() })).toBe(true);
    expect(existsSync(paths.lock)).toBe(false);
  });

  it.skipIf(!existsSync('/proc/self/stat'))('breaks the lock of a reused pid (alive, but started at another time)', async () => {
    await mkdir(paths.lock);
    const pid = livePid();
    await expect.poll(() => processStartTime(pid)).toBeDefined();
    const started = processStartTime(pid) as number;
    await expect(breakStaleLock(paths, { pid, pidStartTime: started })).rejects.toMatchObject({ code: 'INSTANCE_LOCKED' });
    expect(await breakStaleLock(paths, { pid, pidStartTime: started + 1 })).toBe(true);
  });

  it.skipIf(!existsSync('/proc/self/stat'))('refuses a provably live holder even when its lock is gone', async () => {
    const pid = livePid();
    await expect.poll(() => processStartTime(pid)).toBeDefined();
    await expect(breakStaleLock(paths, { pid, pidStartTime: processStartTime(pid) as number })).rejects.toMatchObject({
      code: 'INSTANCE_LOCKED',
    });
  });

  it('refuses a fresh lock with no known pid, breaks an old one', async () => {
    await mkdir(paths.lock);
    await expect(breakStaleLock(paths, undefined)).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
    await utimes(paths.lock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    expect(await breakStaleLock(paths, { pid: null })).toBe(true);
  });

  it('does nothing when there is no lock', async () => {
    expect(await breakStaleLock(paths, undefined)).toBe(false);
  });

  it('takes over a state mutex left behind by a crashed process', async () => {
    await mkdir(paths.mutex);
    await utimes(paths.mutex, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(await withStateMutex(paths, async () => 'inside')).toBe('inside');
    expect(existsSync(paths.mutex)).toBe(false);
  });

  it('serialises critical sections across callers', async () => {
    const order: string[] = [];
    const section = (name: string) =>
      withStateMutex(paths, async () => {
        order.push(`${name}:in`);
        // Stay inside for a while: the other caller must not get in during this window.
        await new Promise((resolve) => setTimeout(resolve, 100));
        order.push(`${name}:out`);
      });
    await Promise.all([section('a'), section('b')]);
    expect(order).toHaveLength(4);
    expect(order[0]?.split(':')[0]).toBe(order[1]?.split(':')[0]);
  });
});
