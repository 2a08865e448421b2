/**
 * A lossless, line-oriented view of a `.env` file. Every byte of the input is kept in exactly one
 * `EnvEntry`, so joining `entry.text` for all entries gives the input back unchanged. The merge only
 * rewrites entries it owns; everything else (comments, blank lines, other keys, odd syntax) passes through.
 */

export interface EnvEntry {
  /** The raw text of the entry, line terminators included (a multi-line quoted value spans several lines). */
  text: string;
  /** Set when the entry is a `KEY=value` assignment. */
  assignment?: EnvAssignment;
}

export interface EnvAssignment {
  key: string;
  /** Everything before the value: indentation, `export `, the key, `=` and the spaces around it. */
  prefix: string;
  /** The value as written: quotes included, inline comment and line terminator excluded. */
  raw: string;
  /** What follows the value on its last line (spaces and an inline `# comment`), terminator excluded. */
  suffix: string;
  /** The terminator of the entry's last line: `\n`, `\r\n` or `` at end of file. */
  eol: string;
  /** The quote character that opens the value, if any. */
  quote: '"' | "'" | '`' | undefined;
  /** True when the value opens a quote that never closes (a malformed file): the entry is then one line. */
  unterminated: boolean;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=[ \t]*)(.*)$/;
const QUOTES = new Set(['"', "'", '`']);

/** Splits text into lines, each keeping its own terminator, so nothing is lost (CRLF, no final newline). */
export function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

function stripEol(line: string): { body: string; eol: string } {
  if (line.endsWith('\r\n')) return { body: line.slice(0, -2), eol: '\r\n' };
  if (line.endsWith('\n')) return { body: line.slice(0, -1), eol: '\n' };
  return { body: line, eol: '' };
}

/**
 * Parses `.env` text into entries. A quoted value may span lines (dotenv allows it for PEM keys and
 * the like) when a later line ends with the closing quote. A quote that never closes that way is
 * "unterminated": the entry stays one line instead of swallowing the keys below it.
 */
export function parseEnvLines(text: string): EnvEntry[] {
  const lines = splitLines(text);
  const entries: EnvEntry[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const { body, eol } = stripEol(line);
    const match = ASSIGNMENT.exec(body);
    if (!match || body.trimStart().startsWith('#')) {
      entries.push({ text: line });
      continue;
    }
    const prefix = match[1] as string;
    const key = match[2] as string;
    const rest = match[3] as string;
    const first = rest[0];
    if (first !== undefined && QUOTES.has(first)) {
      const quote = first as '"' | "'" | '`';
      const close = findClosingQuote(rest, quote, 1);
      if (close >= 0) {
        entries.push({ text: line, assignment: { key, prefix, raw: rest.slice(0, close + 1), suffix: rest.slice(close + 1), eol, quote, unterminated: false } });
        continue;
      }
      const end = findMultilineEnd(lines, index + 1, quote);
      if (end) {
        const spanned = lines.slice(index, end.lineIndex + 1).join('');
        const last = stripEol(lines[end.lineIndex] as string);
        const valueStart = prefix.length;
        const valueEnd = spanned.length - last.eol.length - (last.body.length - end.column - 1);
        entries.push({
          text: spanned,
          assignment: { key, prefix, raw: spanned.slice(valueStart, valueEnd), suffix: last.body.slice(end.column + 1), eol: last.eol, quote, unterminated: false },
        });
        index = end.lineIndex;
        continue;
      }
      entries.push({ text: line, assignment: { key, prefix, raw: rest, suffix: '', eol, quote, unterminated: true } });
      continue;
    }
    // Unquoted: dotenv treats ` #` as the start of an inline comment.
    const comment = /\s+#/.exec(rest);
    const valuePart = comment ? rest.slice(0, comment.index) : rest;
    const raw = valuePart.replace(/\s+$/, '');
    entries.push({ text: line, assignment: { key, prefix, raw, suffix: rest.slice(raw.length), eol, quote: undefined, unterminated: false } });
  }
  return entries;
}

function findClosingQuote(text: string, quote: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\' && quote === '"') {
      i++;
      continue;
    }
    if (text[i] === quote) return i;
  }
  return -1;
}

function findMultilineEnd(lines: string[], start: number, quote: string): { lineIndex: number; column: number } | undefined {
  for (let i = start; i < lines.length; i++) {
    const { body } = stripEol(lines[i] as string);
    const column = findClosingQuote(body, quote, 0);
    if (column < 0) continue;
    // The closing quote of a multi-line value ends its line (maybe before a comment); a quote in the
    // middle of a line (`NEXT="x"`) means the opening quote was never closed.
    return /^\s*(#.*)?$/.test(body.slice(column + 1)) ? { lineIndex: i, column } : undefined;
  }
  return undefined;
}

/** The value a dotenv loader would see for a raw value: quotes removed, `\n` expanded in double quotes. */
export function unquoteValue(raw: string, quote: EnvAssignment['quote'], unterminated: boolean): string {
  if (quote === undefined) return raw;
  if (unterminated) return raw;
  const inner = raw.slice(1, -1);
  return quote === '"' ? inner.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : inner;
}
