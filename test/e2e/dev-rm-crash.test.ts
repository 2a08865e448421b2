import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPpg, spawnPpg, urlFrom } from '../support/ppg-process.js';
import { useSandbox } from '../support/sandbox-hooks.js';
import { queryRows } from '../support/pg-client.js';

/** `ppg dev rm` when a kill -9 lands in the middle of it: nothing half-removed is listed or served. */
const box = useSandbox();
const ppg = (args: string[]) => runPpg(args, { env: box().env, cwd: box().project });

async function names(): Promise<string[]> {
  const result = await ppg(['dev', 'ls', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { name: string }[]).map((row) => row.name);
}

describe('ppg dev rm and kill -9', () => {
  it('the daemon killed -9 while rm --force stops it: rm still removes the instance, the other stays intact', async () => {
    const keepUrl = urlFrom(await ppg(['dev', '--detach', '--name', 'keep']));
    await queryRows(keepUrl, "create table kept (v text); insert into kept values ('safe')");
    urlFrom(await ppg(['dev', '--detach', '--name', 'victim']));
    const listed = JSON.parse((await ppg(['dev', 'ls', '--json'])).stdout) as { name: string; pid: number }[];
    const victimPid = listed.find((row) => row.name === 'victim')!.pid;

    const rm = spawnPpg(['dev', 'rm', 'victim', '--force', '--yes'], { env: box().env, cwd: box().project });
    process.kill(victimPid, 'SIGKILL');
    const result = await rm.exited;
    // Either rm saw the daemon die under its stop, or it found it crashed: both end with the data gone.
    expect(result.code, result.stderr).toBe(0);
    expect(await names()).toEqual(['keep']);
    expect(await queryRows(keepUrl, 'select v from kept')).toEqual([{ v: 'safe' }]);
    expect((await ppg(['dev', 'stop', 'keep'])).code).toBe(0);
  });

  it('a rm killed -9 after moving the folder aside leaves a .trash folder that is never listed and that the next rm deletes', async () => {
    urlFrom(await ppg(['dev', '--detach', '--name', 'other']));
    expect((await ppg(['dev', 'stop', 'other'])).code).toBe(0);
    // What a kill -9 between rm's rename and its recursive delete leaves behind.
    const trash = path.join(box().home, 'instances', '.trash-victim-0badf00d');
    await mkdir(path.join(trash, 'data', 'postgres'), { recursive: true });
    await writeFile(path.join(trash, 'instance.json'), '{"half": "deleted"}');
    expect(await names()).toEqual(['other']);
    expect((await ppg(['dev', 'rm', 'other', '--yes'])).code).toBe(0);
    expect(await readdir(path.join(box().home, 'instances'))).toEqual([]);
  });
});
