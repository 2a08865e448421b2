import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { isPidAlive, terminateProcess } from '../../src/state/terminate-process.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A real node process; `ignoreTerm` makes it shrug off SIGTERM like a daemon stuck in a long statement. */
async function startChild(ignoreTerm: boolean): Promise<number> {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); process.stdout.write('up');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child.pid as number;
}

describe('terminateProcess', () => {
  it('ends a process with SIGTERM', async () => {
    const pid = await startChild(false);
    expect(await terminateProcess(pid, 5_000)).toBe('exited');
    expect(isPidAlive(pid)).toBe(false);
  });

  it('falls back to SIGKILL after the grace period', async () => {
    const pid = await startChild(true);
    expect(await terminateProcess(pid, 300)).toBe('killed');
    expect(isPidAlive(pid)).toBe(false);
  });

  it('reports a pid that is already gone', async () => {
    const pid = await startChild(false);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => isPidAlive(pid)).toBe(false);
    expect(await terminateProcess(pid, 300)).toBe('not-running');
  });
});
