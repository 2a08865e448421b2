import type { BackendSignal } from './backend-functions.js';
import {
  BACKEND, commandComplete, concatBytes, cstring, DESCRIBE_TARGET, errorResponse, frame, FRONTEND, int32, readCString,
  readInt32, readyForQuery,
} from './wire-messages.js';

/**
 * `SELECT pg_cancel_backend(pid)` / `pg_terminate_backend(pid)` answered without the engine, when the
 * engine is busy with another client (a running statement, an open transaction). In Postgres the caller's
 * backend answers at once; here its statement would wait behind the very statement it means to stop. Only
 * the plain forms are answered here, as a simple Query or as the unnamed Parse/Bind/Describe/Execute/Sync a
 * driver sends for a parameter ($1); anything else runs in the engine as usual (backend-functions.ts).
 * The batch arrives rewritten (backend-functions.ts), with the pids that were live at that moment.
 */
export interface SignalCall {
  kind: BackendSignal;
  pid: number;
  /** The pid was a connected client's when the statement came in. */
  live: boolean;
}

const CALL = /^\s*select\s+pg_temp\.pg_(cancel|terminate)_backend\('\{([\d,]*)\}'::int\[\], \s*(\d+|\$1)\s*\)\s*(?:as\s+([a-z_][a-z0-9_$]*|"(?:[^"]|"")+"))?\s*;?\s*$/i;

const BOOL_OID = 16;

interface Shape {
  call: SignalCall;
  column: string;
  /** 1 for the $1 form (an integer, as Postgres infers it), else 0. */
  parameters: number;
  /** Parse/Bind/[Describe]/Execute/Sync, with what the Describe names (null: none); null for a simple Query. */
  extended: { describe: number | null } | null;
  resultBinary: boolean;
}

/** The reply to `parts` if the batch is only such a call, or null (the batch then goes to the engine). */
export function signalShortcut(parts: readonly Uint8Array[]): { call: SignalCall; reply: Uint8Array } | null {
  const shape = parts.length === 1 ? simpleShape(parts[0]!) : extendedShape(parts);
  return shape ? { call: shape.call, reply: replyTo(shape) } : null;
}

function matchCall(sql: string, parameter: number | null): { call: SignalCall; column: string } | null {
  const match = CALL.exec(sql);
  if (!match) return null;
  const pid = match[3] === '$1' ? parameter : Number(match[3]);
  if (pid === null || !Number.isSafeInteger(pid)) return null;
  const live = match[2]!.split(',').filter(Boolean).map(Number).includes(pid);
  const alias = match[4];
  const column = alias === undefined ? `pg_${match[1]!.toLowerCase()}_backend` : alias.startsWith('"') ? alias.slice(1, -1).replace(/""/g, '"') : alias.toLowerCase();
  return { call: { kind: match[1]!.toLowerCase() as BackendSignal, pid, live }, column };
}

function simpleShape(message: Uint8Array): Shape | null {
  if (message[0] !== FRONTEND.Query) return null;
  const sql = readCString(message, 5).value;
  if (sql.includes('$1')) return null;
  const matched = matchCall(sql, null);
  return matched ? { ...matched, parameters: 0, extended: null, resultBinary: false } : null;
}

/** Parse (unnamed), Bind (unnamed portal and statement), an optional Describe, Execute, Sync. */
function extendedShape(parts: readonly Uint8Array[]): Shape | null {
  const types = parts.map((p) => p[0]);
  const describe = types.length === 5 ? parts[2]! : null;
  const expected = describe ? [FRONTEND.Parse, FRONTEND.Bind, FRONTEND.Describe, FRONTEND.Execute, FRONTEND.Sync] : [FRONTEND.Parse, FRONTEND.Bind, FRONTEND.Execute, FRONTEND.Sync];
  if (types.length !== expected.length || types.some((t, i) => t !== expected[i])) return null;
  const parse = parts[0]!;
  const name = readCString(parse, 5);
  if (name.value !== '') return null;
  const sql = readCString(parse, name.next).value;
  const bind = readBind(parts[1]!);
  if (!bind) return null;
  if (describe && (describe[6] !== 0 || (describe[5] !== DESCRIBE_TARGET.Portal && describe[5] !== DESCRIBE_TARGET.Statement))) return null;
  const executePortal = readCString(parts[describe ? 3 : 2]!, 5).value;
  if (executePortal !== '') return null;
  const matched = matchCall(sql, bind.parameter);
  if (!matched || (sql.includes('$1') ? bind.count !== 1 : bind.count !== 0)) return null;
  return { ...matched, parameters: bind.count, extended: { describe: describe ? describe[5]! : null }, resultBinary: bind.resultBinary };
}

/** The unnamed portal and statement, at most one integer parameter (text or binary), the result format. */
function readBind(bind: Uint8Array): { count: number; parameter: number | null; resultBinary: boolean } | null {
  const portal = readCString(bind, 5);
  const statement = readCString(bind, portal.next);
  if (portal.value !== '' || statement.value !== '') return null;
  const view = new DataView(bind.buffer, bind.byteOffset, bind.byteLength);
  let at = statement.next;
  const formatCount = view.getInt16(at);
  at += 2;
  const formats: number[] = [];
  for (let i = 0; i < formatCount; i++, at += 2) formats.push(view.getInt16(at));
  const count = view.getInt16(at);
  at += 2;
  let parameter: number | null = null;
  if (count > 1) return null;
  if (count === 1) {
    const length = readInt32(bind, at);
    at += 4;
    if (length < 0) return null;
    const value = bind.subarray(at, at + length);
    at += length;
    if ((formats[0] ?? 0) === 0) {
      const text = Buffer.from(value).toString('latin1').trim();
      parameter = /^[+-]?\d+$/.test(text) ? Number(text) : null;
    } else if (length === 4) parameter = view.getInt32(at - 4);
    else if (length === 8) parameter = Number(view.getBigInt64(at - 8));
    if (parameter === null) return null;
  }
  const resultCount = view.getInt16(at);
  const resultBinary = resultCount > 0 && view.getInt16(at + 2) === 1;
  return { count, parameter, resultBinary };
}

const INT4_OID = 23;

function parameterDescription(count: number): Uint8Array {
  return frame(BACKEND.ParameterDescription, concatBytes([new Uint8Array([0, count]), ...Array.from({ length: count }, () => int32(INT4_OID))]));
}

function rowDescription(column: string, binary: boolean): Uint8Array {
  const field = new Uint8Array(18);
  const view = new DataView(field.buffer);
  view.setInt32(6, BOOL_OID);
  view.setInt16(10, 1);
  view.setInt32(12, -1);
  view.setInt16(16, binary ? 1 : 0);
  return frame(BACKEND.RowDescription, concatBytes([new Uint8Array([0, 1]), cstring(column), field]));
}

function dataRow(value: boolean, binary: boolean): Uint8Array {
  const cell = binary ? new Uint8Array([value ? 1 : 0]) : new TextEncoder().encode(value ? 't' : 'f');
  return frame(BACKEND.DataRow, concatBytes([new Uint8Array([0, 1]), int32(cell.length), cell]));
}

/** Postgres' warning for a pid that is no backend. */
function notBackendWarning(pid: number): Uint8Array {
  return errorResponse({ severity: 'WARNING', code: '01000', message: `PID ${pid} is not a PostgreSQL backend process` });
}

function replyTo(shape: Shape): Uint8Array {
  const { call, column, resultBinary } = shape;
  const result = [...(call.live ? [] : [notBackendWarning(call.pid)]), dataRow(call.live, resultBinary), commandComplete('SELECT 1')];
  if (!shape.extended) return concatBytes([rowDescription(column, false), ...result, readyForQuery('I')]);
  const { describe } = shape.extended;
  const described = describe === null ? [] : [
    ...(describe === DESCRIBE_TARGET.Statement ? [parameterDescription(shape.parameters)] : []),
    rowDescription(column, describe === DESCRIBE_TARGET.Portal && resultBinary),
  ];
  return concatBytes([
    frame(BACKEND.ParseComplete, new Uint8Array(0)), frame(BACKEND.BindComplete, new Uint8Array(0)), ...described, ...result, readyForQuery('I'),
  ]);
}
