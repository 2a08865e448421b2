import { dataRows, summarizeOutput } from './backend-output.js';
import type { BackendSignal } from './backend-functions.js';
import { probeCopy } from './copy-in.js';
import { EngineInterruptedError, EngineRestartedError, type Engine, type ExecResult } from './engine.js';
import { waitEndError, type Holder } from './engine-scheduler.js';
import type { SessionChannels } from './listen-routing.js';
import { clientOutput } from './output-rewrite.js';
import { isParseOnly, runParseBeside } from './parse-beside.js';
import type { Batch, BatchEnd } from './pending-batch.js';
import { SessionStatements } from './session-statements.js';
import { applySessionSettings, captureSessionSettings, durationSettingMs, settingsSwitchSql, type SettingsHolder } from './session-settings.js';
import type { StatementEffects } from './statement-rewrite.js';
import { signalShortcut, type SignalCall } from './signal-shortcut.js';
import { markTempUser, switchTempObjects, usesTemp } from './temp-objects.js';
import { ADMINISTRATOR_TERMINATION, concatBytes, errorResponse, readyForQuery, type ErrorFields, type TransactionStatus } from './wire-messages.js';

/**
 * Running one client's batches on its shared engine: taking the engine through the scheduler, putting the
 * client's own state in place first (prepared statements after a restart, settings, its unnamed statement),
 * streaming the output back with the client's names and routed notifications, and keeping the protocol
 * state the engine left (transaction status, an unfinished extended batch, an error that discards until
 * Sync). The rules of who runs when are the scheduler's (session-scheduler.ts).
 */
export interface BatchSession extends SettingsHolder, Holder {
  readonly closed: boolean;
  write(bytes: Uint8Array): void;
  terminate(fields: ErrorFields): void;
  /** A batch left the session waiting for the client: its idle timeouts start. */
  idle(): void;
}

export interface BatchRunnerOptions {
  log(line: string): void;
  /** How long a batch may wait for an engine held by another client's open transaction. */
  lockWaitTimeoutMs: number;
  /** pg_cancel_backend/pg_terminate_backend reached the engine (backend-functions.ts). */
  signalBackend(kind: BackendSignal, pid: number): void;
}

export class BatchRunner<S extends BatchSession> {
  private transactionStatus: TransactionStatus = 'I';
  /** The engine holds part of an extended batch of ours (sent at Flush, no Sync yet). */
  private midExtended = false;
  /** After an error in an extended batch, messages are discarded up to the client's Sync, as Postgres does. */
  private skipUntilSync = false;
  /** The batch ended by our own Sync (`syncForQuery`) reported an error. */
  private ownSyncFailed = false;
  /**
   * The session has sent a statement that mentions extensions. Kept for the session, not the batch: a
   * statement parsed beside another client's transaction (parse-beside.ts) runs in a later batch.
   */
  private wantsExtensionFiles = false;

  constructor(
    private readonly session: S,
    private readonly engine: Engine<S>,
    private readonly statements: SessionStatements,
    private readonly channels: SessionChannels<S>,
    private readonly options: BatchRunnerOptions,
  ) {}

  get status(): TransactionStatus {
    return this.transactionStatus;
  }

  /** The engine is inside an extended batch of ours (no ReadyForQuery yet). */
  get inExtendedBatch(): boolean {
    return this.midExtended;
  }

  /** Messages are being discarded until the client's Sync. */
  get discarding(): boolean {
    return this.skipUntilSync;
  }

  stopDiscarding(): void {
    this.skipUntilSync = false;
  }

  /** Runs `batch` once the engine is ours (at once, beside its owner, or after waiting in line). */
  run(batch: Batch): Promise<void> | void {
    if (batch.extensionFiles) this.wantsExtensionFiles = true;
    if (batch.effects.some((e) => e.temp)) markTempUser(this.session);
    const scheduler = this.engine.scheduler;
    const session = this.session;
    // Batches run here can be sent again if the engine restarts under them, so they may queue behind
    // pipelined batches still in the engine (SessionScheduler.detach).
    const queued = () => this.waitForEngine(batch.end, 'behind').then((ok) => (ok ? this.execute(batch) : undefined));
    const signal = () => (this.transactionStatus === 'I' && !this.midExtended ? signalShortcut(batch.parts) : null);
    // An engine that another client's pipelined batch is in (a pg_sleep among them) can be taken, but a
    // signal call is answered here then too, or it would wait behind the statement it means to stop.
    const busy = scheduler.inFlight > 0 || (scheduler.owner !== null && scheduler.owner !== session);
    let shortcut = busy ? signal() : null;
    if (!shortcut && scheduler.take(session, true)) return this.execute(batch);
    shortcut ??= signal();
    if (shortcut) return this.answerSignal(batch, shortcut.call, shortcut.reply);
    // Beside another client, names would resolve among that client's temp objects.
    if (batch.end === 'sync' && isParseOnly(batch.parts) && !usesTemp(session)) {
      return (async () => {
        // Our prepared statements must be those of the running engine: restorePrepared runs in our own batch.
        const route = await scheduler.routeParseOnly(session, () => !this.engine.isDead && this.statements.isCurrent(this.engine.generation));
        if (route === 'closed') return;
        if (route === 'run') return this.execute(batch);
        if (session.closed) return;
        if (route === 'beside' && (await this.parseBesideOwner(batch))) return;
        return queued();
      })();
    }
    return queued();
  }

  /**
   * A Query that arrives inside an unfinished extended batch. Postgres runs it in the batch's implicit
   * transaction and commits both; PGlite answers ReadyForQuery 'T' there and leaves its transaction state
   * half-open for the next client. So the batch is ended first with a Sync of ours (`batch` ends with it;
   * its ReadyForQuery is not the client's and is dropped), then the Query runs as usual. If the batch failed,
   * Postgres discards the Query until the client's Sync, and so do we. Resolves true if the Query may run.
   * (Only difference left: a failing Query no longer rolls back the batch's statements, which were committed
   * by our Sync.)
   */
  async syncForQuery(batch: Batch): Promise<boolean> {
    this.ownSyncFailed = false;
    await this.run(batch);
    if (this.ownSyncFailed || this.skipUntilSync) {
      this.skipUntilSync = true;
      return false;
    }
    return true;
  }

  /** Answers a batch that never reached the engine with an error, as Postgres would. */
  replyError(fields: ErrorFields, end: BatchEnd): void {
    if (end === 'flush') {
      this.skipUntilSync = true;
      this.session.write(errorResponse(fields));
      return;
    }
    this.session.write(concatBytes([errorResponse(fields), readyForQuery(this.transactionStatus)]));
  }

  /**
   * Starts a COPY FROM STDIN: probes the statement (copy-in.ts) and answers the client with the
   * CopyInResponse, or with the real error. Resolves true if the client now sends the data.
   */
  async startCopyIn(query: Uint8Array): Promise<boolean> {
    if (!this.engine.scheduler.take(this.session) && !(await this.waitForEngine('query'))) return false;
    const scheduler = this.engine.scheduler;
    scheduler.beginBatch(this.session);
    try {
      await this.prepareEngine(false);
      const start = await probeCopy(this.engine, query, this.transactionStatus);
      this.session.write(start.reply);
      // Outside a transaction nothing needs the engine until CopyDone; a slow upload must not block others.
      await this.afterBatch(start.status);
      return start.started;
    } finally {
      scheduler.endBatch(this.session);
    }
  }

  /**
   * Queues for the engine (`behind`: this batch may be sent behind pipelined ones; `requeue`: a pipelined
   * batch of ours the engine dropped unrun). Resolves false (after answering the client) if the wait ended
   * without it.
   */
  private async waitForEngine(end: BatchEnd, how: 'alone' | 'behind' | 'requeue' = 'alone'): Promise<boolean> {
    const lockWaitTimeoutMs = this.options.lockWaitTimeoutMs;
    const statementTimeoutMs = durationSettingMs(this.session.settings, 'statement_timeout');
    const limits = { statementTimeoutMs, lockWaitTimeoutMs };
    const scheduler = this.engine.scheduler;
    const outcome = await (how === 'requeue' ? scheduler.requeue(this.session, limits) : scheduler.acquire(this.session, limits, how === 'behind'));
    if (outcome.granted) return true;
    const error = waitEndError(outcome, lockWaitTimeoutMs);
    if (error && !this.session.closed) this.replyError(error, end);
    return false;
  }

  private async execute(batch: Batch): Promise<void> {
    const { engine, session } = this;
    if (session.closed) {
      await this.afterBatch('I');
      return;
    }
    const scheduler = engine.scheduler;
    scheduler.beginBatch(session);
    try {
      const ownSync = batch.ownSync === true;
      const output = clientOutput(this.statements, this.channels, { endsCopy: batch.endsCopy === true, ownSync, onBackendSignal: (kind, pid) => this.onBackendSignal(kind, pid) }, (out) => session.write(out));
      let result: ExecResult;
      for (;;) {
        try {
          if (this.wantsExtensionFiles && !engine.hasCatalog) await this.prepareExtensions();
          if (session.closed) {
            await this.afterBatch('I');
            return;
          }
          // A cancel reaches the batch from here on. statement_timeout counts from after a reopen the engine
          // may still be busy with (another stop's: Postgres has nothing like it, and a client's next statement
          // after its own timeout must not pay for it), its preparation included: that may wait in the engine
          // behind batches sent before it (pipelined ones), as a statement waits for a lock in Postgres.
          scheduler.startRun(session, 0);
          await engine.reopened();
          scheduler.timeRun(session, durationSettingMs(session.settings, 'statement_timeout'));
          await this.prepareEngine(batch.usesUnnamed);
          const detach = this.mayDetach(batch);
          const sent = engine.execStream(concatBytes(batch.parts), (chunk) => output.push(chunk), { owner: session, detached: detach });
          // What the batch does to the shared unnamed statement, noted as it is sent: the next owner's
          // batch may be sent before this one's output is back.
          if (batch.parsesUnnamed) engine.setUnnamedStatementOwner(session);
          else if (batch.end === 'query') engine.setUnnamedStatementOwner(null);
          if (detach) scheduler.detach(session);
          result = await sent;
          break;
        } catch (error) {
          if (error instanceof EngineRestartedError) {
            // It was queued behind a batch that was stopped and never ran: prepare the new engine and send it
            // again (in line again if we had let go of the engine).
            if (scheduler.owner !== session && !(await this.waitForEngine(batch.end, 'requeue'))) return;
            continue;
          }
          if (error instanceof EngineInterruptedError) {
            output.abandon();
            // A batch withdrawn before it ran did not parse the unnamed statement it was noted for.
            engine.forgetUnnamedStatementOf(session);
            // What completed before the stop existed; the restart's restorePrepared brings it back.
            this.statements.record(batch.changes, output.parseCompletes, output.closeCompletes);
            await this.afterInterrupt(error.fields, batch.end, ownSync);
            return;
          }
          this.options.log(`engine failure in session ${session.pid}: ${error instanceof Error ? error.message : String(error)}`);
          output.end();
          session.terminate({ severity: 'FATAL', code: 'XX000', message: error instanceof Error ? error.message : String(error) });
          return;
        } finally {
          scheduler.endRun(session);
        }
      }
      output.end();
      if (result.leftOpen) {
        // Cannot happen for what mayDetach lets through; if it does, the engine thread rolled it back so that
        // the batches behind it did not run inside it, and the client must not go on as if it were open.
        this.options.log(`session ${session.pid}: a pipelined batch left a transaction open; it was rolled back`);
        this.transactionStatus = 'I';
        session.terminate({
          severity: 'FATAL', code: 'XX000',
          message: 'ppg-dev ran this batch beside other clients\' batches expecting it to end its transaction, but it left one open; that transaction was rolled back',
        });
        return;
      }
      this.statements.record(batch.changes, output.parseCompletes, output.closeCompletes);
      if (ownSync) this.ownSyncFailed = output.hasError;
      if (batch.parsesUnnamed) this.statements.lastUnnamedParse = batch.parsesUnnamed;
      for (const effect of batch.effects) await this.applyEffects(effect, output.hasError);
      // No ReadyForQuery means the engine is still inside our extended batch, whatever ended it on our side:
      // after an error Postgres discards everything up to Sync, a Query or FunctionCall included. Releasing
      // the engine then would leave it discarding every other client's messages.
      await this.afterBatch(output.status);
    } finally {
      scheduler.endBatch(session);
    }
  }

  /**
   * The batch may be pipelined: the engine is handed on as soon as it is sent (SessionScheduler.detach).
   * Only from an idle session with nothing of its own to capture afterwards, and only a batch that ends
   * idle and changes no session state (Batch.pipelinable).
   */
  private mayDetach(batch: Batch): boolean {
    return batch.pipelinable === true && this.transactionStatus === 'I' && !this.midExtended && !this.skipUntilSync
      && !this.session.settingsDirty && this.engine.scheduler.owner === this.session;
  }

  /** Puts the client's own state in the engine: statements lost to a restart, settings, its unnamed statement. */
  private async prepareEngine(usesUnnamed: boolean): Promise<void> {
    const { engine, session } = this;
    if (!this.statements.isCurrent(engine.generation)) await this.restorePrepared();
    await switchTempObjects(engine, session, this.options.log);
    await applySessionSettings(engine, session, this.options.log);
    if (usesUnnamed && !engine.holdsUnnamedStatementOf(session) && this.statements.lastUnnamedParse) {
      // Another client replaced the shared unnamed statement since we parsed ours: parse it again.
      await engine.exec(this.statements.lastUnnamedParse);
    }
  }

  /** See signal-shortcut.ts: answered here while the engine serves someone else. */
  private answerSignal(batch: Batch, call: SignalCall, reply: Uint8Array): void {
    if (batch.parsesUnnamed) {
      // The engine never saw this Parse: a later Bind of the unnamed statement must parse it first.
      this.statements.lastUnnamedParse = batch.parsesUnnamed;
      this.engine.forgetUnnamedStatementOf(this.session);
    }
    this.session.write(reply);
    if (call.live) this.options.signalBackend(call.kind, call.pid);
    this.session.idle();
  }

  /**
   * A client that terminates itself gets the FATAL in place of its query's result, as from a Postgres
   * backend that stops at once (the client writes nothing more once it is ended); other signals go to
   * their target after the batch has written its answer.
   */
  private onBackendSignal(kind: BackendSignal, pid: number): void {
    if (kind === 'terminate' && pid === this.session.pid) this.session.terminate(ADMINISTRATOR_TERMINATION);
    else this.options.signalBackend(kind, pid);
  }

  /** See parse-beside.ts. Returns false if the engine was stopped meanwhile (the batch then waits in line). */
  private async parseBesideOwner(batch: Batch): Promise<boolean> {
    const { engine, session, statements } = this;
    // Claimed before the request: the owner's next batch, queued behind it, must parse its own again.
    if (batch.parsesUnnamed) engine.setUnnamedStatementOwner(session);
    const out = await runParseBeside(engine, concatBytes(batch.parts), settingsSwitchSql(engine.appliedSettings, session.settings), (f) => statements.clientText(f));
    if (!out) return false;
    session.write(concatBytes([...out.reply, readyForQuery(this.transactionStatus)]));
    if (batch.parsesUnnamed && !out.failed) statements.lastUnnamedParse = batch.parsesUnnamed;
    statements.record(batch.changes, out.parsed, out.closed);
    // Not the owner: the engine cannot be asked which statements a failed batch left (see applyEffects).
    for (const effect of batch.effects) await this.applyEffects(effect, false);
    return true;
  }

  /**
   * Our batch was stopped (cancel, statement_timeout) and the engine reopened without it. The client gets
   * the error as Postgres sends it; a transaction block it had open is gone, so an aborted one is made in
   * its place (the engine stays ours until the client's ROLLBACK, and Postgres' own 25P02 answers meanwhile).
   */
  private async afterInterrupt(fields: ErrorFields, end: BatchEnd, ownSync: boolean): Promise<void> {
    let status: TransactionStatus = 'I';
    if (this.transactionStatus !== 'I' && !this.session.closed) {
      try {
        const out = await this.engine.execQuery(`BEGIN; DO $ppg$BEGIN RAISE EXCEPTION 'canceled'; END$ppg$`);
        status = summarizeOutput(out).status ?? 'I';
      } catch {
        status = 'I';
      }
    }
    this.transactionStatus = status;
    this.midExtended = false;
    if (ownSync) this.ownSyncFailed = true;
    if (end === 'flush' && !ownSync) {
      this.skipUntilSync = true;
      this.session.write(errorResponse(fields));
    } else {
      this.session.write(concatBytes([errorResponse(fields), ...(ownSync ? [] : [readyForQuery(status)])]));
    }
    await this.afterBatch(status);
  }

  /** Keeps the engine or lets go (SessionScheduler.settle): only an idle session with no unfinished batch lets go. */
  private async afterBatch(status: TransactionStatus | null): Promise<void> {
    const { engine, session } = this;
    this.midExtended = status === null;
    if (status !== null) this.transactionStatus = status;
    if (!engine.scheduler.settle(session, this.transactionStatus, this.midExtended)) {
      if (session.settingsDirty && !session.closed) {
        try {
          await captureSessionSettings(engine, session);
        } catch (error) {
          this.options.log(`could not read back the settings of session ${session.pid}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      engine.scheduler.release(session);
      if (!session.closed) session.idle();
    } else if (!session.closed && this.transactionStatus !== 'I') session.idle();
  }

  /**
   * Tracks what a batch's SQL changed in the session. After an error, a PREPARE of the batch may not have
   * run (or failed), so the engine, which we own then, says which of its names exist.
   */
  private async applyEffects(effects: StatementEffects, failed: boolean): Promise<void> {
    if (effects.settings) this.session.settingsDirty = true;
    const prepared = failed && effects.prepared.length > 0
      ? dataRows(await this.engine.execQuery(SessionStatements.existingSql(effects.prepared))).map(([name]) => name ?? '')
      : effects.prepared;
    this.statements.recordSql(prepared, effects.deallocated);
    if (effects.prepared.length > 0) this.statements.used = true;
    for (const channel of effects.listen) this.channels.listen(channel);
    for (const channel of effects.unlisten) await this.channels.unlisten(channel);
  }

  /** After an engine restart: our named prepared statements, parsed again. */
  private async restorePrepared(): Promise<void> {
    const messages = this.statements.restoreMessages(this.engine.generation);
    if (messages) await this.engine.exec(messages);
  }

  /**
   * Gives the engine the extension files a batch that mentions extensions may need. A failure here is
   * only logged: Postgres then reports what is missing in its own words.
   */
  private async prepareExtensions(): Promise<void> {
    try {
      await this.engine.installCatalog();
    } catch (error) {
      if (error instanceof EngineRestartedError) throw error;
      this.options.log(`could not load extension files for "${this.engine.name}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
