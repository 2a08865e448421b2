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
