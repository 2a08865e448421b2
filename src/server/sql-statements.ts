/**
 * Just enough SQL lexing to find the statements the server must virtualize per client (SET, PREPARE,
 * LISTEN, COPY FROM STDIN, CREATE/DROP DATABASE …). It never parses expressions: it splits a query string
 * at top-level semicolons (respecting quotes, dollar quotes and comments) and reads each statement's
 * first words.
 */
export interface SqlWord {
  /** Lower-cased for bare words; exact for quoted identifiers. */
  value: string;
  quoted: boolean;
  start: number;
  end: number;
}

export interface SqlStatement {
  start: number;
  end: number;
  /** The first few words of the statement (keywords and identifiers; punctuation skipped). */
  words: SqlWord[];
  /** Punctuation character right after the last collected word, if any (e.g. '(' after EXECUTE name). */
}

const MAX_WORDS = 12;

/** Cheap pre-filter: most queries contain none of these words and skip lexing entirely. */
const INTERESTING = /set|prepare|execute|deallocate|listen|copy|database|discard|idle_|extension|load/i;

export function mayNeedRewrite(sql: string): boolean {
  return INTERESTING.test(sql);
}

export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let current: SqlStatement = { start: 0, end: 0, words: [] };
  let i = 0;
  const n = sql.length;
  const pushWord = (word: SqlWord) => {
    if (current.words.length < MAX_WORDS) current.words.push(word);
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === ';') {
      current.end = i;
      statements.push(current);
      current = { start: i + 1, end: 0, words: [] };
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; }
        else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; }
        else i++;
      }
    } else if (c === "'") {
      const backslashEscapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e');
      const start = i;
      i = skipQuoted(sql, i, "'", backslashEscapes);
      pushWord({ value: sql.slice(start + 1, i - 1), quoted: true, start, end: i });
    } else if (c === '"') {
      const start = i;
      i = skipQuoted(sql, i, '"', false);
      pushWord({ value: sql.slice(start + 1, i - 1).replace(/""/g, '"'), quoted: true, start, end: i });
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else i++;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      pushWord({ value: sql.slice(start, i).toLowerCase(), quoted: false, start, end: i });
    } else i++;
  }
  current.end = n;
  if (current.words.length > 0) statements.push(current);
  return statements.filter((s) => s.words.length > 0);
}

function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  i++;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return i;
}

export type StatementKind =
  | { kind: 'set' }
  | { kind: 'listen'; channel: string }
  | { kind: 'unlisten'; channel: string | '*' }
  | { kind: 'prepare'; name: SqlWord }
  | { kind: 'execute'; name: SqlWord }
  | { kind: 'deallocate'; name: SqlWord | 'all' }
  | { kind: 'discard-all' }
  | { kind: 'discard-temp' }
  | { kind: 'copy-from-stdin' }
  /** `template` is set for `TEMPLATE x` other than template0/template1 (those mean a fresh database here). */
  | { kind: 'create-database'; name: string; template?: string }
  | { kind: 'drop-database'; name: string; ifExists: boolean; force: boolean }
  | { kind: 'load' }
  | { kind: 'other' };

function word(statement: SqlStatement, index: number): string | undefined {
  const w = statement.words[index];
  return w && !w.quoted ? w.value : undefined;
}

function identifier(w: SqlWord | undefined): string | undefined {
  return w?.value;
}

/**
 * Classifies one statement by its leading words. `sql` is the full text (used to look for FROM STDIN and
 * set_config, which can sit beyond the first words).
 */
export function classifyStatement(sql: string, statement: SqlStatement): StatementKind {
  const first = word(statement, 0);
  const text = () => sql.slice(statement.start, statement.end);
  switch (first) {
    case 'set':
    case 'reset':
      return { kind: 'set' };
    case 'listen': {
      const channel = identifier(statement.words[1]);
      return channel ? { kind: 'listen', channel } : { kind: 'other' };
    }
    case 'unlisten': {
      const channel = identifier(statement.words[1]);
      return { kind: 'unlisten', channel: channel ?? '*' };
    }
    case 'prepare': {
      const name = statement.words[1];
      if (!name || (!name.quoted && name.value === 'transaction')) return { kind: 'other' };
      return { kind: 'prepare', name };
    }
    case 'execute': {
      const name = statement.words[1];
      return name ? { kind: 'execute', name } : { kind: 'other' };
    }
    case 'deallocate': {
      let name = statement.words[1];
      if (name && !name.quoted && name.value === 'prepare') name = statement.words[2];
      if (!name) return { kind: 'other' };
      return !name.quoted && name.value === 'all' ? { kind: 'deallocate', name: 'all' } : { kind: 'deallocate', name };
    }
    case 'discard': {
      const what = word(statement, 1);
      if (what === 'all') return { kind: 'discard-all' };
      return what === 'temp' || what === 'temporary' ? { kind: 'discard-temp' } : { kind: 'other' };
    }
    case 'copy':
      return /\bfrom\s+stdin\b/i.test(text()) ? { kind: 'copy-from-stdin' } : { kind: 'other' };
    case 'create':
      if (word(statement, 1) === 'database' && statement.words[2]) {
        const at = statement.words.findIndex((w, i) => i > 2 && !w.quoted && w.value === 'template');
        const template = at > 0 ? statement.words[at + 1] : undefined;
        const fresh = !template || (!template.quoted && (template.value === 'template0' || template.value === 'template1'));
        return { kind: 'create-database', name: statement.words[2].value, ...(fresh ? {} : { template: template.value }) };
      }
      return { kind: 'other' };
    case 'load':
      return { kind: 'load' };
    case 'drop': {
      if (word(statement, 1) !== 'database') return { kind: 'other' };
      const ifExists = word(statement, 2) === 'if' && word(statement, 3) === 'exists';
      const name = statement.words[ifExists ? 4 : 2];
      if (!name) return { kind: 'other' };
      return { kind: 'drop-database', name: name.value, ifExists, force: /\(\s*force\s*\)\s*$/i.test(text()) };
    }
    default:
      return /\bset_config\s*\(/i.test(text()) ? { kind: 'set' } : { kind: 'other' };
  }
}

/** Quotes an identifier for SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
