import { topLevelMatches } from './sql-top-level.js';
import { parseErrorFields, type ErrorFields } from './wire-messages.js';

/**
 * pg_backend_pid(), pg_cancel_backend(pid) and pg_terminate_backend(pid) with the pids clients know (their
 * BackendKeyData), on an engine that is one backend for all of them. pg_backend_pid() becomes the calling
 * client's pid in its SQL text; the other two call a function of the engine's own session
 * (BACKEND_FUNCTIONS_SQL) that tells the server, by an INFO message it takes out of the output, which client
 * to cancel or end, and answers true or false (with Postgres' warning) as Postgres does.
 */
export interface BackendContext {
  backendPid: number;
  /** The pids of the server's connected clients. */
  livePids(): number[];
}

export type BackendSignal = 'cancel' | 'terminate';

const MENTION = /pg_(backend_pid|cancel_backend|terminate_backend)/i;
const SIGNAL_PREFIX = 'ppg-signal:';

/**
 * Created in each engine's session (temporary, so nothing is added to the user's schema): at open, and
 * again after a client's DISCARD dropped them. Each is named as the function it stands for, so a result
 * column is named as in Postgres (pg_backend_pid, not ?column?).
 */
export const BACKEND_FUNCTIONS_SQL = `CREATE OR REPLACE FUNCTION pg_temp.ppg_signal_backend(kind text, live int[], pid int) RETURNS boolean LANGUAGE plpgsql AS $ppg$
BEGIN
  IF pid = ANY (live) THEN
    RAISE INFO '${SIGNAL_PREFIX}%:%', kind, pid;
    RETURN true;
  END IF;
  RAISE WARNING 'PID % is not a PostgreSQL backend process', pid;
  RETURN false;
END$ppg$;
CREATE OR REPLACE FUNCTION pg_temp.pg_backend_pid(pid int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT pid';
CREATE OR REPLACE FUNCTION pg_temp.pg_cancel_backend(live int[], pid int) RETURNS boolean LANGUAGE sql AS $ppg$SELECT pg_temp.ppg_signal_backend('cancel', live, pid)$ppg$;
CREATE OR REPLACE FUNCTION pg_temp.pg_terminate_backend(live int[], pid int, timeout bigint DEFAULT 0) RETURNS boolean LANGUAGE sql AS $ppg$SELECT pg_temp.ppg_signal_backend('terminate', live, pid)$ppg$`;

export function mentionsBackendFunctions(sql: string): boolean {
  return MENTION.test(sql);
}

/** The SQL with the three functions replaced where they are called at top level (not in strings, comments or bodies). */
export function rewriteBackendFunctions(sql: string, context: BackendContext): string {
  let out = '';
  let copied = 0;
  for (const call of topLevelCalls(sql)) {
    out += sql.slice(copied, call.start);
    out += call.name === 'pg_backend_pid'
      ? `pg_temp.pg_backend_pid(${context.backendPid})`
      : `pg_temp.${call.name}('{${context.livePids().join(',')}}'::int[], `;
    copied = call.end;
  }
  return out + sql.slice(copied);
}

/** The signal in an INFO NoticeResponse of the signal function, or null for any other notice. */
export function backendSignalOf(notice: Uint8Array): { kind: BackendSignal; pid: number } | null {
  const fields = parseErrorFields(notice.subarray(5));
  const match = /^ppg-signal:(cancel|terminate):(\d+)$/.exec(fields.get('M') ?? '');
  if (fields.get('V') !== 'INFO' || !match) return null;
  return { kind: match[1] as BackendSignal, pid: Number(match[2]) };
}

interface Call {
  name: string;
  /** From the name (or its pg_catalog. prefix) … */
  start: number;
  /** … to after "()" for pg_backend_pid, after "(" for the others. */
  end: number;
}

const CALL = /(?:pg_catalog\s*\.\s*)?(pg_backend_pid|pg_cancel_backend|pg_terminate_backend)\s*\((\s*\))?/iy;

function* topLevelCalls(sql: string): Generator<Call> {
  for (const { match, start, end } of topLevelMatches(sql, CALL, 'p')) {
    const name = match[1]!.toLowerCase();
    // pg_backend_pid without "()" right after is not a call we can replace (a column, say).
    if (name !== 'pg_backend_pid' || match[2]) yield { name, start, end };
  }
}
