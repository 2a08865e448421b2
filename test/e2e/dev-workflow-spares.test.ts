import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../support/pg-client.js';
import { urlFrom } from '../support/ppg-process.js';
import { useSandboxedPpg } from '../support/sandboxed-ppg.js';

/**
 * The spare copies behind fast restores and resets (src/state/spare-copy.ts): a save leaves one beside the
 * snapshot, a restore takes it, and the running daemon makes the next (src/daemon/spare-keeper.ts); the
 * same for the template's, which a reset takes as its new main database. Built CLI, temp PPG_DEV_HOME.
 */
const { box, ppg, ok } = useSandboxedPpg();

const snapshotSpare = (snap: string) => path.join(box().home, 'snapshots', 'app', snap, 'data.spare');

/** The template's spare: templates/ is shared by every sandbox, so another test file may take it meanwhile. */
async function templateSpares(): Promise<string[]> {
  return (await readdir(path.join(box().home, 'templates'))).filter((name) => name.endsWith('.spare'));
}

describe('spare copies', () => {
  it('save makes one, restore takes it and the daemon makes the next; reset starts from the template spare; rm takes them along', async () => {
    const url = urlFrom(await ppg(['dev', '--detach']));
    await queryRows(url, "create table items (v text); insert into items values ('seed')");
    await ok(['dev', 'snapshot', 'save', 'seeded']);
    expect(existsSync(snapshotSpare('seeded'))).toBe(true);
    const listed = JSON.parse(await ok(['dev', 'snapshot', 'ls', '--json'])) as { sizeBytes: number }[];
    await queryRows(url, "insert into items values ('later')");

    expect(await ok(['dev', 'snapshot', 'restore', 'seeded', '--yes'])).toBe(url);
    expect(await queryRows(url, 'select v from items')).toEqual([{ v: 'seed' }]);
    // The restored data is the spare, not shared with the snapshot: a write after it leaves the snapshot as saved.
    await queryRows(url, "insert into items values ('after restore')");
    await expect.poll(() => existsSync(snapshotSpare('seeded')), { timeout: 30_000, interval: 100 }).toBe(true);
    expect(await ok(['dev', 'snapshot', 'restore', 'seeded', '--yes'])).toBe(url);
    expect(await queryRows(url, 'select v from items')).toEqual([{ v: 'seed' }]);
    expect(JSON.parse(await ok(['dev', 'snapshot', 'ls', '--json']))).toEqual(listed);

    await expect.poll(templateSpares, { timeout: 30_000, interval: 100 }).not.toEqual([]);
    expect(await ok(['dev', 'reset', '--yes'])).toBe(url);
    expect(await queryRows(url, "select count(*)::int as n from pg_tables where schemaname = 'public'")).toEqual([{ n: 0 }]);
    expect(await queryRows(url, 'select current_database() as db')).toEqual([{ db: 'postgres' }]);
    await expect.poll(templateSpares, { timeout: 30_000, interval: 100 }).not.toEqual([]);

    expect((await ppg(['dev', 'rm', 'app', '--force', '--yes'])).code).toBe(0);
    expect(existsSync(path.join(box().home, 'snapshots', 'app'))).toBe(false);
  }, 120_000);
});
