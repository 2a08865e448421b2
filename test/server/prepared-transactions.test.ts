import { describe, expect, it } from 'vitest';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/** Two-phase commit: PREPARE TRANSACTION, then COMMIT/ROLLBACK PREPARED from any client. */
const shared = useSharedServer(startTestServer);

describe('prepared transactions', () => {
  it('a transaction prepared by one client is listed, invisible until committed, and committed or rolled back by another', async () => {
    const preparer = await shared.bag.connect();
    const other = await shared.bag.connect();
    await preparer.query('create table two_phase (x int)');
    for (const [gid, value] of [['keep-it', 1], ['drop-it', 2]] as const) {
      await preparer.query('begin');
      await preparer.query('insert into two_phase values ($1)', [value]);
      await preparer.query(`prepare transaction '${gid}'`);
    }
    // The preparer no longer holds the database: the other client runs at once.
    expect((await other.query('select gid from pg_prepared_xacts order by gid')).rows).toEqual([{ gid: 'drop-it' }, { gid: 'keep-it' }]);
    expect((await other.query('select count(*)::int as n from two_phase')).rows).toEqual([{ n: 0 }]);
    await other.query("commit prepared 'keep-it'");
    await other.query("rollback prepared 'drop-it'");
    expect((await preparer.query('select array_agg(x) as xs from two_phase')).rows).toEqual([{ xs: [1] }]);
    expect((await preparer.query('select count(*)::int as n from pg_prepared_xacts')).rows).toEqual([{ n: 0 }]);
  });
});
