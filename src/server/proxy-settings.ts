/**
 * Settings the server enforces itself and PGlite must never see. PGlite's own idle timers fire inside the
 * single shared backend: `idle_in_transaction_session_timeout` there wedges the engine for every client and
 * `idle_session_timeout` would end the one session they all share. Clients' statements naming them are
 * rewritten to a custom placeholder (`ppg.<name>`), so SET/RESET/SHOW keep Postgres's syntax and transaction
 * semantics, while the session scheduler reads the value and runs the timer per client.
 */
export const PROXY_SETTINGS: ReadonlySet<string> = new Set(['idle_in_transaction_session_timeout', 'idle_session_timeout']);

const PLACEHOLDER_PREFIX = 'ppg.';

/** The name the engine knows a setting by. */
export function engineSettingName(name: string): string {
  return PROXY_SETTINGS.has(name) ? PLACEHOLDER_PREFIX + name : name;
}

/** Engine start parameters that define the placeholders, so SHOW works before any SET. */
export function proxySettingStartParams(): string[] {
  return [...PROXY_SETTINGS].flatMap((name) => ['-c', `${PLACEHOLDER_PREFIX}${name}=0`]);
}

/** SQL expression list reading the placeholders (pg_settings does not list placeholders). */
export function proxySettingsQuery(): string {
  return [...PROXY_SETTINGS].map((name) => `SELECT '${name}', current_setting('${PLACEHOLDER_PREFIX}${name}')`).join(' UNION ALL ');
}

/**
 * SHOW of a placeholder gives its text as SET stored it ('3000'); Postgres shows a duration in its largest
 * whole unit ('3s'). Created with the backend functions (see installSessionFunctions in pglite-open.ts).
 */
export const SHOW_DURATION_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION pg_temp.ppg_show_duration(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $ppg$
SELECT CASE WHEN ms IS NULL THEN value
  WHEN ms = 0 THEN '0'
  WHEN ms % 86400000 = 0 THEN (ms / 86400000)::bigint || 'd'
  WHEN ms % 3600000 = 0 THEN (ms / 3600000)::bigint || 'h'
  WHEN ms % 60000 = 0 THEN (ms / 60000)::bigint || 'min'
  WHEN ms % 1000 = 0 THEN (ms / 1000)::bigint || 's'
  ELSE round(ms)::bigint || 'ms' END
FROM (SELECT CASE WHEN value ~ '^\\s*\\d+(\\.\\d+)?\\s*$' THEN value::numeric
  WHEN value ~* '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|min|h|d)\\s*$' THEN extract(epoch FROM value::interval) * 1000 END AS ms) AS parsed
$ppg$`;

/** What SHOW of a server-enforced setting runs instead. */
export function showProxySettingSql(name: string): string {
  return `SELECT pg_temp.ppg_show_duration(current_setting('${PLACEHOLDER_PREFIX}${name}')) AS ${name}`;
}
