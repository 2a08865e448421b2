import { readEnvVar, readMarkers, setEnvVars, type EnvMarker, type EnvMergeResult, type EnvValue, type SetEnvOptions } from '../env/env-merge.js';
import { unquoteValue, parseEnvLines } from '../env/env-lines.js';
import { isPrismaPostgresUrl } from './connection-url.js';

/**
 * The pure text side of switching a project between its local database and Prisma Postgres. Every
 * value that leaves DATABASE_URL stays in `.env` as a marker comment (`# DATABASE_URL (<label>): <raw>`),
 * newest right above the key; only a value that becomes live again loses its marker. A cloud URL's
 * password is shown by the API once, so no switch may ever drop one.
 */

/** The marker `ppg init --db` leaves above DATABASE_URL; `ppg init --local` reads it back. */
export const LOCAL_MARKER = 'local, before ppg init --db';
const KEY = 'DATABASE_URL';

/** `cloud <projectId>, before <command>`: the project id (not secret) lets a later `init --db` check it still exists. */
export function cloudMarkerLabel(projectId: string | undefined, command: string): string {
  return `cloud${projectId ? ` ${projectId}` : ''}, before ${command}`;
}

export interface CloudCandidate {
  /** The marker's value as written (quotes included), put back byte for byte. */
  raw: string;
  /** The value a loader reads. */
  url: string;
  /** From the marker's label, when it names one. */
  projectId: string | undefined;
}

/** Prisma Postgres URLs kept as markers, most recent first (markers sit newest-last above the key). */
export function listCloudCandidates(text: string): CloudCandidate[] {
  return readMarkers(text, KEY)
    .map((marker) => ({ raw: marker.raw, url: loadedValue(marker.raw), projectId: /^cloud ([^,\s]+),/.exec(marker.label)?.[1] }))
    .filter((candidate) => isPrismaPostgresUrl(candidate.url))
    .reverse();
}

/** The newest marker left by `ppg init --db` for the local value, or undefined. */
function findLocalMarker(text: string): EnvMarker | undefined {
  return readMarkers(text, KEY)
    .filter((marker) => marker.label === LOCAL_MARKER)
    .pop();
}

/**
 * Points DATABASE_URL at a cloud value. The replaced value is kept under `replacedLabel`; a marker
 * holding `value` (when switching back to a kept URL) is removed, since the value is live again.
 */
export function switchDatabaseUrl(text: string, value: EnvValue, replacedLabel: string): EnvMergeResult {
  return setEnvVars(text, { [KEY]: value }, switchOptions(value, replacedLabel));
}

/** The merge options of a switch to `value` (for updateEnvFile, which reads and writes the file). */
export function switchOptions(value: EnvValue, replacedLabel: string): SetEnvOptions {
  const restored = typeof value === 'string' ? undefined : value.raw;
  return { commentPrevious: replacedLabel, dropMarkers: (marker) => restored !== undefined && marker.raw === restored };
}

/**
 * Puts the newest `ppg init --db` local value back, byte for byte, and keeps the replaced value under
 * `replacedLabel`. Undefined when `.env` keeps no local value.
 */
export function restoreLocal(text: string, replacedLabel: string): EnvMergeResult | undefined {
  const local = findLocalMarker(text);
  if (local === undefined) return undefined;
  return setEnvVars(text, { [KEY]: { raw: local.raw } }, { dropMarkers: (m) => m.label === LOCAL_MARKER && m.raw === local.raw, commentPrevious: replacedLabel });
}

/** The current DATABASE_URL as a loader reads it. */
export function currentDatabaseUrl(text: string | undefined): string | undefined {
  return text === undefined ? undefined : readEnvVar(text, KEY);
}

/** What a loader would read for a raw value written after `KEY=`. */
function loadedValue(raw: string): string {
  const assignment = parseEnvLines(`K=${raw}\n`)[0]?.assignment;
  return assignment ? unquoteValue(assignment.raw, assignment.quote, assignment.unterminated) : raw;
}
