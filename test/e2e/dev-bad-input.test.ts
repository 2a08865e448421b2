import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { newRecord } from '../../src/state/instance-record.js';
import { runPpg, urlFrom, type PpgResult } from '../support/ppg-process.js';
import { useSandbox } from '../support/sandbox-hooks.js';

const box = useSandbox();

const ppg = (args: string[], env: NodeJS.ProcessEnv = {}) => runPpg(args, { env: { ...box().env, ...env }, cwd: box().project });

/** One `error:` line, one `hint:` line (possibly followed by a log tail), nothing on stdout. */
function expectCleanError(result: PpgResult, code: number, message: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const [first, second] = result.stderr.split('\n');
  expect(first).toMatch(/^error: /);
  expect(first).toMatch(message);
  expect(second).toMatch(/^hint: \S/);
}

function instanceDir(name: string): string {
  return path.join(box().home, 'instances', name);
}

async function writeInstanceFile(name: string, file: string, text: string): Promise<string> {
  await mkdir(path.join(instanceDir(name), 'data'), { recursive: true });
  const full = path.join(instanceDir(name), file);
  await writeFile(full, text);
  return full;
}

describe('bad input: clear error, hint, non-zero exit, no data lost', () => {
  it('rejects an invalid name as a usage error without creating state', async () => {
    expectCleanError(await ppg(['dev', '--detach', '--name', 'no/slashes']), 2, /invalid instance name 'no\/slashes'/);
    expect((await ppg(['dev', 'ls', '--json'])).stdout.trim()).toBe('[]');
  });

  it('rejects an out-of-range port and an unknown flag with exit 2', async () => {
    const range = await ppg(['dev', '--detach', '--port', '70000']);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/argument '70000' is invalid/);
    const flag = await ppg(['dev', '--detach', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('rejects a --wait that is not a number of seconds with exit 2, before anything is copied', async () => {
    for (const args of [['dev', 'snapshot', 'save', 's1', '--wait', '0'], ['dev', 'branch', 'app', 'feature', '--wait', '5s']]) {
      const result = await ppg(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/option '--wait <seconds>' argument '(0|5s)' is invalid\. expected a number of seconds/);
    }
    expect((await ppg(['dev', 'ls', '--json'])).stdout.trim()).toBe('[]');
  });

  it('names "another process" when --port is held by a foreign listener', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      expectCleanError(await ppg(['dev', '--detach', '--port', String(port)]), 1, new RegExp(`port ${port} is in use by another process`));
      expect(JSON.parse((await ppg(['dev', 'ls', '--json'])).stdout)).toEqual([expect.objectContaining({ status: 'stopped' })]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('names the instance that holds a requested port', async () => {
    const url = urlFrom(await ppg(['dev', '--detach', '--name', 'first']));
    const port = new URL(url).port;
    expectCleanError(await ppg(['dev', '--detach', '--name', 'second', '--port', port]), 1, new RegExp(`port ${port} is in use by instance 'first'`));
    expect((await ppg(['dev', 'stop', '--all'])).code).toBe(0);
  });

  it('refuses a truncated instance.json, names the file, and leaves record and data alone', async () => {
    const record = await writeInstanceFile('app', 'instance.json', '{"schemaVersion": 1, "name": "ap');
    const marker = await writeInstanceFile('app', 'data/keep.txt', 'precious');
    const result = await ppg(['dev', '--detach']);
    expectCleanError(result, 1, /not a valid instance record/);
    expect(result.stderr).toContain(record);
    expect(await readFile(record, 'utf8')).toBe('{"schemaVersion": 1, "name": "ap');
    expect(await readFile(marker, 'utf8')).toBe('precious');
    const listed = await ppg(['dev', 'ls', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim()).toBe('[]');
    expect(listed.stderr).toMatch(/warning: app: .*not a valid instance record/);
  });

  it("refuses to hand another project's instance to a folder of the same name", async () => {
    await writeInstanceFile('app', 'instance.json', JSON.stringify(newRecord('app', '/somewhere/else/app')));
    const result = await ppg(['dev', '--detach']);
    expectCleanError(result, 1, /instance 'app' belongs to another project \(\/somewhere\/else\/app\)/);
    expect(result.stderr).toMatch(/--name app-2/);
  });

  it('refuses a record written by a newer version', async () => {
    await writeInstanceFile('app', 'instance.json', JSON.stringify({ schemaVersion: 99, name: 'app' }));
    expectCleanError(await ppg(['dev', '--detach']), 1, /written by a newer ppg-dev/);
    expectCleanError(await ppg(['dev']), 1, /written by a newer ppg-dev/);
  });

  it('refuses a data directory locked by another live process', async () => {
    await mkdir(instanceDir('app'), { recursive: true });
    const release = await lockfile.lock(instanceDir('app'), { lockfilePath: path.join(instanceDir('app'), '.lock'), realpath: false });
    try {
      // No timeout override: a lock whose holder never names itself is refused after a short grace.
      expectCleanError(await ppg(['dev', '--detach']), 1, /locked by another process/);
      expectCleanError(await ppg(['dev']), 1, /locked by another process/);
    } finally {
      await release();
    }
  });

  it('stop reports each target and exits 1 when one of them could not be stopped', async () => {
    await writeInstanceFile('other', 'instance.json', JSON.stringify(newRecord('other', box().project)));
    await mkdir(instanceDir('app'), { recursive: true });
    const release = await lockfile.lock(instanceDir('app'), { lockfilePath: path.join(instanceDir('app'), '.lock'), realpath: false });
    try {
      const result = await ppg(['dev', 'stop', '--all']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^app: failed \(locked by a process ppg-dev does not know\)$/m);
      expect(result.stderr).toMatch(/^other: not-running/m);
      expect(result.stderr).toMatch(/^error: could not stop app$/m);
    } finally {
      await release();
    }
  });

  it('prints the tail of the daemon log when the daemon fails to start', async () => {
    // A file where the database directory belongs makes the server fail after the daemon started logging.
    await writeInstanceFile('app', 'data/postgres', 'not a directory');
    const result = await ppg(['dev', '--detach']);
    expectCleanError(result, 1, /instance 'app' failed to start/);
    expect(result.stderr).toMatch(/hint: last lines of .*daemon\.log:\n.*starting instance 'app'/);
    expect(JSON.parse((await ppg(['dev', 'ls', '--json'])).stdout)[0]).toMatchObject({ status: 'stopped' });
  });

  it('stops a daemon that is not ready in time and prints its log', async () => {
    // 0.3 s: past node's start-up on most machines, well before PGlite is open.
    const result = await ppg(['dev', '--detach'], { PPG_DEV_START_TIMEOUT_MS: '300' });
    expectCleanError(result, 1, /not ready after 0\.3 s and was stopped/);
    expect(result.stderr).toMatch(/hint: (last lines of .*daemon\.log:\n.*starting instance 'app'|no log was written)/);
    expect(JSON.parse((await ppg(['dev', 'ls', '--json'])).stdout)[0]).toMatchObject({ status: 'stopped' });
  });

  it('reports an unwritable state root', async () => {
    const file = path.join(box().project, 'package.json');
    expectCleanError(await ppg(['dev', '--detach'], { PPG_DEV_HOME: path.join(file, 'home') }), 1, /cannot write to the state directory/);
  });

  it('lists the known names when stop, start, rm or logs get an unknown one', async () => {
    const stopped = { ...newRecord('known', box().project), port: box().basePort };
    await writeInstanceFile('known', 'instance.json', JSON.stringify(stopped));
    for (const args of [['dev', 'stop', 'nope'], ['dev', 'start', 'nope'], ['dev', 'rm', 'nope', '--yes'], ['dev', 'logs', 'nope']]) {
      const result = await ppg(args);
      expectCleanError(result, 1, /no instance matches 'nope'/);
      expect(result.stderr).toMatch(/hint: known instances: known/);
    }
  });
});
