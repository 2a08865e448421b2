import path from 'node:path';
import { PpgError } from '../ppg-error.js';

const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const MAX_NAME_LENGTH = 63;

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name.length <= MAX_NAME_LENGTH;
}

/** Throws a usage error (exit 2) unless `name` is 1–63 characters of letters, digits, `_` and `-`. */
export function assertValidName(name: string): void {
  if (!isValidName(name)) {
    throw new PpgError('INVALID_NAME', `invalid instance name '${name}'`, {
      hint: `use 1–${MAX_NAME_LENGTH} letters, digits, '_' or '-' (for example --name my-app)`,
      exitCode: 2,
    });
  }
}

/**
 * The default instance name for a project folder: its base name with every run of characters
 * outside `[a-zA-Z0-9_-]` turned into `-`. Falls back to `default` when nothing usable is left.
 */
export function nameFromProjectDir(projectDir: string): string {
  const cleaned = path
    .basename(projectDir)
    .replace(/[^a-zA-Z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME_LENGTH);
  return cleaned === '' ? 'default' : cleaned;
}

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Shell-style glob (`*`, `?`, `[abc]`) to an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        source += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export interface NameMatch {
  /** Known names selected by at least one pattern, in the order of `known`, without duplicates. */
  matched: string[];
  /** Patterns that selected nothing (an unknown exact name, or a glob with no match). */
  unmatched: string[];
}

/** Pure: which of the `known` instance names the `patterns` select. */
export function matchNames(patterns: readonly string[], known: readonly string[]): NameMatch {
  const selected = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const hits = isGlob(pattern)
      ? known.filter((name) => globToRegExp(pattern).test(name))
      : known.filter((name) => name === pattern);
    if (hits.length === 0) unmatched.push(pattern);
    for (const hit of hits) selected.add(hit);
  }
  return { matched: known.filter((name) => selected.has(name)), unmatched };
}
