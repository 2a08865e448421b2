import type { PGlite } from '@electric-sql/pglite';
import { dataRows } from './backend-output.js';
import { quoteIdent } from './sql-statements.js';
import { queryMessage } from './wire-messages.js';

/** The role the engine itself logs in as: a superuser, and every session's authorization by default. */
export const ENGINE_USER = 'postgres';

/**
 * The roles of one database (each database is its own PGlite cluster): what a login checks its password
 * against. Read in the engine thread, at open and after a batch that may have changed them; the server's
 * thread keeps the latest copy, so authenticating never waits for the engine.
 */
export interface RoleRecord {
  name: string;
  /** pg_authid.rolpassword: a SCRAM-SHA-256 verifier, an MD5 hash, or null. */
  password: string | null;
  canLogin: boolean;
}

const ROLE_WORDS = /\b(role|user|password)\b/i;
const QUERY = 0x51;
const PARSE = 0x50;

/** True if a Query or Parse in `bytes` mentions a word of CREATE/ALTER/DROP ROLE|USER … PASSWORD. */
export function mayChangeRoles(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset + 5 <= bytes.length; offset += 1 + view.getInt32(offset + 1)) {
    const type = bytes[offset];
    if (type !== QUERY && type !== PARSE) continue;
    const end = Math.min(bytes.length, offset + 1 + view.getInt32(offset + 1));
    if (ROLE_WORDS.test(Buffer.from(bytes.buffer, bytes.byteOffset + offset + 5, end - offset - 5).toString('latin1'))) return true;
  }
  return false;
}

/**
 * Reads pg_authid outside any transaction. A client's session authorization or SET ROLE may be in force
 * (pg_authid needs a superuser): they are set aside for the read and put back, so the settings the
 * scheduler applied stay true.
 */
export function readRoles(db: PGlite): RoleRecord[] {
  const [sessionUser, role] = dataRows(db.execProtocolRawSync(queryMessage("SELECT session_user, current_setting('role')")))[0] ?? [];
  const restore = [
    sessionUser && sessionUser !== ENGINE_USER ? `SET SESSION AUTHORIZATION ${quoteIdent(sessionUser)}` : '',
    role && role !== 'none' ? `SET ROLE ${quoteIdent(role)}` : '',
  ].filter(Boolean).join('; ');
  const out = db.execProtocolRawSync(queryMessage(`SET SESSION AUTHORIZATION ${ENGINE_USER}; SELECT rolname, rolpassword, rolcanlogin::text FROM pg_catalog.pg_authid${restore ? `; ${restore}` : ''}`));
  return dataRows(out).map(([name, password, canLogin]) => ({ name: name ?? '', password: password ?? null, canLogin: canLogin === 'true' }));
}

/** The parts of a stored `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64); null for anything else (MD5, none). */
export function parseScramVerifier(stored: string | null): { salt: string; iterations: number; storedKey: string; serverKey: string } | null {
  const match = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(stored ?? '');
  if (!match) return null;
  return { iterations: Number(match[1]), salt: match[2]!, storedKey: match[3]!, serverKey: match[4]! };
}

/** The hex hash of a stored `md5<md5(password || username)>`; null for anything else (SCRAM, none). */
export function md5HashOf(stored: string | null): string | null {
  const match = /^md5([0-9a-f]{32})$/.exec(stored ?? '');
  return match ? match[1]! : null;
}
