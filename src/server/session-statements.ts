import { quoteLiteral } from './sql-statements.js';
import { concatBytes, frame, SYNC_MESSAGE } from './wire-messages.js';

/**
 * One client's prepared statements on the engine it shares with others. Postgres keeps statement names per
 * session; here every client's names get its own prefix engine-side (`ppg<pid>_s1`), so two clients can both
 * use `s1`. This keeps the names that exist, the Parse messages a restart needs again, and the client's
 * unnamed statement (one engine-wide slot that other clients may take over between its batches).
 */

/** A Parse or Close of a batch, in message order; `name` is engine-side, '' for the unnamed statement or a portal. */
export type StatementChange = { op: 'parse'; name: string; parse: Uint8Array } | { op: 'close'; name: string };

export class SessionStatements {
  readonly prefix: string;
  /** Engine-side names of the client's prepared statements (protocol and SQL level) that exist in the engine. */
  readonly names = new Set<string>();
  /**
   * The client has parsed or prepared a named statement. `names` can miss one that still exists (a DEALLOCATE
   * in a multi-statement query that failed before reaching it), so cleanup deallocates by prefix.
   */
  used = false;
  /** The client's last unnamed Parse, run again when another client replaced the engine's unnamed statement. */
  lastUnnamedParse: Uint8Array | null = null;
  /**
   * The Parse message of each named protocol-level statement, by engine-side name: what an engine restart
   * (`Engine.interrupt`) loses and `restoreMessages` gives back.
   */
  private readonly parses = new Map<string, Uint8Array>();
  /** The engine generation the statements live in. */
  private generation: number;

  constructor(pid: number, engineGeneration: number) {
    this.prefix = `ppg${pid}_`;
    this.generation = engineGeneration;
  }

  /** The engine-side name of a client's statement or portal name ('' stays the unnamed one). */
  engineName(name: string): string {
    return name === '' ? '' : this.prefix + name;
  }

  /** True if the statements live in the engine's current generation (none was lost to a restart since). */
  isCurrent(engineGeneration: number): boolean {
    return this.generation === engineGeneration;
  }

  /**
   * Applies a batch's Parse and Close messages, those the engine carried out only: after an error Postgres
   * skips the rest of the batch, so the completions (ParseComplete, CloseComplete) counted in its output
   * name the first Parses and Closes, in order. A failed Parse leaves no name behind (DEALLOCATE ALL would
   * then name a statement that does not exist).
   */
  record(changes: StatementChange[], parsed: number, closed: number): void {
    for (const change of changes) {
      if (change.op === 'parse' ? parsed-- <= 0 : closed-- <= 0) continue;
      if (change.name === '') continue;
      if (change.op === 'parse') {
        this.names.add(change.name);
        this.parses.set(change.name, change.parse);
      } else {
        this.names.delete(change.name);
        this.parses.delete(change.name);
      }
    }
  }

  /** SQL-level PREPAREs that exist now, and DEALLOCATEs that ran. */
  recordSql(prepared: readonly string[], deallocated: readonly string[]): void {
    for (const name of prepared) this.names.add(name);
    for (const name of deallocated) this.names.delete(name);
  }

  /**
   * After an engine restart (`engineGeneration` moved on): the named protocol-level statements to parse
   * again, each with its own Sync so one failure stops none of the others; null if there are none. The
   * statements count as current from here.
   */
  restoreMessages(engineGeneration: number): Uint8Array | null {
    this.generation = engineGeneration;
    if (this.parses.size === 0) return null;
    return concatBytes([...this.parses.values()].flatMap((parse) => [parse, SYNC_MESSAGE]));
  }

  /** Error and notice texts show the client's own statement names, not the engine-side prefixed ones. */
  clientText(message: Uint8Array): Uint8Array {
    const text = new TextDecoder().decode(message.subarray(5));
    if (!text.includes(this.prefix)) return message;
    return frame(message[0]!, new TextEncoder().encode(text.split(this.prefix).join('')));
  }

  /** One statement that deallocates every prepared statement of the client, from the engine's own list. */
  deallocateAllSql(): string {
    return `DO $ppg$DECLARE n text; BEGIN FOR n IN SELECT name FROM pg_catalog.pg_prepared_statements WHERE starts_with(name, ${quoteLiteral(this.prefix)}) LOOP EXECUTE format('DEALLOCATE %I', n); END LOOP; END$ppg$`;
  }

  /** The SQL that lists which of `names` exist in the engine. */
  static existingSql(names: readonly string[]): string {
    return `SELECT name FROM pg_catalog.pg_prepared_statements WHERE name IN (${names.map(quoteLiteral).join(', ')})`;
  }
}
