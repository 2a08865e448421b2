import type { Socket } from 'node:net';
import { dataRows, firstError, parseNotification, splitFrames, summarizeOutput } from './backend-output.js';
import { BatchOutput, type FrameHook } from './batch-output.js';
import { rewriteQueryText, type StatementEffects } from './statement-rewrite.js';
import { EngineInterruptedError, type Engine } from './engine.js';
import { CopyInBuffer } from './copy-in.js';
import { withAvailableExtensionsHint } from './extension-errors.js';
import { waitEndError } from './engine-scheduler.js';
import { FrameLengthError, FrameReader } from './frame-reader.js';
import { applySessionSettings, captureSessionSettings, durationSettingMs, settingsFromStartup, settingsSwitchSql } from './session-settings.js';
import {
  BACKEND, backendKeyData, concatBytes, DESCRIBE_TARGET, FRONTEND, copyFailMessage, cstring, errorResponse, frame, notificationResponse,
  parameterStatus, queryMessage, readCString, readyForQuery, SYNC_MESSAGE, type ErrorFields, type TransactionStatus,
} from './wire-messages.js';

/**
 * One client connection after authentication. It turns the client's messages into batches (a simple Query,
 * or extended-protocol messages up to Sync/Flush), runs each batch on the engine while owning it, and keeps
 * what Postgres keeps per session — prepared statement names, settings, LISTEN channels — apart from the
 * other clients sharing the same single-session PGlite.
 */
export interface SessionHost {
  log(line: string): void;
  /** How long a client may wait for an engine held by another client's open transaction. */
  lockWaitTimeoutMs: number;
  /** CREATE/DROP DATABASE; resolves with the reply frames (without ReadyForQuery). */
  databaseCommand(session: ClientSession, effect: DatabaseCommand): Promise<Uint8Array>;
  onClose(session: ClientSession): void;
}

export type DatabaseCommand =
  | { kind: 'create-database'; name: string; template?: string }
  | { kind: 'drop-database'; name: string; ifExists: boolean; force: boolean };

const EXTENDED = new Set<number>([FRONTEND.Parse, FRONTEND.Bind, FRONTEND.Describe, FRONTEND.Execute, FRONTEND.Close]);

type BatchEnd = 'sync' | 'flush' | 'query';

/** A Parse or Close of a batch, in message order; `name` is engine-side, '' for the unnamed statement or a portal. */
type StatementChange = { op: 'parse'; name: string; parse: Uint8Array } | { op: 'close'; name: string };

export class ClientSession {
  settings: Map<string, string>;
  settingsDirty = false;
  readonly channels = new Set<string>();
  /** Engine-side names of this session's prepared statements (protocol and SQL level) that exist in the engine. */
  readonly statementNames = new Set<string>();
  /**
   * The session has parsed or prepared a named statement. `statementNames` can miss one that still exists
   * (a DEALLOCATE in a multi-statement query that failed before reaching it), so cleanup deallocates by prefix.
   */
  private namedStatementsUsed = false;
  status: TransactionStatus = 'I';
  closed = false;
  readonly namePrefix: string;

  private readonly reader = new FrameReader();
  private readonly inbox: Uint8Array[] = [];
  private inboxHead = 0;
  private draining = false;
  private pending: Uint8Array[] = [];
  private pendingEffects: StatementEffects[] = [];
  private pendingUsesUnnamed = false;
  private pendingParsesUnnamed: Uint8Array | null = null;
  private lastUnnamedParse: Uint8Array | null = null;
  /** The engine holds part of an extended batch of ours (sent at Flush, no Sync yet). */
  private midExtended = false;
  private skipUntilSync = false;
  /** The batch ended by our own Sync (queryInsideExtendedBatch) reported an error. */
  private ownSyncFailed = false;
  private copyIn: CopyInBuffer | null = null;
  /**
   * The session has sent a statement that mentions extensions. Kept for the session, not the batch: a
   * statement parsed beside another client's transaction (parseBesideOwner) runs in a later batch.
   */
  private wantsExtensionFiles = false;
  private idleTimer: NodeJS.Timeout | null = null;
  /**
   * The Parse message of each named protocol-level statement, by engine-side name: what an engine restart
   * (`Engine.interrupt`) loses and `restorePrepared` gives back. Changes of a batch apply after it ran.
   */
  private readonly parses = new Map<string, Uint8Array>();
  private pendingParseChanges: StatementChange[] = [];
  /** The engine generation our prepared statements live in. */
  private generation: number;

  constructor(
    private readonly socket: Socket,
    readonly engine: Engine<ClientSession>,
    readonly startupParams: Record<string, string>,
    readonly pid: number,
    readonly secret: number,
    private readonly host: SessionHost,
  ) {
    this.namePrefix = `ppg${pid}_`;
    this.settings = settingsFromStartup(startupParams, engine.parameterStatus);
    this.generation = engine.generation;
    engine.addSession(this);
  }

  hasNeighbours(): boolean {
    return this.engine.sessionCount > 1;
  }

  get applicationName(): string {
    return this.startupParams.application_name || 'unnamed client';
  }

  /** Sends the greeting (ParameterStatus set, BackendKeyData, ReadyForQuery) and starts reading. */
  start(): void {
    const greeting: Uint8Array[] = [];
    const overrides = new Map([...this.settings].map(([k, v]) => [k.toLowerCase(), v]));
    overrides.set('session_authorization', this.startupParams.user ?? '');
    for (const [name, value] of this.engine.parameterStatus) {
      greeting.push(parameterStatus(name, overrides.get(name.toLowerCase()) ?? value));
    }
    greeting.push(backendKeyData(this.pid, this.secret), readyForQuery('I'));
    this.write(concatBytes(greeting));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('close', () => this.close());
    this.socket.on('error', () => this.close());
    this.socket.resume();
    this.armIdleTimer();
  }

  private receive(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (error) {
      if (error instanceof FrameLengthError) return this.terminate({ severity: 'FATAL', code: '08P01', message: error.message });
      throw error;
    }
    for (const f of frames) this.inbox.push(f);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.inboxHead < this.inbox.length && !this.closed) {
        const f = this.inbox[this.inboxHead++]!;
        if (this.inboxHead > 4096) {
          this.inbox.splice(0, this.inboxHead);
          this.inboxHead = 0;
        }
        const wait = this.handle(f);
        if (wait) await wait;
      }
      this.inbox.length = 0;
      this.inboxHead = 0;
    } catch (error) {
      this.host.log(`session ${this.pid}: ${error instanceof Error ? error.stack : String(error)}`);
      this.terminate({ severity: 'FATAL', code: 'XX000', message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.draining = false;
    }
  }

  private handle(f: Uint8Array): Promise<void> | void {
    const type = f[0]!;
    this.clearIdleTimer();
    if (this.copyIn) return this.handleCopyMessage(f);
    if (this.skipUntilSync) {
      if (type === FRONTEND.Sync) {
        this.skipUntilSync = false;
        return this.endBatch(f, 'sync');
      }
      if (type === FRONTEND.Terminate) this.close();
      return;
    }
    if (EXTENDED.has(type)) return this.addExtended(f);
    switch (type) {
      case FRONTEND.Query:
        return this.handleQuery(f);
      case FRONTEND.Sync:
        return this.endBatch(f, 'sync');
      case FRONTEND.Flush:
        return this.endBatch(f, 'flush');
      case FRONTEND.FunctionCall:
        return this.endBatch(f, 'sync');
      case FRONTEND.Terminate:
        this.close();
        return;
      case FRONTEND.CopyData:
      case FRONTEND.CopyDone:
      case FRONTEND.CopyFail:
        return; // Postgres ignores COPY messages outside COPY mode.
      default:
        return this.terminate({ severity: 'FATAL', code: '08P01', message: `invalid frontend message type ${type}` });
    }
  }

  // ---- simple query ----

  private handleQuery(f: Uint8Array): Promise<void> | void {
    const sql = readCString(f, 5).value;
    const rewrite = rewriteQueryText(sql, this);
    if (rewrite.error) return this.replyError(rewrite.error, 'query');
    const effects = rewrite.effects;
    if (effects.database) {
      if (this.status === 'I' && this.pending.length === 0) return this.runDatabaseCommand(effects.database);
      // Inside a transaction block PGlite itself gives the exact error (25001).
    }
    if (effects.copyFromStdin) return this.startCopyIn(rewrite.sql === sql ? f : queryMessage(rewrite.sql), effects.copyCsv === true);
    if (this.pending.length > 0 || this.midExtended) return this.queryInsideExtendedBatch(f);
    const message = rewrite.sql === sql ? f : queryMessage(rewrite.sql);
    this.pendingEffects.push(effects);
    const parts = this.pending.length > 0 ? [...this.takePending(), message] : [message];
    return this.run(parts, 'query');
  }

  /**
   * A Query that arrives inside an unfinished extended batch. Postgres runs it in the batch's implicit
   * transaction and commits both; PGlite answers ReadyForQuery 'T' there and leaves its transaction state
   * half-open for the next client. So the batch is ended first with a Sync of ours (its ReadyForQuery is not
   * the client's and is dropped), then the Query runs as usual. If the batch failed, Postgres discards the
   * Query until the client's Sync, and so do we. (Only difference left: a failing Query no longer rolls
   * back the batch's statements, which were committed by our Sync.)
   */
  private async queryInsideExtendedBatch(f: Uint8Array): Promise<void> {
    this.ownSyncFailed = false;
    await this.run([...this.takePending(), SYNC_MESSAGE], 'flush', false, true);
    if (this.closed) return;
    if (this.ownSyncFailed || this.skipUntilSync) {
      this.skipUntilSync = true;
      return;
    }
    return this.handleQuery(f);
  }

  // ---- extended protocol ----

  private addExtended(f: Uint8Array): void {
    const type = f[0]!;
    if (type === FRONTEND.Parse) {
      const name = readCString(f, 5);
      const query = readCString(f, name.next);
      const rewrite = rewriteQueryText(query.value, this);
      let sqlText = rewrite.sql;
      if (rewrite.effects.copyFromStdin || rewrite.effects.database || rewrite.error) {
        // These cannot run through the extended protocol here; a statement that raises the reason keeps
        // the protocol flow (and PGlite) intact.
        const reason = rewrite.error?.message ?? (rewrite.effects.copyFromStdin
          ? 'COPY FROM STDIN over the extended query protocol is not supported by ppg-dev; send it as a simple query'
          : 'CREATE/DROP DATABASE over the extended query protocol is not supported by ppg-dev; send it as a simple query');
        sqlText = `DO $ppg$BEGIN RAISE EXCEPTION '%', ${quote(reason)} USING ERRCODE = '0A000'; END$ppg$`;
      } else this.pendingEffects.push(rewrite.effects);
      if (rewrite.effects.extensionFiles) this.wantsExtensionFiles = true;
      const engineName = name.value === '' ? '' : this.namePrefix + name.value;
      const rebuilt = engineName !== '' || sqlText !== query.value
        ? frame(FRONTEND.Parse, concatBytes([cstring(engineName), cstring(sqlText), f.subarray(query.next)]))
        : f;
      if (engineName) this.namedStatementsUsed = true;
      this.pendingParseChanges.push({ op: 'parse', name: engineName, parse: rebuilt });
      if (engineName === '') this.pendingParsesUnnamed = rebuilt;
      this.pending.push(rebuilt);
      return;
    }
    if (type === FRONTEND.Bind) {
      const portal = readCString(f, 5);
      const statement = readCString(f, portal.next);
      if (statement.value === '' && !this.pendingParsesUnnamed) this.pendingUsesUnnamed = true;
      if (portal.value === '' && statement.value === '') {
        this.pending.push(f);
        return;
      }
      this.pending.push(frame(FRONTEND.Bind, concatBytes([
        cstring(this.prefixed(portal.value)), cstring(this.prefixed(statement.value)), f.subarray(statement.next),
      ])));
      return;
    }
    if (type === FRONTEND.Describe || type === FRONTEND.Close) {
      const kind = f[5]!;
      const name = readCString(f, 6);
      if (kind === DESCRIBE_TARGET.Statement && name.value === '' && !this.pendingParsesUnnamed) this.pendingUsesUnnamed = true;
      if (type === FRONTEND.Close) this.pendingParseChanges.push({ op: 'close', name: kind === DESCRIBE_TARGET.Statement ? this.prefixed(name.value) : '' });
      this.pending.push(name.value === '' ? f : frame(type, concatBytes([
        new Uint8Array([kind]), cstring(this.prefixed(name.value)),
      ])));
      return;
    }
    // Execute
    const portal = readCString(f, 5);
    this.pending.push(portal.value === '' ? f : frame(FRONTEND.Execute, concatBytes([cstring(this.prefixed(portal.value)), f.subarray(portal.next)])));
  }

  private prefixed(name: string): string {
    return name === '' ? '' : this.namePrefix + name;
  }

  private takePending(): Uint8Array[] {
    const parts = this.pending;
    this.pending = [];
    return parts;
  }

  private endBatch(terminator: Uint8Array, end: BatchEnd): Promise<void> | void {
    if (this.pending.length === 0 && !this.midExtended && end === 'sync' && terminator[0] === FRONTEND.Sync && this.engine.scheduler.owner !== this) {
      // Nothing of ours is in the engine: answer Sync without queueing for it.
      this.write(readyForQuery(this.status));
      return;
    }
    return this.run([...this.takePending(), terminator], end);
  }

  // ---- running a batch ----

  private run(parts: Uint8Array[], end: BatchEnd, stripCopyInResponse = false, ownSync = false): Promise<void> | void {
    const bytes = concatBytes(parts);
    const effects = this.pendingEffects;
    this.pendingEffects = [];
    const usesUnnamed = this.pendingUsesUnnamed;
    const parsesUnnamed = this.pendingParsesUnnamed;
    const parseChanges = this.pendingParseChanges;
    this.pendingUsesUnnamed = false;
    this.pendingParsesUnnamed = null;
    this.pendingParseChanges = [];
    const execute = () => this.execute(bytes, end, effects, usesUnnamed, parsesUnnamed, parseChanges, stripCopyInResponse, ownSync);
    const queued = () => this.waitForEngine(end).then((ok) => (ok ? execute() : undefined));
    const scheduler = this.engine.scheduler;
    if (scheduler.take(this)) return execute();
    if (end === 'sync' && isParseOnly(parts)) {
      return (async () => {
        // Beside the owner's idle transaction if it can (see parseBesideOwner), else in line. Our
        // prepared statements must be those of the running engine (restorePrepared runs only in our own batch).
        const route = await scheduler.routeParseOnly(this, () => !this.engine.isDead && this.generation === this.engine.generation);
        if (route === 'closed') return;
        if (route === 'run') return execute();
        if (this.closed) return;
        if (route === 'beside' && (await this.parseBesideOwner(bytes, effects, parsesUnnamed, parseChanges))) return;
        return queued();
      })();
    }
    return queued();
  }

  /**
   * Applies a batch's Parse and Close messages to the session's statement names, those the engine carried
   * out only: after an error Postgres skips the rest of the batch, so the completions (ParseComplete,
   * CloseComplete) counted in its output name the first Parses and Closes, in order. A failed Parse leaves
   * no name behind (DEALLOCATE ALL would then name a statement that does not exist).
   */
  private recordStatementChanges(changes: StatementChange[], parsed: number, closed: number): void {
    for (const change of changes) {
      if (change.op === 'parse' ? parsed-- <= 0 : closed-- <= 0) continue;
      if (change.name === '') continue;
      if (change.op === 'parse') {
        this.statementNames.add(change.name);
        this.parses.set(change.name, change.parse);
      } else {
        this.statementNames.delete(change.name);
        this.parses.delete(change.name);
      }
    }
  }

  /**
   * Parse (and Describe/Close of statements) without Bind/Execute needs no transaction of its own. Postgres
   * answers it at once even while other sessions hold transactions, and single-threaded clients rely on
   * that (pgbench -M prepared calls a blocking PQprepare for one connection while another holds a
   * transaction it can only finish afterwards). So a parse-only batch may run inside the owner's idle
   * transaction, within a savepoint that is always rolled back: the owner's transaction and settings come
   * out unchanged, while prepared statements (not transactional) stay. The scheduler decides when
   * (SessionScheduler.routeParseOnly). Returns false if the engine was stopped meanwhile.
   */
  private async parseBesideOwner(bytes: Uint8Array, effects: StatementEffects[], parsesUnnamed: Uint8Array | null, parseChanges: StatementChange[]): Promise<boolean> {
    const engine = this.engine;
    // One request, so nothing of the owner's runs in between. ROLLBACK TO also undoes our settings.
    const switchSql = settingsSwitchSql(engine.appliedSettings, this.settings);
    const parts = [queryMessage('SAVEPOINT ppg_parse_beside')];
    if (switchSql) parts.push(queryMessage(switchSql));
    parts.push(bytes, queryMessage('ROLLBACK TO SAVEPOINT ppg_parse_beside; RELEASE SAVEPOINT ppg_parse_beside'));
    // Claimed before the request: the owner's next batch, queued behind it, must parse its own again.
    if (parsesUnnamed) engine.setUnnamedStatementOwner(this);
    let out: Uint8Array;
    try {
      out = await engine.exec(concatBytes(parts));
    } catch (error) {
      if (error instanceof EngineInterruptedError) return false;
      throw error;
    }
    const segments = splitAtReadyForQuery(out);
    const batchOut = segments[switchSql ? 2 : 1] ?? new Uint8Array(0);
    const reply: Uint8Array[] = [];
    let parsed = 0;
    let closed = 0;
    for (const f of splitFrames(batchOut)) {
      if (f.type === BACKEND.ReadyForQuery) continue; // it carries the owner's transaction status, not ours
      if (f.type === BACKEND.ParseComplete) parsed++;
      else if (f.type === BACKEND.CloseComplete) closed++;
      reply.push(f.type === BACKEND.ErrorResponse || f.type === BACKEND.NoticeResponse ? this.unprefixMessage(f.bytes) : f.bytes);
    }
    reply.push(readyForQuery(this.status));
    this.write(concatBytes(reply));
    if (parsesUnnamed && !firstError(batchOut)) this.lastUnnamedParse = parsesUnnamed;
    this.recordStatementChanges(parseChanges, parsed, closed);
    // Not the owner: the engine cannot be asked which statements a failed batch left (see applyEffects).
    for (const effect of effects) await this.applyEffects(effect, false);
    return true;
  }

  /** Queues for the engine. Resolves false (after answering the client) if the wait ended without it. */
  private async waitForEngine(end: BatchEnd): Promise<boolean> {
    const lockWaitTimeoutMs = this.host.lockWaitTimeoutMs;
    const outcome = await this.engine.scheduler.acquire(this, { statementTimeoutMs: durationSettingMs(this.settings, 'statement_timeout'), lockWaitTimeoutMs });
    if (outcome.granted) return true;
    const error = waitEndError(outcome, lockWaitTimeoutMs);
    if (error && !this.closed) this.replyError(error, end);
    return false;
  }

  /** Answers a batch that never reached the engine with an error, as Postgres would. */
  private replyError(fields: ErrorFields, end: BatchEnd): void {
    if (end === 'flush') {
      this.skipUntilSync = true;
      this.write(errorResponse(fields));
      return;
    }
    this.write(concatBytes([errorResponse(fields), readyForQuery(this.status)]));
  }

  private async execute(
    bytes: Uint8Array, end: BatchEnd, effects: StatementEffects[], usesUnnamed: boolean,
    parsesUnnamed: Uint8Array | null, parseChanges: StatementChange[], stripCopyInResponse: boolean, ownSync = false,
  ): Promise<void> {
    const engine = this.engine;
    if (this.closed) {
      await this.afterBatch('I');
      return;
    }
    const scheduler = engine.scheduler;
    scheduler.beginBatch(this);
    try {
      if (effects.some((e) => e.extensionFiles)) this.wantsExtensionFiles = true;
      if (this.wantsExtensionFiles && !engine.hasCatalog) {
        await this.prepareExtensions();
        if (this.closed) {
          await this.afterBatch('I');
          return;
        }
      }
      const output = new BatchOutput(this.specialFrames(stripCopyInResponse, ownSync), this.frameHook(stripCopyInResponse, ownSync), (out) => this.write(out));
      try {
        if (this.generation !== engine.generation) await this.restorePrepared();
        await applySessionSettings(engine, this, this.host.log);
        if (usesUnnamed && !engine.holdsUnnamedStatementOf(this) && this.lastUnnamedParse) {
          // Another client replaced the shared unnamed statement since we parsed ours: parse it again.
          await engine.exec(this.lastUnnamedParse);
        }
        scheduler.startRun(this, durationSettingMs(this.settings, 'statement_timeout'));
        await engine.execStream(bytes, (chunk) => output.push(chunk));
      } catch (error) {
        if (error instanceof EngineInterruptedError) {
          output.abandon();
          // What completed before the stop existed; the restart's restorePrepared brings it back.
          this.recordStatementChanges(parseChanges, output.parseCompletes, output.closeCompletes);
          await this.afterInterrupt(error.fields, end, ownSync);
          return;
        }
        this.host.log(`engine failure in session ${this.pid}: ${error instanceof Error ? error.message : String(error)}`);
        output.end();
        this.terminate({ severity: 'FATAL', code: 'XX000', message: error instanceof Error ? error.message : String(error) });
        return;
      } finally {
        scheduler.endRun(this);
      }
      output.end();
      this.recordStatementChanges(parseChanges, output.parseCompletes, output.closeCompletes);
      if (ownSync) this.ownSyncFailed = output.hasError;
      if (parsesUnnamed) {
        engine.setUnnamedStatementOwner(this);
        this.lastUnnamedParse = parsesUnnamed;
      } else if (end === 'query') engine.setUnnamedStatementOwner(null);
      for (const effect of effects) await this.applyEffects(effect, output.hasError);
      // No ReadyForQuery means the engine is still inside our extended batch, whatever ended it on our side:
      // after an error Postgres discards everything up to Sync, a Query or FunctionCall included. Releasing
      // the engine then would leave it discarding every other client's messages.
      await this.afterBatch(output.status);
    } finally {
      scheduler.endBatch(this);
    }
  }

  /**
   * Our batch was stopped (cancel, statement_timeout) and the engine reopened without it. The client gets
   * the error as Postgres sends it; a transaction block it had open is gone, so an aborted one is made in
   * its place (the engine stays ours until the client's ROLLBACK, and Postgres' own 25P02 answers meanwhile).
   */
  private async afterInterrupt(fields: ErrorFields, end: BatchEnd, ownSync: boolean): Promise<void> {
    let status: TransactionStatus = 'I';
    if (this.status !== 'I' && !this.closed) {
      try {
        const out = await this.engine.execQuery(`BEGIN; DO $ppg$BEGIN RAISE EXCEPTION 'canceled'; END$ppg$`);
        status = summarizeOutput(out).status ?? 'I';
      } catch {
        status = 'I';
      }
    }
    this.status = status;
    this.midExtended = false;
    if (ownSync) this.ownSyncFailed = true;
    if (end === 'flush' && !ownSync) {
      this.skipUntilSync = true;
      this.write(errorResponse(fields));
    } else {
      this.write(concatBytes([errorResponse(fields), ...(ownSync ? [] : [readyForQuery(status)])]));
    }
    await this.afterBatch(status);
  }

  /** After an engine restart: our named prepared statements, parsed again (each with its own Sync, so one failure stops none of the others). */
  private async restorePrepared(): Promise<void> {
    this.generation = this.engine.generation;
    if (this.parses.size === 0) return;
    await this.engine.exec(concatBytes([...this.parses.values()].flatMap((parse) => [parse, SYNC_MESSAGE])));
  }

  /**
   * Gives the engine the extension files a batch that mentions extensions may need. A failure here is
   * only logged: Postgres then reports what is missing in its own words.
   */
  private async prepareExtensions(): Promise<void> {
    try {
      await this.engine.installCatalog();
    } catch (error) {
      this.host.log(`could not load extension files for "${this.engine.name}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private specialFrames(stripCopyInResponse: boolean, ownSync = false): ReadonlySet<number> {
    // Errors and notices always go through the hook: they may name a prefixed statement or portal even
    // when the session has no named statement left (a Close earlier in the same batch, a portal-only
    // batch). They are rare, so this costs nothing on the hot path.
    const types = new Set<number>([BACKEND.NotificationResponse, BACKEND.ErrorResponse, BACKEND.NoticeResponse]);
    if (stripCopyInResponse) types.add(BACKEND.CopyInResponse);
    if (ownSync) types.add(BACKEND.ReadyForQuery);
    return types;
  }

  private frameHook(stripCopyInResponse: boolean, ownSync = false): FrameHook {
    let copyInResponseDropped = !stripCopyInResponse;
    return (type, f) => {
      // The ReadyForQuery answering a Sync the client did not send.
      if (type === BACKEND.ReadyForQuery && ownSync) return null;
      if (type === BACKEND.NotificationResponse) return this.routeNotification(f);
      if (type === BACKEND.CopyInResponse && !copyInResponseDropped) {
        // The final COPY run repeats the CopyInResponse the client already had from the probe.
        copyInResponseDropped = true;
        return null;
      }
      if (type === BACKEND.ErrorResponse) return withAvailableExtensionsHint(this.unprefixMessage(f));
      if (type === BACKEND.NoticeResponse) return this.unprefixMessage(f);
      return f;
    };
  }

  /** Keeps the engine or lets go (SessionScheduler.settle): only an idle session with no unfinished batch lets go. */
  private async afterBatch(status: TransactionStatus | null): Promise<void> {
    this.midExtended = status === null;
    if (status !== null) this.status = status;
    if (!this.engine.scheduler.settle(this, this.status, this.midExtended)) {
      if (this.settingsDirty && !this.closed) {
        try {
          await captureSessionSettings(this.engine, this);
        } catch (error) {
          this.host.log(`could not read back the settings of session ${this.pid}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      this.engine.scheduler.release(this);
      if (!this.closed) this.armIdleTimer();
    } else if (!this.closed && this.status !== 'I') this.armIdleTimer();
  }

  /**
   * Tracks what a batch's SQL changed in the session. After an error, a PREPARE of the batch may not have
   * run (or failed), so the engine, which we own then, says which of its names exist.
   */
  private async applyEffects(effects: StatementEffects, failed: boolean): Promise<void> {
    if (effects.settings) this.settingsDirty = true;
    const prepared = failed && effects.prepared.length > 0 ? await this.existingStatements(effects.prepared) : effects.prepared;
    for (const name of prepared) this.statementNames.add(name);
    if (effects.prepared.length > 0) this.namedStatementsUsed = true;
    for (const name of effects.deallocated) this.statementNames.delete(name);
    for (const channel of effects.listen) {
      this.channels.add(channel);
      this.engine.addListener(channel, this);
    }
    for (const channel of effects.unlisten) await this.stopListening(channel === '*' ? [...this.channels] : [channel]);
  }

  private async existingStatements(names: string[]): Promise<string[]> {
    const list = names.map(quote).join(', ');
    return dataRows(await this.engine.execQuery(`SELECT name FROM pg_catalog.pg_prepared_statements WHERE name IN (${list})`)).map(([name]) => name ?? '');
  }

  /** Drops our interest in channels; the engine keeps LISTENing on those another client still wants. */
  private async stopListening(channels: string[]): Promise<void> {
    for (const channel of channels) {
      this.channels.delete(channel);
      this.engine.removeListener(channel, this);
    }
    const stillWanted = this.engine.listenedChannels();
    if (stillWanted.length > 0 && channels.length > 0) {
      await this.engine.execQuery(stillWanted.map((c) => `LISTEN "${c.replace(/"/g, '""')}"`).join('; '));
    }
  }

  /** Sends a notification to the other listeners; returns it for our own output only if we listen too. */
  private routeNotification(f: Uint8Array): Uint8Array | null {
    const { channel, payload } = parseNotification(f);
    const message = notificationResponse(this.pid, channel, payload);
    for (const listener of this.engine.listenersOf(channel)) {
      if (listener !== this) listener.write(message);
    }
    // Our own copy stays where Postgres puts it (before ReadyForQuery), if we listen.
    return this.channels.has(channel) ? message : null;
  }

  /** Error and notice texts show the client's own statement names, not the engine-side prefixed ones. */
  private unprefixMessage(f: Uint8Array): Uint8Array {
    const text = new TextDecoder().decode(f.subarray(5));
    if (!text.includes(this.namePrefix)) return f;
    return frame(f[0]!, new TextEncoder().encode(text.split(this.namePrefix).join('')));
  }

  // ---- COPY FROM STDIN ----

  /**
   * PGlite cannot pause in the middle of COPY FROM STDIN, so the data is buffered and the whole COPY runs
   * in one call at CopyDone. To answer the client's COPY query with the exact CopyInResponse (or the exact
   * error), the statement is probed first with an immediate CopyFail, inside a savepoint when a transaction
   * is open.
   */
  private startCopyIn(query: Uint8Array, csv: boolean): Promise<void> | void {
    if (this.engine.scheduler.take(this)) return this.probeCopy(query, csv);
    return this.waitForEngine('query').then((ok) => (ok ? this.probeCopy(query, csv) : undefined));
  }

  private async probeCopy(query: Uint8Array, csv: boolean): Promise<void> {
    this.engine.scheduler.beginBatch(this);
    try {
      await this.probeCopyOwned(query, csv);
    } finally {
      this.engine.scheduler.endBatch(this);
    }
  }

  private async probeCopyOwned(query: Uint8Array, csv: boolean): Promise<void> {
    const engine = this.engine;
    if (this.generation !== engine.generation) await this.restorePrepared();
    await applySessionSettings(engine, this, this.host.log);
    if (this.status === 'E') {
      const out = await engine.exec(query);
      this.write(out);
      await this.afterBatch(summarizeOutput(out).status);
      return;
    }
    const inTransaction = this.status === 'T';
    const probe = inTransaction
      ? concatBytes([queryMessage('SAVEPOINT ppg_copy_probe'), query, copyFailMessage('ppg-dev probe'), queryMessage('ROLLBACK TO SAVEPOINT ppg_copy_probe; RELEASE SAVEPOINT ppg_copy_probe')])
      : concatBytes([query, copyFailMessage('ppg-dev probe')]);
    const out = await engine.exec(probe);
    const copyInResponse = splitFrames(out).find((f) => f.type === BACKEND.CopyInResponse);
    if (!copyInResponse) {
      // The COPY statement itself failed; run it again alone so the error (and an aborted transaction) is real.
      const real = inTransaction ? await engine.exec(query) : out;
      this.write(real);
      await this.afterBatch(summarizeOutput(real).status);
      return;
    }
    this.copyIn = new CopyInBuffer(query, csv);
    this.write(copyInResponse.bytes.slice());
    // Outside a transaction nothing needs the engine until CopyDone; a slow upload must not block others.
    await this.afterBatch(inTransaction ? 'T' : 'I');
  }

  private handleCopyMessage(f: Uint8Array): Promise<void> | void {
    const batch = this.copyIn!.receive(f);
    if (!batch) return;
    this.copyIn = null;
    return this.run(batch, 'query', true);
  }

  // ---- CREATE / DROP DATABASE ----

  private async runDatabaseCommand(command: DatabaseCommand): Promise<void> {
    const reply = await this.host.databaseCommand(this, command);
    this.write(concatBytes([reply, readyForQuery(this.status)]));
  }

  // ---- timers, cancel, teardown ----

  /** The idle timeouts Postgres runs while it waits for the client (see proxy-settings.ts for why here). */
  private armIdleTimer(): void {
    this.clearIdleTimer();
    const inTransaction = this.status !== 'I';
    const timeout = durationSettingMs(this.settings, inTransaction ? 'idle_in_transaction_session_timeout' : 'idle_session_timeout');
    if (timeout <= 0) return;
    this.idleTimer = setTimeout(() => this.terminate(inTransaction
      ? { severity: 'FATAL', code: '25P03', message: 'terminating connection due to idle-in-transaction timeout' }
      : { severity: 'FATAL', code: '57P05', message: 'terminating connection due to idle-session timeout' }), timeout);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** CancelRequest: a batch waiting for the engine leaves the line; a running one is stopped (see SessionScheduler). */
  cancel(): void {
    this.engine.scheduler.cancel(this);
  }

  get hasBatchRunning(): boolean {
    return this.engine.scheduler.isRunning(this);
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed && bytes.length > 0) this.socket.write(bytes);
  }

  /** Sends a final error and closes the connection. */
  terminate(fields: ErrorFields): void {
    if (!this.socket.destroyed) this.socket.end(errorResponse(fields));
    this.close();
  }

  /** Releases everything the session holds on the engine. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearIdleTimer();
    this.copyIn = null;
    this.pending = [];
    if (this.socket.writableEnded) {
      // A final message is on its way (terminate): let it flush, but do not wait forever for the peer.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else if (!this.socket.destroyed) this.socket.destroy();
    const scheduler = this.engine.scheduler;
    scheduler.leave(this);
    this.engine.removeSession(this);
    this.host.onClose(this);
    // A batch of ours still in the engine decides what is left to clean (its transaction status).
    void scheduler.whenBatchDone(this).then(() => {
      const needsEngine = scheduler.owner === this || this.namedStatementsUsed || this.channels.size > 0;
      if (!needsEngine) return;
      if (scheduler.take(this)) void this.cleanUp();
      else void scheduler.acquire(this).then((outcome) => (outcome.granted ? this.cleanUp() : undefined));
    });
  }

  private async cleanUp(): Promise<void> {
    const engine = this.engine;
    try {
      if (!engine.isDead) {
        if (this.midExtended) await engine.exec(SYNC_MESSAGE);
        if (this.status !== 'I' || engine.isInTransaction()) await engine.execQuery('ROLLBACK');
        // By prefix, from the engine's own list, which our list of names may not match in every case (see
        // namedStatementsUsed). (After a restart there is nothing of ours left to drop.)
        if (this.namedStatementsUsed && this.generation === engine.generation) await engine.execQuery(deallocateByPrefix(this.namePrefix));
        if (this.channels.size > 0) await this.stopListening([...this.channels]);
        engine.forgetUnnamedStatementOf(this);
      }
    } catch (error) {
      this.host.log(`cleanup of session ${this.pid} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      engine.forgetSettingsOf(this);
      engine.scheduler.release(this);
    }
  }
}

/** The output of each ReadyForQuery-terminated request in `out`, in order. */
function splitAtReadyForQuery(out: Uint8Array): Uint8Array[] {
  const segments: Uint8Array[] = [];
  let start = 0;
  for (const f of splitFrames(out)) {
    if (f.type !== BACKEND.ReadyForQuery) continue;
    const end = f.bytes.byteOffset - out.byteOffset + f.bytes.length;
    segments.push(out.subarray(start, end));
    start = end;
  }
  return segments;
}

/** Parse, Describe/Close of a prepared statement, and Sync: nothing that binds or executes. */
function isParseOnly(parts: Uint8Array[]): boolean {
  return parts.every((f) => f[0] === FRONTEND.Parse || f[0] === FRONTEND.Sync || ((f[0] === FRONTEND.Describe || f[0] === FRONTEND.Close) && f[5] === DESCRIBE_TARGET.Statement));
}

/** One statement that deallocates every prepared statement whose engine-side name starts with `prefix`. */
function deallocateByPrefix(prefix: string): string {
  return `DO $ppg$DECLARE n text; BEGIN FOR n IN SELECT name FROM pg_catalog.pg_prepared_statements WHERE starts_with(name, ${quote(prefix)}) LOOP EXECUTE format('DEALLOCATE %I', n); END LOOP; END$ppg$`;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
