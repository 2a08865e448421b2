import { quoteLiteral } from './sql-statements.js';
import { topLevelMatches } from './sql-top-level.js';

/**
 * pg_stat_activity with one row per client, as Postgres shows one per backend. The engine is one backend,
 * so its own view has one row; a client's SQL that names the view reads instead a function of the engine's
 * session that takes that row as the template and lays each client's values over it (pid as in its
 * BackendKeyData, user, database, application_name, state, query). The values are those of the moment the
 * statement arrived: a statement prepared once and executed later shows the clients of its Parse.
 */
export interface ClientActivity {
  pid: number;
  usename: string;
  datname: string;
  application_name: string;
  client_addr: string | null;
  client_port: number | null;
  backend_start: string;
  xact_start: string | null;
  query_start: string | null;
  state_change: string | null;
  state: 'active' | 'idle' | 'idle in transaction' | 'idle in transaction (aborted)';
  query: string;
  backend_type: 'client backend';
}

export const SESSION_ACTIVITY_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION pg_temp.ppg_stat_activity(clients jsonb) RETURNS SETOF pg_catalog.pg_stat_activity LANGUAGE sql STABLE AS $ppg$
  SELECT (pg_catalog.jsonb_populate_record(a, c)).* FROM pg_catalog.pg_stat_activity a, pg_catalog.jsonb_array_elements(clients) c
   WHERE a.pid = pg_catalog.pg_backend_pid()
$ppg$`;

const VIEW = /(?:pg_catalog\s*\.\s*)?pg_stat_activity\b(?!\s*\.)/iy;
const MENTION = /pg_stat_activity/i;

/** Words that may follow a FROM item and are not its alias. */
const NOT_ALIAS = new Set([
  'where', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'on', 'using', 'group', 'order', 'limit',
  'offset', 'union', 'intersect', 'except', 'window', 'having', 'fetch', 'for', 'returning', 'tablesample', 'lateral',
]);

export function mentionsActivity(sql: string): boolean {
  return MENTION.test(sql);
}

/** The SQL with each top-level pg_stat_activity read from the clients' rows in `clients`. */
export function rewriteActivityView(sql: string, clients: readonly ClientActivity[]): string {
  const source = `pg_temp.ppg_stat_activity(${quoteLiteral(JSON.stringify(clients))}::jsonb)`;
  let out = '';
  let copied = 0;
  for (const { start, end } of topLevelMatches(sql, VIEW, 'p')) {
    const next = /^\s*([A-Za-z_][A-Za-z0-9_]*|"|\)|,|;|$)/.exec(sql.slice(end))?.[1] ?? '';
    const hasAlias = next === '"' || (/^[A-Za-z_]/.test(next) && !NOT_ALIAS.has(next.toLowerCase()));
    // Columns may be named pg_stat_activity.pid, as they would be by the view's own name.
    out += sql.slice(copied, start) + (hasAlias ? source : `${source} AS pg_stat_activity`);
    copied = end;
  }
  return out + sql.slice(copied);
}
