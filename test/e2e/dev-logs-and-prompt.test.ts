import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newRecord } from '../../src/state/instance-record.js';
import { PPG_BIN, runPpg, spawnPpg, urlFrom } from '../support/ppg-process.js';
import { useSandbox } from '../support/sandbox-hooks.js';

const box = useSandbox();

const ppg = (args: string[]) => runPpg(args, { env: box().env, cwd: box().project });
const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs `ppg dev rm app` on a pseudo-terminal (util-linux `script`) and types `answer`. */
function rmOnTty(answer: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', `${process.execPath} ${PPG_BIN} dev rm app`, '/dev/null'], {
      cwd: box().project,
      env: box().env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('[y/N]') && child.stdin.writable) child.stdin.end(`${answer}\n`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('ppg dev rm on a terminal', () => {
  it.skipIf(!hasScript)('asks first; "n" keeps the instance, "y" deletes it', async () => {
    const dir = path.join(box().home, 'instances', 'app');
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'instance.json'), JSON.stringify(newRecord('app', box().project)));

    const kept = await rmOnTty('n');
    expect(kept.output).toMatch(/Delete app with all data and snapshots\? \[y\/N\]/);
    expect(kept.output).toMatch(/error: nothing was deleted/);
    expect(kept.code).toBe(1);
    expect(existsSync(dir)).toBe(true);

    const removed = await rmOnTty('y');
    expect(removed.output).toMatch(/app: removed/);
    expect(removed.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('ppg dev logs --follow', () => {
  it('prints the log, then new lines as they come, until Ctrl-C', async () => {
    urlFrom(await ppg(['dev', '--detach']));
    const follower = spawnPpg(['dev', 'logs', 'app', '--follow'], { env: box().env, cwd: box().project });
    await follower.waitFor(/ready: postgres:\/\//);
    expect((await ppg(['dev', 'stop', 'app'])).code).toBe(0);
    await follower.waitFor(/received SIGTERM[\s\S]*stopped/);
    follower.child.kill('SIGINT');
    const result = await follower.exited;
    expect(result.code).toBe(0);
  });
});
