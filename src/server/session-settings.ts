import { dataRows, firstError } from './backend-output.js';
import type { Engine } from './engine.js';
import { ENGINE_USER } from './engine-roles.js';
import { engineSettingName, PROXY_SETTINGS, proxySettingsQuery } from './proxy-settings.js';
import { quoteIdent, quoteLiteral } from './sql-statements.js';

/**
 * Per-client session settings on a shared backend. Each client keeps the session-level settings it made
 * (SET, set_config, startup parameters); before a client runs, the engine is switched to that client's
 * settings by applying only the difference, so clients that never SET anything cost nothing.
 */
export interface SettingsHolder {
  /** lower-case GUC name → value, as Postgres reports it in pg_settings.setting (or as the client gave it). */
  settings: Map<string, string>;
  /** True after the client ran something that may have changed its settings. */
  settingsDirty: boolean;
}

const NOT_SETTINGS = new Set(['user', 'database', 'replication', 'options']);

/**
 * Settings a client asks for in its startup packet: plain parameters and `options=-c name=value` /
 * `--name=value`. Values equal to the engine's defaults are left out.
 */
export function settingsFromStartup(params: Record<string, string>, defaults: ReadonlyMap<string, string>): Map<string, string> {
  const settings = new Map<string, string>();
  const add = (name: string, value: string) => {
    const key = name.toLowerCase().replace(/-/g, '_');
    const defaultValue = [...defaults].find(([k]) => k.toLowerCase() === key)?.[1];
    if (defaultValue !== undefined && defaultValue.toLowerCase() === value.toLowerCase()) return;
    settings.set(key, value);
  };
  for (const [name, value] of Object.entries(params)) {
    if (!NOT_SETTINGS.has(name)) add(name, value);
  }
  const options = params.options?.match(/(?:\\.|\S)+/g) ?? [];
  for (let i = 0; i < options.length; i++) {
    let option = options[i]!.replace(/\\(.)/g, '$1');
    if (option === '-c' && options[i + 1]) option = options[++i]!.replace(/\\(.)/g, '$1');
    else if (option.startsWith('-c')) option = option.slice(2);
    else if (option.startsWith('--')) option = option.slice(2);
    else continue;
    const eq = option.indexOf('=');
    if (eq > 0) add(option.slice(0, eq), option.slice(eq + 1));
  }
  return settings;
}

/**
 * The statement that switches the engine from the settings in `applied` to `wanted` (null: nothing to do):
 * RESET what `wanted` lacks, set_config what differs.
 */
export function settingsSwitchSql(applied: ReadonlyMap<string, string>, wanted: ReadonlyMap<string, string>): string | null {
  const statements: string[] = [];
  for (const name of applied.keys()) {
    if (wanted.has(name)) continue;
    // RESET (and SET … DEFAULT) leave a session authorization made by set_config as it is.
    if (name === SESSION_AUTHORIZATION) statements.push(`SELECT set_config('${SESSION_AUTHORIZATION}', ${quoteLiteral(ENGINE_USER)}, false)`);
    else statements.push(`RESET ${PROXY_SETTINGS.has(name) ? engineSettingName(name) : quoteIdent(name)}`);
  }
  const assignments: string[] = [];
  // The session authorization first: setting it also resets role, which may follow.
  for (const [name, value] of [...wanted].sort(([a], [b]) => Number(b === SESSION_AUTHORIZATION) - Number(a === SESSION_AUTHORIZATION))) {
    if (applied.get(name) !== value) assignments.push(`set_config(${quoteLiteral(engineSettingName(name))}, ${quoteLiteral(value)}, false)`);
  }
  if (assignments.length > 0) statements.push(`SELECT ${assignments.join(', ')}`);
  return statements.length > 0 ? statements.join('; ') : null;
}

/** Makes the engine's session settings those of `session`. Must be called by the engine's owner. */
export async function applySessionSettings<S extends SettingsHolder>(engine: Engine<S>, session: S, log: (line: string) => void): Promise<void> {
  if (engine.hasSettingsOf(session)) return;
  const sql = settingsSwitchSql(engine.appliedSettings, session.settings);
  if (sql) {
    const error = firstError(await engine.execQuery(sql));
    if (error) log(`could not restore session settings: ${error.get('M')}`);
  }
  engine.recordSettings(session, session.settings);
}

/** A login role's session runs under its session authorization (session_user and current_user are the role). */
export const SESSION_AUTHORIZATION = 'session_authorization';

/** pg_settings leaves out session_authorization and role (GUC_NO_SHOW_ALL). */
const ROLE_SETTING_QUERY = `SELECT '${SESSION_AUTHORIZATION}', session_user::text WHERE session_user <> ${quoteLiteral(ENGINE_USER)}
  UNION ALL SELECT 'role', current_setting('role') WHERE current_setting('role') <> 'none'`;

/** Reads the session-level settings back from the engine after `session` changed them. */
export async function captureSessionSettings<S extends SettingsHolder>(engine: Engine<S>, session: S): Promise<void> {
  // Without the role settings here, the next switch would not undo them.
  const rows = dataRows(await engine.execQuery(`SELECT lower(name), setting FROM pg_settings WHERE source = 'session' UNION ALL ${ROLE_SETTING_QUERY} UNION ALL ${proxySettingsQuery()}`));
  session.settings = new Map(rows
    .filter(([name, value]) => !(PROXY_SETTINGS.has(name ?? '') && value === '0'))
    .map(([name, value]) => [name ?? '', value ?? '']));
  session.settingsDirty = false;
  engine.recordSettings(session, session.settings);
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration setting in milliseconds (0 = off). pg_settings reports these in ms; clients may add units. */
export function durationSettingMs(settings: ReadonlyMap<string, string>, name: string): number {
  const raw = settings.get(name);
  if (!raw) return 0;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw.replace(/^'|'$/g, ''));
  if (!match) return 0;
  const unit = UNIT_MS[(match[2] || 'ms').toLowerCase()];
  return unit === undefined ? 0 : Number(match[1]) * unit;
}
