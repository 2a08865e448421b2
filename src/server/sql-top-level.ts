/**
 * Finding names in a client's SQL text where they are SQL, not inside a string, a quoted identifier, a
 * comment or a dollar-quoted body (a function body keeps the engine's own meaning of what it calls).
 */
export interface TopLevelMatch {
  match: RegExpExecArray;
  start: number;
  end: number;
}

/**
 * Each match of the sticky, case-insensitive `pattern` that starts at a top-level word boundary whose first
 * character is in `firstChars` (lower case), in text order.
 */
export function* topLevelMatches(sql: string, pattern: RegExp, firstChars: string): Generator<TopLevelMatch> {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      i = sql.indexOf(c, i + 1);
      if (i < 0) return;
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      i = sql.indexOf('\n', i);
      if (i < 0) return;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = sql.indexOf('*/', i + 2);
      if (i < 0) return;
      i += 2;
    } else if (c === '$' && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (!tag) {
        i++;
        continue;
      }
      const close = sql.indexOf(tag[0], i + tag[0].length);
      if (close < 0) return;
      i = close + tag[0].length;
    } else if (firstChars.includes(c.toLowerCase()) && !/[A-Za-z0-9_$.]/.test(sql[i - 1] ?? '')) {
      pattern.lastIndex = i;
      const match = pattern.exec(sql);
      if (match) {
        yield { match, start: i, end: i + match[0].length };
        i += match[0].length;
      } else i++;
    } else i++;
  }
}
