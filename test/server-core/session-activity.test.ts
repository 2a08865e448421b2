import { describe, expect, it } from 'vitest';
import { rewriteActivityView } from '../../src/server/session-activity.js';

const F = "pg_temp.ppg_stat_activity('[]'::jsonb)";

describe('rewriteActivityView', () => {
  it.each([
    ['select * from pg_stat_activity', `select * from ${F} AS pg_stat_activity`],
    ['select * from pg_catalog.pg_stat_activity where pid = 1', `select * from ${F} AS pg_stat_activity where pid = 1`],
    ['select a.pid from pg_stat_activity a', `select a.pid from ${F} a`],
    ['select x.pid from PG_STAT_ACTIVITY as x', `select x.pid from ${F} as x`],
    ['select pg_stat_activity.pid from pg_stat_activity join t on true', `select pg_stat_activity.pid from ${F} AS pg_stat_activity join t on true`],
    ['select count(*) from (select 1 from pg_stat_activity) s', `select count(*) from (select 1 from ${F} AS pg_stat_activity) s`],
    ["select 'pg_stat_activity', \"pg_stat_activity\" from t", "select 'pg_stat_activity', \"pg_stat_activity\" from t"],
    ['select 1 -- pg_stat_activity', 'select 1 -- pg_stat_activity'],
    ['create function f() returns int as $$ select count(*) from pg_stat_activity $$ language sql', 'create function f() returns int as $$ select count(*) from pg_stat_activity $$ language sql'],
  ])('%j', (sql, expected) => {
    expect(rewriteActivityView(sql, [])).toBe(expected);
  });
});
