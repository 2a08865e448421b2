import type { SessionStatements, StatementChange } from './session-statements.js';
import { quoteLiteral, splitStatements } from './sql-statements.js';
import { rewriteQueryText, type RewriteContext, type StatementEffects } from './statement-rewrite.js';
import { concatBytes, cstring, DESCRIBE_TARGET, frame, FRONTEND, readCString } from './wire-messages.js';

/**
 * Gathering a client's batch: a simple Query, or extended-protocol messages up to Sync/Flush, which go to
 * the engine as one call. Each message is rewritten on the way in (statement and portal names made
 * engine-side, the SQL of a Parse rewritten like a Query's), and what the batch will change is noted for
 * after it ran.
 */

/** What ended a batch: Sync (or FunctionCall), Flush, or a simple Query. */
export type BatchEnd = 'sync' | 'flush' | 'query';

export interface Batch {
  parts: Uint8Array[];
  end: BatchEnd;
  effects: StatementEffects[];
  /** It binds or describes the unnamed statement without parsing one first. */
  usesUnnamed: boolean;
  /** Its last Parse of the unnamed statement. */
  parsesUnnamed: Uint8Array | null;
  /** Its Parses and Closes, in order (see SessionStatements.record). */
  changes: StatementChange[];
  /** A statement of it mentions extensions: the engine needs their files first (engine-extensions.ts). */
  extensionFiles: boolean;
  /** The last message of a COPY FROM STDIN: the CopyInResponse the client already had is dropped. */
  endsCopy?: boolean;
  /** It ends with a Sync of ours (a Query inside an extended batch); its ReadyForQuery is not the client's. */
  ownSync?: boolean;
  /**
   * Run from an idle session, it ends with the engine idle and no session state changed: a Query, or an
   * extended batch ending with Sync, of plain SELECT/INSERT/UPDATE/DELETE/VALUES/TABLE/WITH statements with no
   * tracked effects (see `autocommitOnly`). The scheduler may hand the engine on as soon as it is sent.
   */
  pipelinable?: boolean;
}

/** Statements that run in the implicit transaction of their Query or Sync and cannot begin or end one. */
const AUTOCOMMIT_WORDS = new Set(['select', 'insert', 'update', 'delete', 'values', 'table', 'with']);
const AUTOCOMMIT_START = /^\s*(select|insert|update|delete|values|table|with)\b/i;
const ONLY_SEMICOLONS = /^[\s;]*$/;

/**
 * True if every statement of `sql` is a plain SELECT, INSERT, UPDATE, DELETE, VALUES, TABLE or WITH (and
 * there is one at least). Such a Query, or a Sync-ended batch of them, leaves the backend idle: a
 * transaction block only starts with BEGIN/START TRANSACTION, which functions cannot run (SPI refuses
 * transaction statements), and the implicit transaction ends with the Query or Sync. Anything else (a
 * leading comment included) answers false: such batches are simply not pipelined.
 */
export function autocommitOnly(sql: string): boolean {
  const semicolon = sql.indexOf(';');
  if (semicolon < 0 || ONLY_SEMICOLONS.test(sql.slice(semicolon))) return AUTOCOMMIT_START.test(sql);
  const statements = splitStatements(sql);
  return statements.length > 0 && statements.every((s) => {
    const first = s.words[0];
    return first !== undefined && !first.quoted && AUTOCOMMIT_WORDS.has(first.value) && sql.slice(s.start, first.start).trim() === '';
  });
}

/** The statement changes nothing the server tracks (every effect false or empty, whatever effects there are). */
export function hasNoEffects(effects: StatementEffects): boolean {
  return Object.values(effects).every((value) => value === false || value === undefined || (Array.isArray(value) && value.length === 0));
}

/** A batch of messages the server made up (the end of a COPY), with nothing to track. */
export function plainBatch(parts: Uint8Array[], end: BatchEnd, extra: Pick<Batch, 'endsCopy'> = {}): Batch {
  return { parts, end, effects: [], usesUnnamed: false, parsesUnnamed: null, changes: [], extensionFiles: false, ...extra };
}

/** A statement's LISTEN/UNLISTEN alone, for running it again (see `channelStatements`). */
const NO_CHANNEL_EFFECTS: StatementEffects = {
  settings: false, prepared: [], deallocated: [], listen: [], unlisten: [], copyFromStdin: false,
};

export class PendingBatch {
  private parts: Uint8Array[] = [];
  private effects: StatementEffects[] = [];
  private usesUnnamed = false;
  private parsesUnnamed: Uint8Array | null = null;
  private changes: StatementChange[] = [];
  private extensionFiles = false;
  /**
   * LISTEN/UNLISTEN of the client's named statements, by engine-side name: a client that caches the
   * statement (postgres.js) runs it again with Bind/Execute alone, and the routing must follow each run.
   */
  private readonly channelStatements = new Map<string, StatementEffects>();
  /** The client's named statements (engine-side names) whose SQL is `autocommitOnly`. */
  private readonly autocommitStatements = new Set<string>();
  /** The client's last unnamed Parse was `autocommitOnly`. */
  private unnamedAutocommit = false;
  /** Everything in the batch so far may be pipelined (see Batch.pipelinable). */
  private pipelinable = true;

  constructor(
    private readonly statements: SessionStatements,
    private readonly context: RewriteContext,
  ) {}

  get isEmpty(): boolean {
    return this.parts.length === 0;
  }

  /** A simple Query (already rewritten: `sql` is its text) and what its statements change. */
  addQuery(message: Uint8Array, effects: StatementEffects, sql: string): void {
    if (!hasNoEffects(effects) || !autocommitOnly(sql)) this.pipelinable = false;
    this.parts.push(message);
    this.effects.push(effects);
    if (effects.extensionFiles) this.extensionFiles = true;
  }

  /** One extended-protocol message: Parse, Bind, Describe, Execute or Close. */
  addExtended(f: Uint8Array): void {
    const type = f[0]!;
    if (type === FRONTEND.Parse) return this.addParse(f);
    if (type === FRONTEND.Bind) {
      const portal = readCString(f, 5);
      const statement = readCString(f, portal.next);
      if (statement.value === '' && !this.parsesUnnamed) this.usesUnnamed = true;
      if (statement.value === '' ? !this.unnamedAutocommit : !this.autocommitStatements.has(this.statements.engineName(statement.value))) this.pipelinable = false;
      const channels = this.channelStatements.get(this.statements.engineName(statement.value));
      if (channels && statement.value !== '') this.effects.push(channels);
      if (portal.value === '' && statement.value === '') {
        this.parts.push(f);
        return;
      }
      this.parts.push(frame(FRONTEND.Bind, concatBytes([
        cstring(this.statements.engineName(portal.value)), cstring(this.statements.engineName(statement.value)), f.subarray(statement.next),
      ])));
      return;
    }
    if (type === FRONTEND.Describe || type === FRONTEND.Close) {
      const kind = f[5]!;
      const name = readCString(f, 6);
      const statement = kind === DESCRIBE_TARGET.Statement;
      if (statement && name.value === '' && !this.parsesUnnamed) this.usesUnnamed = true;
      if (type === FRONTEND.Close) {
        this.changes.push({ op: 'close', name: statement ? this.statements.engineName(name.value) : '' });
        if (statement) {
          this.channelStatements.delete(this.statements.engineName(name.value));
          this.autocommitStatements.delete(this.statements.engineName(name.value));
        }
      }
      this.parts.push(name.value === '' ? f : frame(type, concatBytes([new Uint8Array([kind]), cstring(this.statements.engineName(name.value))])));
      return;
    }
    // Execute
    const portal = readCString(f, 5);
    this.parts.push(portal.value === '' ? f : frame(FRONTEND.Execute, concatBytes([cstring(this.statements.engineName(portal.value)), f.subarray(portal.next)])));
  }

  /** Ends the batch with `terminator` (Sync, Flush, FunctionCall, our own Sync; none for a Query) and starts a new one. */
  take(end: BatchEnd, terminator: Uint8Array[] = [], ownSync = false): Batch {
    // An extended batch only if a Sync ends it: after Flush the engine is still inside it.
    const endsIdle = end === 'query' ? terminator.length === 0 : terminator.length === 1 && terminator[0]![0] === FRONTEND.Sync;
    const batch: Batch = {
      parts: [...this.parts, ...terminator], end, effects: this.effects, usesUnnamed: this.usesUnnamed,
      parsesUnnamed: this.parsesUnnamed, changes: this.changes, extensionFiles: this.extensionFiles, ownSync,
      pipelinable: this.pipelinable && endsIdle && !ownSync && this.parts.length > 0,
    };
    this.clear();
    return batch;
  }

  clear(): void {
    this.parts = [];
    this.effects = [];
    this.usesUnnamed = false;
    this.parsesUnnamed = null;
    this.changes = [];
    this.extensionFiles = false;
    this.pipelinable = true;
  }

  private addParse(f: Uint8Array): void {
    const name = readCString(f, 5);
    const query = readCString(f, name.next);
    const rewrite = rewriteQueryText(query.value, this.context);
    let sqlText = rewrite.sql;
    let autocommit = !rewrite.error && hasNoEffects(rewrite.effects) && autocommitOnly(sqlText);
    if (rewrite.effects.copyFromStdin || rewrite.effects.database || rewrite.error) {
      autocommit = false;
      // These cannot run through the extended protocol here; a statement that raises the reason keeps
      // the protocol flow (and PGlite) intact.
      const reason = rewrite.error?.message ?? (rewrite.effects.copyFromStdin
        ? 'COPY FROM STDIN over the extended query protocol is not supported by ppg-dev; send it as a simple query'
        : 'CREATE/DROP DATABASE over the extended query protocol is not supported by ppg-dev; send it as a simple query');
      sqlText = `DO $ppg$BEGIN RAISE EXCEPTION '%', ${quoteLiteral(reason)} USING ERRCODE = '0A000'; END$ppg$`;
    } else this.effects.push(rewrite.effects);
    if (rewrite.effects.extensionFiles) this.extensionFiles = true;
    const engineName = this.statements.engineName(name.value);
    const rebuilt = engineName !== '' || sqlText !== query.value
      ? frame(FRONTEND.Parse, concatBytes([cstring(engineName), cstring(sqlText), f.subarray(query.next)]))
      : f;
    if (engineName) this.statements.used = true;
    const { listen, unlisten } = rewrite.effects;
    if (engineName && (listen.length > 0 || unlisten.length > 0)) {
      this.channelStatements.set(engineName, { ...NO_CHANNEL_EFFECTS, listen, unlisten });
    } else if (engineName) this.channelStatements.delete(engineName);
    if (!autocommit) this.pipelinable = false;
    if (engineName === '') this.unnamedAutocommit = autocommit;
    else if (autocommit) this.autocommitStatements.add(engineName);
    else this.autocommitStatements.delete(engineName);
    this.changes.push({ op: 'parse', name: engineName, parse: rebuilt });
    if (engineName === '') this.parsesUnnamed = rebuilt;
    this.parts.push(rebuilt);
  }
}
