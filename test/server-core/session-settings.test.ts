import { describe, expect, it } from 'vitest';
import { durationSettingMs, settingsFromStartup, settingsSwitchSql } from '../../src/server/session-settings.js';

const defaults = new Map([['TimeZone', 'UTC'], ['client_encoding', 'UTF8'], ['application_name', '']]);

describe('settingsFromStartup', () => {
  it.each([
    [{ user: 'u', database: 'd' }, {}],
    [{ user: 'u', client_encoding: 'UTF8' }, {}],
    [{ user: 'u', application_name: 'psql' }, { application_name: 'psql' }],
    [{ user: 'u', TimeZone: 'Europe/Paris' }, { timezone: 'Europe/Paris' }],
    [{ user: 'u', options: '-c search_path=app -c statement_timeout=5s' }, { search_path: 'app', statement_timeout: '5s' }],
    [{ user: 'u', options: '-csearch_path=app --work-mem=8MB' }, { search_path: 'app', work_mem: '8MB' }],
    [{ user: 'u', options: '-c application_name=with\\ space' }, { application_name: 'with space' }],
  ])('%j → %j', (params, expected) => {
    expect(Object.fromEntries(settingsFromStartup(params as Record<string, string>, defaults))).toEqual(expected);
  });
});

describe('durationSettingMs', () => {
  it.each([
    [undefined, 0],
    ['0', 0],
    ['250', 250],
    ['250ms', 250],
    ['2s', 2000],
    ['1min', 60_000],
    ["'3s'", 3000],
    ['1500us', 1.5],
    ['garbage', 0],
  ])('%j → %d ms', (value, ms) => {
    const settings = new Map<string, string>();
    if (value !== undefined) settings.set('statement_timeout', value);
    expect(durationSettingMs(settings, 'statement_timeout')).toBe(ms);
  });
});

describe('settingsSwitchSql', () => {
  it('sets the session authorization before role, and returns to the engine user explicitly (RESET would not)', () => {
    const role = new Map([['role', 'auditors'], ['session_authorization', 'grace']]);
    expect(settingsSwitchSql(new Map(), role)).toBe("SELECT set_config('session_authorization', 'grace', false), set_config('role', 'auditors', false)");
    expect(settingsSwitchSql(role, new Map([['timezone', 'UTC']]))).toBe(
      "RESET \"role\"; SELECT set_config('session_authorization', 'postgres', false); SELECT set_config('timezone', 'UTC', false)",
    );
    expect(settingsSwitchSql(role, role)).toBeNull();
  });
});
