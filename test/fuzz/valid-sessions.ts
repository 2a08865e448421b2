import fc from 'fast-check';
import { cutAt } from './frame-arbitraries.js';
import { cstr, int16, int32, parseBackendMessages, RawWireClient, typed } from './raw-wire-client.js';

/**
 * Valid sessions (simple and extended queries, transactions, COPY both ways, LISTEN/NOTIFY, prepared
 * statements), pipelined in full after the login. Delivered in one write or cut at random byte boundaries,
 * the server's replies must be the same bytes, apart from what differs between any two connections
 * (BackendKeyData, the pid in notifications, SCRAM nonces and proofs).
 */
export const SESSION_TABLE = 'fuzz_session_sink';

export interface SessionScript {
  steps: string[];
  /** Everything sent after the SCRAM client-final message, ending with Terminate. */
  bytes: Buffer;
}

const Q = (sql: string): Buffer => typed(0x51, cstr(sql));
const parse = (name: string, sql: string): Buffer => typed(0x50, Buffer.concat([cstr(name), cstr(sql), int16(0)]));
const bind = (portal: string, statement: string, values: (string | null)[]): Buffer => typed(0x42, Buffer.concat([
  cstr(portal), cstr(statement), int16(0), int16(values.length),
  ...values.map((v) => (v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]))),
  int16(0),
]));
const describePortal = (portal: string): Buffer => typed(0x44, Buffer.concat([Buffer.from('P'), cstr(portal)]));
const execute = (portal: string, maxRows: number): Buffer => typed(0x45, Buffer.concat([cstr(portal), int32(maxRows)]));
const closeStatement = (name: string): Buffer => typed(0x43, Buffer.concat([Buffer.from('S'), cstr(name)]));
const SYNC = typed(0x53);
const FLUSH = typed(0x48);
const TERMINATE = typed(0x58);

interface Step {
  what: string;
  bytes: Buffer;
}

const simpleQuery = fc.constantFrom(
  "SELECT 1 AS a, 'x'::text AS b", 'SELECT g FROM generate_series(1, 50) g', 'SELECT 1/0', 'SELEC 1', 'SELECT 1; SELECT 2; SELECT 3',
  'SHOW statement_timeout', 'SET statement_timeout = 1000', 'RESET statement_timeout', "SET application_name = 'split'", '',
  "VALUES (1, NULL), (2, 'b')", "SELECT repeat('y', 5000)", "DO $$BEGIN RAISE NOTICE 'hi'; END$$", 'COMMIT',
).map((sql): Step => ({ what: `Q ${sql}`, bytes: Q(sql) }));

const transaction = fc.constant<Step>({
  what: 'transaction with a savepoint and an error',
  bytes: Buffer.concat([
    Q('BEGIN'), Q(`INSERT INTO ${SESSION_TABLE} VALUES (1, 'a'), (2, 'b')`), Q(`SELECT count(*) FROM ${SESSION_TABLE}`),
    Q('SAVEPOINT s'), Q('SELECT 1/0'), Q('ROLLBACK TO SAVEPOINT s'), Q(`SELECT sum(a) FROM ${SESSION_TABLE}`), Q('ROLLBACK'),
  ]),
});

const extendedSql = fc.constantFrom<{ sql: string; values: (string | null)[] }>(
  { sql: 'SELECT $1::int + 1 AS v', values: ['41'] },
  { sql: 'SELECT $1::text AS t, $2::int AS i', values: ['x', null] },
  { sql: 'SELECT g FROM generate_series(1, 20) g', values: [] },
  { sql: 'SELECT 1/$1::int', values: ['0'] },
  { sql: 'SELEC broken', values: [] },
);

const extended = fc.tuple(extendedSql, fc.constantFrom('', 's1', 's2'), fc.constantFrom('', 'portal'), fc.constantFrom(0, 5), fc.boolean())
  .map(([{ sql, values }, statement, portal, maxRows, flushFirst]): Step => {
    const parts = [parse(statement, sql), bind(portal, statement, values)];
    if (flushFirst) parts.push(FLUSH);
    parts.push(describePortal(portal), execute(portal, maxRows));
    if (maxRows > 0) parts.push(execute(portal, maxRows));
    if (statement !== '') parts.push(closeStatement(statement));
    parts.push(SYNC);
    return { what: `extended ${JSON.stringify(sql)} as ${JSON.stringify(statement)}/${JSON.stringify(portal)} maxRows=${maxRows}${flushFirst ? ' flush' : ''}`, bytes: Buffer.concat(parts) };
  });

const copyIn = fc.tuple(fc.array(fc.tuple(fc.integer({ min: -100, max: 100 }), fc.constantFrom('a', 'b c', '\\N')), { minLength: 1, maxLength: 20 }),
  fc.array(fc.nat(), { maxLength: 3 }), fc.boolean())
  .map(([rows, cuts, fail]): Step => {
    const data = Buffer.from(rows.map(([n, t]) => `${n}\t${t}\n`).join(''));
    return {
      what: `COPY FROM STDIN of ${rows.length} rows in ${cuts.length + 1} CopyData${fail ? ', then CopyFail' : ''}`,
      bytes: Buffer.concat([
        Q('BEGIN'), Q(`COPY ${SESSION_TABLE} FROM STDIN`), ...cutAt(data, cuts).map((part) => typed(0x64, part)),
        fail ? typed(0x66, cstr('client gave up')) : typed(0x63),
        Q(`SELECT count(*), sum(a) FROM ${SESSION_TABLE}`), Q('ROLLBACK'),
      ]),
    };
  });

const copyOut = fc.integer({ min: 0, max: 300 }).map((n): Step => ({
  what: `COPY TO STDOUT of ${n} rows`,
  bytes: Q(`COPY (SELECT g, g * 2 FROM generate_series(1, ${n}) g) TO STDOUT`),
}));

const notify = fc.constant<Step>({
  what: 'LISTEN/NOTIFY to itself',
  bytes: Buffer.concat([Q('LISTEN split_channel'), Q("NOTIFY split_channel, 'payload'"), Q('UNLISTEN split_channel')]),
});

const prepared = fc.constant<Step>({
  what: 'PREPARE/EXECUTE/DEALLOCATE',
  bytes: Buffer.concat([Q('PREPARE q(int) AS SELECT $1 + 1'), Q('EXECUTE q(41)'), Q('DEALLOCATE q')]),
});

export const validSession: fc.Arbitrary<SessionScript> = fc.array(
  fc.oneof(simpleQuery, transaction, extended, copyIn, copyOut, notify, prepared),
  { minLength: 1, maxLength: 8 },
).map((steps) => ({ steps: steps.map((s) => s.what), bytes: Buffer.concat([...steps.map((s) => s.bytes), TERMINATE]) }));

/** How a session's bytes are cut into writes. */
export type Split = { kind: 'whole' } | { kind: 'byte-by-byte' } | { kind: 'cuts'; cuts: number[] } | { kind: 'every'; size: number };

export const split: fc.Arbitrary<Split> = fc.oneof(
  fc.constant<Split>({ kind: 'byte-by-byte' }),
  fc.array(fc.nat(), { minLength: 1, maxLength: 40 }).map((cuts): Split => ({ kind: 'cuts', cuts })),
  fc.integer({ min: 2, max: 64 }).map((size): Split => ({ kind: 'every', size })),
);

export function splitter(how: Split): (bytes: Buffer) => Buffer[] {
  switch (how.kind) {
    case 'whole':
      return (b) => [b];
    case 'byte-by-byte':
      return (b) => [...b].map((byte) => Buffer.from([byte]));
    case 'cuts':
      return (b) => cutAt(b, how.cuts);
    case 'every':
      return (b) => {
        const out: Buffer[] = [];
        for (let i = 0; i < b.length; i += how.size) out.push(b.subarray(i, i + how.size));
        return out;
      };
  }
}

/** Runs a whole session (login, pipelined script, Terminate) and returns the server's replies, normalized. */
export async function runSession(port: number, script: SessionScript, how: Split): Promise<string[]> {
  const client = await RawWireClient.connect(port);
  try {
    await client.login('ready', 'postgres', splitter(how), script.bytes);
    await client.until(() => client.isClosed(), 'the server to close the session after Terminate', 30_000).catch((error: Error) => {
      // until() rejects on close too; only a timeout is a failure here.
      if (!client.isClosed()) throw error;
    });
    return normalizeReplies(client.received());
  } finally {
    client.destroy();
  }
}

/** One string per backend message, with the values that differ between any two connections masked. */
export function normalizeReplies(data: Buffer): string[] {
  return parseBackendMessages(data).map(({ tag, body }) => {
    if (tag === 'K') return 'K <pid> <secret>';
    if (tag === 'A') return `A <pid> ${JSON.stringify(body.subarray(4).toString('latin1'))}`;
    if (tag === 'R') {
      const code = body.readInt32BE(0);
      if (code === 11 || code === 12) return `R ${code} <scram>`;
    }
    return `${tag} ${JSON.stringify(body.toString('latin1'))}`;
  });
}
