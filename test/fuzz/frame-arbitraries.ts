import fc from 'fast-check';
import { cstr, GSSENC_REQUEST, int16, int32, SSL_REQUEST, startupPacket, typed } from './raw-wire-client.js';
import { STORM_COPY_TABLE } from './protocol-states.js';

/**
 * fast-check arbitraries of frontend input: well-formed messages of every type (sent in the wrong state
 * they are the out-of-order cases), messages with lying lengths or lying inner counts, truncated messages,
 * real oversized bodies, unknown type bytes and plain random bytes. Each value carries a short label so a
 * counterexample reads as a list of messages rather than a wall of bytes.
 */
export interface FuzzFrame {
  what: string;
  bytes: Buffer;
}

/**
 * Statements a fuzzed Query/Parse carries: ones that change session or protocol state (transactions, COPY
 * in both directions, LISTEN, prepared statements, settings the scheduler virtualizes), errors, and the
 * engine-wide calls a client of a real server may make to its own backend. None of them is slow.
 */
const SQL_MENU = [
  'SELECT 1', 'SELECT $1::int', 'SELECT $1::text, $2::int', 'SELECT 1/0', 'SELEC', '', ';', 'SELECT 1; SELECT 2',
  'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s', 'ROLLBACK TO SAVEPOINT s', 'BEGIN; SELECT 1/0',
  `COPY ${STORM_COPY_TABLE} FROM STDIN`, `COPY ${STORM_COPY_TABLE} FROM STDIN (FORMAT csv)`, 'COPY (SELECT 1) TO STDOUT',
  `COPY (SELECT g FROM generate_series(1, 500) g) TO STDOUT`, 'COPY pg_class FROM STDIN',
  'SET statement_timeout = 50', 'SET idle_in_transaction_session_timeout = 200', 'SET idle_session_timeout = 300',
  'RESET ALL', "SET application_name = 'fuzz'", 'SET client_encoding = SQL_ASCII', 'SET search_path = nowhere',
  'LISTEN fuzz', "NOTIFY fuzz, 'x'", 'UNLISTEN *', 'PREPARE p AS SELECT 1', 'EXECUTE p', 'DEALLOCATE ALL', 'DISCARD ALL',
  'SELECT pg_sleep(0.02)', 'DROP DATABASE IF EXISTS fuzz_absent', 'SELECT pg_cancel_backend(pg_backend_pid())',
  'CHECKPOINT', 'SELECT count(*) FROM pg_class',
];

const name = fc.oneof(
  { arbitrary: fc.constantFrom('', 's1', 'p', 'ppg1000_x'), weight: 4 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);

const sqlText = fc.oneof(
  { arbitrary: fc.constantFrom(...SQL_MENU), weight: 6 },
  { arbitrary: fc.string({ maxLength: 60 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 1 },
);

const anyInt32 = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 0x7fffffff, -0x80000000, 65536),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);
const anyInt16 = fc.oneof(fc.constantFrom(0, 1, 2, -1, 0x7fff, -0x8000), fc.integer({ min: -0x8000, max: 0x7fff }));
const smallBytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
/** A count field that usually tells the truth and sometimes lies. */
const countOf = (actual: number) => fc.oneof({ arbitrary: fc.constant(actual), weight: 4 }, { arbitrary: anyInt16, weight: 1 });

const Q = 0x51, P = 0x50, B = 0x42, D = 0x44, E = 0x45, C = 0x43, S = 0x53, H = 0x48, F = 0x46;
const X = 0x58, d = 0x64, c = 0x63, f = 0x66, p = 0x70;

const query = sqlText.map((sql): FuzzFrame => ({ what: `Query ${JSON.stringify(sql)}`, bytes: typed(Q, cstr(sql)) }));

const parse = fc.tuple(name, sqlText, fc.array(fc.oneof(fc.constant(0), fc.constant(23), fc.constant(25), anyInt32), { maxLength: 3 }))
  .chain(([n, sql, types]) => countOf(types.length).map((count): FuzzFrame => ({
    what: `Parse ${JSON.stringify(n)} ${JSON.stringify(sql)} types=${types.join(',')} count=${count}`,
    bytes: typed(P, Buffer.concat([cstr(n), cstr(sql), int16(count), ...types.map(int32)])),
  })));

const paramValue = fc.oneof(fc.constant(null), fc.constantFrom('1', '42', 'x', ''), smallBytes(16).map((b) => b.toString('latin1')));

const bind = fc.tuple(name, name, fc.array(fc.constantFrom(0, 1, 2, -1), { maxLength: 3 }), fc.array(paramValue, { maxLength: 3 }),
  fc.array(fc.constantFrom(0, 1, 7), { maxLength: 2 }), fc.option(anyInt32, { freq: 6 }))
  .chain(([portal, statement, formats, values, resultFormats, lyingLength]) => fc.tuple(countOf(formats.length), countOf(values.length))
    .map(([formatCount, valueCount]): FuzzFrame => {
      const parts = [cstr(portal), cstr(statement), int16(formatCount), ...formats.map(int16), int16(valueCount)];
      for (const v of values) {
        if (v === null) parts.push(int32(-1));
        else {
          const b = Buffer.from(v, 'latin1');
          parts.push(int32(lyingLength ?? b.length), b);
        }
      }
      parts.push(int16(resultFormats.length), ...resultFormats.map(int16));
      return { what: `Bind ${JSON.stringify(portal)}←${JSON.stringify(statement)} formats=${formatCount} values=${valueCount}${lyingLength === null ? '' : ` valueLength=${lyingLength}`}`, bytes: typed(B, Buffer.concat(parts)) };
    }));

const kindByte = fc.oneof({ arbitrary: fc.constantFrom(0x53, 0x50), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 });
const describeOrClose = fc.tuple(fc.constantFrom(D, C), kindByte, name).map(([tag, kind, n]): FuzzFrame => ({
  what: `${tag === D ? 'Describe' : 'Close'} ${String.fromCharCode(kind)} ${JSON.stringify(n)}`,
  bytes: typed(tag, Buffer.concat([Buffer.from([kind]), cstr(n)])),
}));

const execute = fc.tuple(name, anyInt32).map(([portal, maxRows]): FuzzFrame => ({
  what: `Execute ${JSON.stringify(portal)} maxRows=${maxRows}`,
  bytes: typed(E, Buffer.concat([cstr(portal), int32(maxRows)])),
}));

const bare = fc.constantFrom<FuzzFrame>(
  { what: 'Sync', bytes: typed(S) },
  { what: 'Flush', bytes: typed(H) },
  { what: 'Terminate', bytes: typed(X) },
  { what: 'CopyDone', bytes: typed(c) },
);

const copyData = fc.oneof(
  fc.array(fc.tuple(fc.integer({ min: -5, max: 1000 }), fc.constantFrom('a', 'b', '\\N', '')), { maxLength: 5 })
    .map((rows) => rows.map(([n, t]) => `${n}\t${t}\n`).join('')),
  smallBytes(64).map((b) => b.toString('latin1')),
).map((text): FuzzFrame => ({ what: `CopyData ${JSON.stringify(text.slice(0, 40))}`, bytes: typed(d, Buffer.from(text, 'latin1')) }));

const copyFail = fc.string({ maxLength: 20 }).map((m): FuzzFrame => ({ what: `CopyFail ${JSON.stringify(m)}`, bytes: typed(f, cstr(m)) }));

const functionCall = fc.tuple(fc.oneof(fc.constantFrom(0, 1, 1598, 2147483647), anyInt32), fc.array(paramValue, { maxLength: 2 }), anyInt16)
  .chain(([oid, args, resultFormat]) => countOf(args.length).map((argCount): FuzzFrame => {
    const parts = [int32(oid), int16(0), int16(argCount)];
    for (const a of args) {
      if (a === null) parts.push(int32(-1));
      else parts.push(int32(Buffer.byteLength(a, 'latin1')), Buffer.from(a, 'latin1'));
    }
    parts.push(int16(resultFormat));
    return { what: `FunctionCall oid=${oid} args=${argCount}`, bytes: typed(F, Buffer.concat(parts)) };
  }));

const password = fc.oneof(
  smallBytes(40),
  fc.tuple(fc.constantFrom('SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'md5', ''), anyInt32, smallBytes(40))
    .map(([mech, len, rest]) => Buffer.concat([cstr(mech), int32(len), rest])),
).map((body): FuzzFrame => ({ what: `PasswordMessage ${body.length} bytes`, bytes: typed(p, body) }));

/** Messages that only belong before authentication: sent later they are out of order. */
const untyped = fc.oneof(
  fc.constant<FuzzFrame>({ what: 'SSLRequest', bytes: SSL_REQUEST }),
  fc.constant<FuzzFrame>({ what: 'GSSENCRequest', bytes: GSSENC_REQUEST }),
  fc.tuple(anyInt32, anyInt32).map(([pid, secret]): FuzzFrame => ({ what: `CancelRequest ${pid}/${secret}`, bytes: Buffer.concat([int32(16), int32(80877102), int32(pid), int32(secret)]) })),
  fc.dictionary(fc.constantFrom('user', 'database', 'options', 'application_name', 'replication', 'x'), fc.string({ maxLength: 12 }), { maxKeys: 3 })
    .map((params): FuzzFrame => ({ what: `StartupMessage ${JSON.stringify(params)}`, bytes: startupPacket(params) })),
  fc.constant<FuzzFrame>({ what: 'StartupMessage (valid)', bytes: startupPacket({ user: 'postgres', database: 'postgres' }) }),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), smallBytes(20))
    .map(([major, minor, rest]): FuzzFrame => ({ what: `startup packet version ${major}.${minor}`, bytes: Buffer.concat([int32(8 + rest.length), int16(major), int16(minor), rest]) })),
);

/** Any type byte (most are not frontend messages) with a correct length and a random body. */
const unknownType = fc.tuple(fc.integer({ min: 0, max: 255 }), smallBytes(32)).map(([tag, body]): FuzzFrame => ({
  what: `type 0x${tag.toString(16)} with ${body.length} bytes`,
  bytes: typed(tag, body),
}));

/** Runs of zero bytes: a zero length is the classic framing-loop trap (issue 8's one-packet freeze). */
const zeros = fc.integer({ min: 1, max: 16 }).map((n): FuzzFrame => ({ what: `${n} zero bytes`, bytes: Buffer.alloc(n) }));

const randomBytes = smallBytes(200).filter((b) => b.length > 0).map((b): FuzzFrame => ({ what: `${b.length} random bytes`, bytes: b }));

/**
 * The message a client sends next in a pre-authentication state. A storm often starts with it, so its
 * other frames land in the state after (in the same write, as in issue 8's reproduction).
 */
export function leadIn(state: string): FuzzFrame | null {
  if (state === 'before-startup' || state === 'after-ssl-request' || state === 'after-gssenc-request') {
    return { what: 'StartupMessage (valid)', bytes: startupPacket({ user: 'postgres', database: 'postgres' }) };
  }
  if (state === 'scram-before-client-first') {
    const first = Buffer.from('n,,n=*,r=fuzzfuzzfuzzfuzzfuzzfuzz');
    return { what: 'SASLInitialResponse (valid)', bytes: typed(p, Buffer.concat([cstr('SCRAM-SHA-256'), int32(first.length), first])) };
  }
  return null;
}

/** Well-formed messages of every kind, as a client could send them in some state. */
export const wellFormedFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { arbitrary: query, weight: 5 },
  { arbitrary: parse, weight: 3 },
  { arbitrary: bind, weight: 3 },
  { arbitrary: describeOrClose, weight: 2 },
  { arbitrary: execute, weight: 2 },
  { arbitrary: bare, weight: 4 },
  { arbitrary: copyData, weight: 3 },
  { arbitrary: copyFail, weight: 1 },
  { arbitrary: functionCall, weight: 1 },
  { arbitrary: password, weight: 2 },
  { arbitrary: untyped, weight: 2 },
);

/** A message whose length field lies: zero, below the minimum, negative, huge, or a little off. */
const lyingLength = fc.tuple(wellFormedFrame, fc.oneof(
  fc.constantFrom(0, 1, 3, 4, -1, -0x80000000, 0x7fffffff, 1 << 30, (1 << 30) + 1, 10_001, 65_536),
  fc.integer({ min: -8, max: 8 }).map((delta) => ({ delta })),
)).map(([frame, length]): FuzzFrame => {
  const bytes = Buffer.from(frame.bytes);
  // Typed messages carry the length after the type byte, untyped (startup-family) ones first.
  const at = isUntyped(frame) ? 0 : 1;
  const value = typeof length === 'number' ? length : bytes.readInt32BE(at) + length.delta;
  bytes.writeInt32BE(value | 0, at);
  return { what: `${frame.what} with length ${value | 0}`, bytes };
});

const truncated = fc.tuple(wellFormedFrame, fc.nat()).map(([frame, cut]): FuzzFrame => {
  const keep = cut % frame.bytes.length;
  return { what: `${frame.what} cut to ${keep} bytes`, bytes: frame.bytes.subarray(0, keep) };
});

/** Really large bodies (not only large length fields): 64 KB to 2 MB of a repeated byte. */
const oversized = fc.tuple(fc.constantFrom(Q, P, d, p, B, 0x00), fc.integer({ min: 65_536, max: 2_000_000 }), fc.integer({ min: 0, max: 255 }))
  .map(([tag, size, fill]): FuzzFrame => ({
    what: `type 0x${tag.toString(16)} with a ${size}-byte body of 0x${fill.toString(16)}`,
    bytes: typed(tag, Buffer.alloc(size, fill)),
  }));

/** One element of a storm: mostly protocol-shaped input, some of it broken. */
export const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { arbitrary: wellFormedFrame, weight: 10 },
  { arbitrary: lyingLength, weight: 3 },
  { arbitrary: truncated, weight: 2 },
  { arbitrary: unknownType, weight: 2 },
  { arbitrary: randomBytes, weight: 2 },
  { arbitrary: zeros, weight: 1 },
  { arbitrary: oversized, weight: 1 },
);

function isUntyped(frame: FuzzFrame): boolean {
  return /^(SSLRequest|GSSENCRequest|CancelRequest|StartupMessage|startup packet)/.test(frame.what);
}

/** How the bytes of an attack are cut into writes. */
export type Delivery = { kind: 'one-write' } | { kind: 'per-frame' } | { kind: 'cuts'; cuts: number[] } | { kind: 'byte-by-byte' };

export const delivery: fc.Arbitrary<Delivery> = fc.oneof(
  fc.constant<Delivery>({ kind: 'one-write' }),
  fc.constant<Delivery>({ kind: 'per-frame' }),
  fc.array(fc.nat(), { minLength: 1, maxLength: 8 }).map((cuts): Delivery => ({ kind: 'cuts', cuts })),
  fc.constant<Delivery>({ kind: 'byte-by-byte' }),
);

/** Byte-by-byte delivery of megabytes would take minutes: past this size it falls back to per-frame writes. */
const BYTE_BY_BYTE_LIMIT = 4096;

/** The writes an attack makes, in order. */
export function writesOf(frames: FuzzFrame[], how: Delivery): Buffer[] {
  const all = Buffer.concat(frames.map((fr) => fr.bytes));
  switch (how.kind) {
    case 'one-write':
      return [all];
    case 'per-frame':
      return frames.map((fr) => fr.bytes).filter((b) => b.length > 0);
    case 'byte-by-byte':
      if (all.length > BYTE_BY_BYTE_LIMIT) return writesOf(frames, { kind: 'per-frame' });
      return [...all].map((byte) => Buffer.from([byte]));
    case 'cuts':
      return cutAt(all, how.cuts);
  }
}

/** Splits `bytes` at the given offsets (taken modulo the length, deduplicated, in order). */
export function cutAt(bytes: Buffer, cuts: number[]): Buffer[] {
  if (bytes.length <= 1) return bytes.length === 0 ? [] : [bytes];
  const points = [...new Set(cuts.map((cut) => 1 + (cut % (bytes.length - 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    out.push(bytes.subarray(from, point));
    from = point;
  }
  out.push(bytes.subarray(from));
  return out;
}
