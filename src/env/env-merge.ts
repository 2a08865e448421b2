import { PpgError } from '../ppg-error.js';
import { parseEnvLines, unquoteValue, type EnvAssignment, type EnvEntry } from './env-lines.js';

/**
 * The pure `.env` merge used by `ppg init --db`, `ppg init --local`, `ppg create-db --env` and
 * `ppg dev --env`. It edits only the entries of the keys it is given and returns every other byte
 * unchanged: comments, blank lines, ordering, CRLF endings, a missing final newline, malformed lines.
 */

/** A value to set: a plain string is quoted as needed; `{ raw }` is written after `=` exactly as given. */
export type EnvValue = string | { raw: string };

export interface SetEnvOptions {
  /**
   * When set, an existing value that changes is kept as a comment right above the key:
   * `# KEY (<label>): <previous raw value>`, so a later command can switch back. Markers holding other
   * values are never removed (a cloud URL is shown by the API only once); a marker that already holds
   * the same value is moved instead of repeated.
   */
  commentPrevious?: string;
  /** Removes marker comments `# KEY (<label>): …` for the given label (used when switching back). */
  dropMarker?: string;
  /** Removes the markers this returns true for (e.g. the one whose value is being restored). */
  dropMarkers?: (marker: EnvMarker) => boolean;
}

export interface EnvChange {
  key: string;
  action: 'added' | 'updated' | 'unchanged';
  /** The previous (effective) value as a loader would read it, when there was one. */
  previous?: string;
  /** How many times the key appeared; the last occurrence is the effective one and is the one updated. */
  occurrences: number;
}

export interface EnvMergeResult {
  text: string;
  changes: EnvChange[];
}

/** A marker comment `# KEY (<label>): <raw>`; a multi-line raw value continues on `# ` lines below. */
export interface EnvMarker {
  key: string;
  label: string;
  /** The value exactly as it was written after `KEY=` (quotes included). */
  raw: string;
  /** Entry indexes (from parseEnvLines) the marker spans, `end` exclusive. */
  start: number;
  end: number;
}

/**
 * Sets each key to its value. For a key that exists, the LAST occurrence is rewritten in place (the
 * one dotenv and `node --env-file` actually use; earlier duplicates are left alone, byte for byte),
 * keeping `export`, spacing, inline comment, line terminator and quote style. A new key is appended
 * as `KEY="value"` with the file's own line ending. Throws PpgError `env_unrepresentable` for a value
 * no quote style can hold (a newline plus every quote character).
 */
export function setEnvVars(text: string, vars: Record<string, EnvValue>, options: SetEnvOptions = {}): EnvMergeResult {
  let entries = parseEnvLines(text);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const changes: EnvChange[] = [];
  for (const key of Object.keys(vars)) {
    const drop = findMarkers(entries, key).filter((m) => m.label === options.dropMarker || options.dropMarkers?.(m) === true);
    entries = removeSpans(entries, drop);
  }
  for (const [key, value] of Object.entries(vars)) {
    const indexes = entries.flatMap((entry, index) => (entry.assignment?.key === key ? [index] : []));
    const lastIndex = indexes[indexes.length - 1];
    if (lastIndex === undefined) {
      appendEntry(entries, `${key}=${typeof value === 'string' ? quoteValue(value, '"') : value.raw}`, eol);
      changes.push({ key, action: 'added', occurrences: 0 });
      continue;
    }
    const current = entries[lastIndex] as EnvEntry & { assignment: EnvAssignment };
    const assignment = current.assignment;
    const previous = unquoteValue(assignment.raw, assignment.quote, assignment.unterminated);
    const raw = typeof value === 'string' ? requote(value, assignment) : value.raw;
    if (raw === assignment.raw) {
      changes.push({ key, action: 'unchanged', previous, occurrences: indexes.length });
      continue;
    }
    // A malformed value had no closing quote, so its "suffix" was part of the value: drop it with the value.
    const rewritten: EnvEntry = { text: `${assignment.prefix}${raw}${assignment.suffix}${assignment.eol}` };
    if (options.commentPrevious === undefined) {
      entries.splice(lastIndex, 1, rewritten);
    } else {
      // Each line of a multi-line value keeps its own terminator, so it comes back byte for byte.
      const marker: EnvEntry = { text: `${markerPrefix(key, options.commentPrevious)}${assignment.raw.replace(/\r?\n/g, (end) => `${end}# `)}${assignment.eol || eol}` };
      // The same value kept twice is noise: an older marker holding it moves here with the new label.
      const same = findMarkers(entries, key).filter((m) => m.end <= lastIndex && m.raw === assignment.raw);
      const removedAbove = same.reduce((n, m) => n + (m.end - m.start), 0);
      entries = removeSpans(entries, same);
      entries.splice(lastIndex - removedAbove, 1, marker, rewritten);
    }
    changes.push({ key, action: 'updated', previous, occurrences: indexes.length });
  }
  return { text: entries.map((entry) => entry.text).join(''), changes };
}

/** Every marker comment of `key`, in file order (the last one is the most recent). */
export function readMarkers(text: string, key: string): EnvMarker[] {
  return findMarkers(parseEnvLines(text), key);
}

function findMarkers(entries: EnvEntry[], key: string): EnvMarker[] {
  const head = new RegExp(`^# ${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(([^)]*)\\): (.*?)\\r?\\n?$`);
  const markers: EnvMarker[] = [];
  for (let index = 0; index < entries.length; index++) {
    const match = head.exec((entries[index] as EnvEntry).text);
    if (!match) continue;
    let raw = match[2] as string;
    let end = index + 1;
    // A multi-line quoted value was written with `# ` before each continuation line: take lines
    // until the quote closes; if it never does, the marker is just its first line.
    if (isOpenQuote(raw)) {
      let joined = raw;
      for (let next = index + 1; next < entries.length; next++) {
        const line = (entries[next] as EnvEntry).text;
        if (!line.startsWith('# ')) break;
        const lineEol = /\r?\n$/.exec((entries[next - 1] as EnvEntry).text)?.[0] ?? '\n';
        joined += `${lineEol}${line.slice(2).replace(/\r?\n$/, '')}`;
        if (!isOpenQuote(joined)) {
          raw = joined;
          end = next + 1;
          break;
        }
      }
    }
    markers.push({ key, label: match[1] as string, raw, start: index, end });
    index = end - 1;
  }
  return markers;
}

/** True when `raw` opens a quote that it does not close (the start of a multi-line value). */
function isOpenQuote(raw: string): boolean {
  const entries = parseEnvLines(`K=${raw}\n`);
  return entries.length !== 1 || entries[0]?.assignment?.unterminated === true;
}

function removeSpans(entries: EnvEntry[], spans: Array<{ start: number; end: number }>): EnvEntry[] {
  if (spans.length === 0) return entries;
  return entries.filter((_entry, index) => !spans.some((span) => index >= span.start && index < span.end));
}

/** The effective value of a key (last occurrence wins, as in dotenv), or undefined when absent. */
export function readEnvVar(text: string, key: string): string | undefined {
  let value: string | undefined;
  for (const entry of parseEnvLines(text)) {
    const a = entry.assignment;
    if (a?.key === key) value = unquoteValue(a.raw, a.quote, a.unterminated);
  }
  return value;
}

/** The raw value stored in a marker comment `# KEY (<label>): <raw>`, or undefined. The last marker wins. */
export function readMarker(text: string, key: string, label: string): string | undefined {
  return readMarkers(text, key).filter((marker) => marker.label === label).pop()?.raw;
}

function markerPrefix(key: string, label: string): string {
  return `# ${key} (${label}): `;
}

function appendEntry(entries: EnvEntry[], line: string, eol: string): void {
  const last = entries[entries.length - 1];
  // A file without a final newline gets one before our line; the bytes already there stay as they are.
  if (last && !last.text.endsWith('\n')) entries.push({ text: eol });
  entries.push({ text: `${line}${eol}` });
}

/** Keeps the existing quote style when it can hold the value; adds quotes when an unquoted value needs them. */
function requote(value: string, previous: EnvAssignment): string {
  if (previous.quote !== undefined && !previous.unterminated && canQuote(value, previous.quote)) return quoteValue(value, previous.quote);
  if (previous.quote === undefined && /^[^\s#"'`\\]*$/.test(value)) return value;
  return quoteValue(value, '"');
}

function canQuote(value: string, quote: string): boolean {
  if (value.includes(quote)) return false;
  // Only double quotes expand `\n`; a real newline inside single quotes or backticks would span lines.
  return quote === '"' || !/[\r\n]/.test(value);
}

/** Quotes with the preferred character, falling back to another one the value does not contain. */
function quoteValue(value: string, preferred: '"' | "'" | '`'): string {
  const order = [preferred, '"', "'", '`'] as const;
  for (const quote of order) {
    if (!canQuote(value, quote)) continue;
    const body = quote === '"' ? value.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : value;
    return `${quote}${body}${quote}`;
  }
  throw new PpgError('ENV_UNREPRESENTABLE', 'the value cannot be written to .env: it contains every quote character', {
    hint: 'remove the quote characters from the value',
  });
}
