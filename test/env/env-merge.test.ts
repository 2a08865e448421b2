import { describe, expect, it } from 'vitest';
import { readEnvVar, readMarker, readMarkers, setEnvVars } from '../../src/env/env-merge.js';
import { parseEnvLines } from '../../src/env/env-lines.js';

const CLOUD = 'postgres://u_test:sk_test@db.prisma.io:5432/postgres?sslmode=require';
const LABEL = 'local, before ppg init --db';

interface Case {
  name: string;
  before: string;
  after: string;
  action: 'added' | 'updated' | 'unchanged';
  previous?: string;
}

const cases: Case[] = [
  { name: 'empty file', before: '', after: `DATABASE_URL="${CLOUD}"\n`, action: 'added' },
  {
    name: 'no key: appended after other lines, comments and blanks kept',
    before: '# my env\nFOO=1\n\nBAR="two"\n',
    after: `# my env\nFOO=1\n\nBAR="two"\nDATABASE_URL="${CLOUD}"\n`,
    action: 'added',
  },
  {
    name: 'no key and no trailing newline: a newline is added before our line only',
    before: 'FOO=1',
    after: `FOO=1\nDATABASE_URL="${CLOUD}"\n`,
    action: 'added',
  },
  {
    name: 'no key, CRLF file: appended with CRLF',
    before: 'FOO=1\r\nBAR=2\r\n',
    after: `FOO=1\r\nBAR=2\r\nDATABASE_URL="${CLOUD}"\r\n`,
    action: 'added',
  },
  {
    name: 'double-quoted value replaced in place, order kept, previous commented above',
    before: '# top\nA=1\nDATABASE_URL="postgres://postgres:postgres@localhost:51214/postgres"\nB=2\n',
    after: `# top\nA=1\n# DATABASE_URL (${LABEL}): "postgres://postgres:postgres@localhost:51214/postgres"\nDATABASE_URL="${CLOUD}"\nB=2\n`,
    action: 'updated',
    previous: 'postgres://postgres:postgres@localhost:51214/postgres',
  },
  {
    name: 'single quotes preserved',
    before: "DATABASE_URL='postgres://localhost/db'\n",
    after: `# DATABASE_URL (${LABEL}): 'postgres://localhost/db'\nDATABASE_URL='${CLOUD}'\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'unquoted stays unquoted when safe',
    before: 'DATABASE_URL=postgres://localhost/db\n',
    after: `# DATABASE_URL (${LABEL}): postgres://localhost/db\nDATABASE_URL=${CLOUD}\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'export prefix, spaces around = and inline comment kept',
    before: '  export DATABASE_URL = "postgres://localhost/db"   # local db\n',
    after: `# DATABASE_URL (${LABEL}): "postgres://localhost/db"\n  export DATABASE_URL = "${CLOUD}"   # local db\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'unquoted with inline comment keeps the comment',
    before: 'DATABASE_URL=postgres://localhost/db # note\n',
    after: `# DATABASE_URL (${LABEL}): postgres://localhost/db\nDATABASE_URL=${CLOUD} # note\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'CRLF endings kept on every line, the new lines use CRLF too',
    before: 'A=1\r\nDATABASE_URL="postgres://localhost/db"\r\nB=2\r\n',
    after: `A=1\r\n# DATABASE_URL (${LABEL}): "postgres://localhost/db"\r\nDATABASE_URL="${CLOUD}"\r\nB=2\r\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'last line without trailing newline stays without one',
    before: 'A=1\nDATABASE_URL="postgres://localhost/db"',
    after: `A=1\n# DATABASE_URL (${LABEL}): "postgres://localhost/db"\nDATABASE_URL="${CLOUD}"`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'duplicate keys: the last (effective) one is updated, the first is left byte for byte',
    before: 'DATABASE_URL="postgres://first/db"\nX=1\nDATABASE_URL="postgres://second/db"\n',
    after: `DATABASE_URL="postgres://first/db"\nX=1\n# DATABASE_URL (${LABEL}): "postgres://second/db"\nDATABASE_URL="${CLOUD}"\n`,
    action: 'updated',
    previous: 'postgres://second/db',
  },
  {
    name: 'unterminated quote on our key: only that line is replaced, the lines below survive',
    before: 'DATABASE_URL="postgres://localhost/db\nNEXT="keep me"\n# tail\n',
    after: `# DATABASE_URL (${LABEL}): "postgres://localhost/db\nDATABASE_URL="${CLOUD}"\nNEXT="keep me"\n# tail\n`,
    action: 'updated',
    previous: '"postgres://localhost/db',
  },
  {
    name: 'unterminated quote on another key is left alone',
    before: 'OTHER="broken\nDATABASE_URL=postgres://localhost/db\n',
    after: `OTHER="broken\n# DATABASE_URL (${LABEL}): postgres://localhost/db\nDATABASE_URL=${CLOUD}\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'a multi-line quoted value of another key is not mistaken for our key',
    before: 'PEM="-----BEGIN\nDATABASE_URL=inside-the-pem\n-----END"\n',
    after: `PEM="-----BEGIN\nDATABASE_URL=inside-the-pem\n-----END"\nDATABASE_URL="${CLOUD}"\n`,
    action: 'added',
  },
  {
    name: 'commented-out key is not a key',
    before: '# DATABASE_URL="postgres://old/db"\n',
    after: `# DATABASE_URL="postgres://old/db"\nDATABASE_URL="${CLOUD}"\n`,
    action: 'added',
  },
  {
    name: 'same value: unchanged, no marker',
    before: `DATABASE_URL="${CLOUD}"\n`,
    after: `DATABASE_URL="${CLOUD}"\n`,
    action: 'unchanged',
    previous: CLOUD,
  },
  {
    name: 'a marker holding another value is kept: markers stack, newest right above the key',
    before: `# DATABASE_URL (${LABEL}): "postgres://older/db"\nDATABASE_URL="postgres://localhost/db"\n`,
    after: `# DATABASE_URL (${LABEL}): "postgres://older/db"\n# DATABASE_URL (${LABEL}): "postgres://localhost/db"\nDATABASE_URL="${CLOUD}"\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
  {
    name: 'a marker already holding the replaced value moves down instead of repeating',
    before: `# DATABASE_URL (other): "postgres://localhost/db"\nX=1\nDATABASE_URL="postgres://localhost/db"\n`,
    after: `X=1\n# DATABASE_URL (${LABEL}): "postgres://localhost/db"\nDATABASE_URL="${CLOUD}"\n`,
    action: 'updated',
    previous: 'postgres://localhost/db',
  },
];

describe('setEnvVars', () => {
  it.each(cases)('$name', ({ before, after, action, previous }) => {
    const result = setEnvVars(before, { DATABASE_URL: CLOUD }, { commentPrevious: LABEL });
    expect(result.text).toBe(after);
    expect(result.changes[0]?.action).toBe(action);
    expect(result.changes[0]?.previous).toBe(previous);
  });

  it('sets several keys at once and keeps unrelated lines', () => {
    const result = setEnvVars('A=1\nCLAIM_URL=old\n', { DATABASE_URL: 'postgres://x/db', CLAIM_URL: 'https://claim?id=1' });
    expect(result.text).toBe('A=1\nCLAIM_URL=https://claim?id=1\nDATABASE_URL="postgres://x/db"\n');
    expect(result.changes.map((c) => c.action)).toEqual(['added', 'updated']);
  });

  it('adds quotes when an unquoted value needs them', () => {
    expect(setEnvVars('K=a\n', { K: 'has space#hash' }).text).toBe('K="has space#hash"\n');
  });

  it('switches quote style when the old one cannot hold the value', () => {
    expect(setEnvVars("K='a'\n", { K: "it's" }).text).toBe('K="it\'s"\n');
    expect(setEnvVars('K="a"\n', { K: 'say "hi"' }).text).toBe("K='say \"hi\"'\n");
  });

  it('writes raw values byte for byte and drops markers when switching back', () => {
    const text = `# DATABASE_URL (${LABEL}): 'postgres://localhost/db'\nDATABASE_URL="${CLOUD}"\n`;
    const raw = readMarker(text, 'DATABASE_URL', LABEL);
    expect(raw).toBe("'postgres://localhost/db'");
    const result = setEnvVars(text, { DATABASE_URL: { raw: raw as string } }, { dropMarker: LABEL, commentPrevious: 'cloud, before ppg init --local' });
    expect(result.text).toBe(`# DATABASE_URL (cloud, before ppg init --local): "${CLOUD}"\nDATABASE_URL='postgres://localhost/db'\n`);
  });
});

describe('readMarkers', () => {
  it('reads every marker in file order, a multi-line value whole (CRLF kept), and stops at an unclosed one', () => {
    const text =
      '# DATABASE_URL (a): "one"\r\n' +
      '# DATABASE_URL (b): "multi\r\n# line\r\n# value"\r\n' +
      '# DATABASE_URL (c): "never closed\r\n# just a comment\r\n' +
      '# OTHER (a): x\r\nDATABASE_URL=1\r\n';
    expect(readMarkers(text, 'DATABASE_URL').map(({ label, raw, start, end }) => ({ label, raw, start, end }))).toEqual([
      { label: 'a', raw: '"one"', start: 0, end: 1 },
      { label: 'b', raw: '"multi\r\nline\r\nvalue"', start: 1, end: 4 },
      { label: 'c', raw: '"never closed', start: 4, end: 5 },
    ]);
  });

  it('a multi-line value survives being commented and restored', () => {
    const text = "K='a\nb'\nZ=1\n";
    const out = setEnvVars(text, { K: 'new' }, { commentPrevious: 'L' }).text;
    expect(out).toBe("# K (L): 'a\n# b'\nK='new'\nZ=1\n");
    const raw = readMarker(out, 'K', 'L') as string;
    expect(setEnvVars(out, { K: { raw } }, { dropMarker: 'L' }).text).toBe(text);
  });
});

describe('readEnvVar', () => {
  it.each([
    ['K="a b"\n', 'a b'],
    ["K='x'\n", 'x'],
    ['K=plain # c\n', 'plain'],
    ['K=1\nK=2\n', '2'],
    ['# K=1\n', undefined],
    ['K="line\\nbreak"\n', 'line\nbreak'],
    ['K=\n', ''],
  ])('%j → %j', (text, value) => {
    expect(readEnvVar(text, 'K')).toBe(value);
  });
});

describe('parseEnvLines', () => {
  it.each([
    '',
    'A=1',
    'A=1\r\nB="2"\r\n\r\n# c\r\n',
    'PEM="a\nb\nc"\nZ=1\n',
    'X="unterminated\nY=2\n',
    '  weird line without equals\n=novalue\n',
    'A=1\n\n\n',
  ])('keeps every byte of %j', (text) => {
    expect(parseEnvLines(text).map((e) => e.text).join('')).toBe(text);
  });
});
