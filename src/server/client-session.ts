import type { Socket } from 'node:net';
import type { BackendSignal } from './backend-functions.js';
import { BatchRunner, type BatchSession } from './batch-runner.js';
import { CopyInBuffer } from './copy-in.js';
import type { Engine } from './engine.js';
import { FrameLengthError, FrameReader } from './frame-reader.js';
import { SessionChannels } from './listen-routing.js';
import { PendingBatch, plainBatch, type BatchEnd } from './pending-batch.js';
import { cleanUpAfterClose } from './session-cleanup.js';
import { SessionStatements } from './session-statements.js';
import { durationSettingMs, settingsFromStartup } from './session-settings.js';
import type { ClientActivity } from './session-activity.js';
import { rewriteQueryText, type RewriteContext } from './statement-rewrite.js';
import {
  backendKeyData, concatBytes, errorResponse, FRONTEND, parameterStatus, queryMessage, readCString, readyForQuery,
  SYNC_MESSAGE, type ErrorFields,
} from './wire-messages.js';

/**
 * One client connection after authentication: it reads the client's messages in order, gathers them into
 * batches (pending-batch.ts) and hands each to its BatchRunner, which runs it on the engine the client
 * shares with others. What Postgres keeps per session stays apart per client: prepared statement names
 * (session-statements.ts), settings (session-settings.ts), LISTEN channels (listen-routing.ts), COPY data
 * (copy-in.ts). The session also keeps the idle timeouts and ends the connection.
 */
export interface SessionHost {
  log(line: string): void;
  /** How long a client may wait for an engine held by another client's open transaction. */
  lockWaitTimeoutMs: number;
  /** CREATE/DROP DATABASE; resolves with the reply frames (without ReadyForQuery). */
  databaseCommand(session: ClientSession, effect: DatabaseCommand): Promise<Uint8Array>;
  onClose(session: ClientSession): void;
  /** The pids of every connected client (pg_cancel_backend/pg_terminate_backend answer false for others). */
  livePids(): number[];
  /** Every connected client's pg_stat_activity row, `callerPid`'s as running. */
  activity(callerPid: number): ClientActivity[];
  signalBackend(kind: BackendSignal, pid: number): void;
}

export type DatabaseCommand =
  | { kind: 'create-database'; name: string; template?: string }
  | { kind: 'drop-database'; name: string; ifExists: boolean; force: boolean };

const EXTENDED = new Set<number>([FRONTEND.Parse, FRONTEND.Bind, FRONTEND.Describe, FRONTEND.Execute, FRONTEND.Close]);

export class ClientSession implements BatchSession {
  settings: Map<string, string>;
  settingsDirty = false;
  closed = false;

  private readonly reader = new FrameReader();
  private readonly inbox: Uint8Array[] = [];
  private inboxHead = 0;
  private draining = false;
  private readonly statements: SessionStatements;
  private readonly channels: SessionChannels<ClientSession>;
  private readonly rewriteContext: RewriteContext;
  private readonly pending: PendingBatch;
  private readonly runner: BatchRunner<ClientSession>;
  private copyIn: CopyInBuffer | null = null;
  private readonly startedAt = new Date();
  private lastQuery = '';
  /** Epoch ms: a number, as every statement sets it and only pg_stat_activity reads it. */
  private lastQueryAt: number | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    readonly engine: Engine<ClientSession>,
    readonly startupParams: Record<string, string>,
    readonly pid: number,
    readonly secret: number,
    private readonly host: SessionHost,
  ) {
    this.settings = settingsFromStartup(startupParams, engine.parameterStatus);
    this.statements = new SessionStatements(pid, engine.generation);
    this.rewriteContext = {
      namePrefix: this.statements.prefix,
      statementNames: this.statements.names,
      hasNeighbours: () => engine.sessionCount > 1,
      backendPid: pid,
      livePids: () => host.livePids(),
      activity: () => host.activity(pid),
      noteQuery: (sql) => {
        this.lastQuery = sql;
        this.lastQueryAt = Date.now();
      },
    };
    this.pending = new PendingBatch(this.statements, this.rewriteContext);
    this.channels = new SessionChannels(engine, this, pid);
    this.runner = new BatchRunner(this, engine, this.statements, this.channels, { log: host.log, lockWaitTimeoutMs: host.lockWaitTimeoutMs, signalBackend: (kind, target) => host.signalBackend(kind, target) });
    engine.addSession(this);
  }

  /** This client's pg_stat_activity row (session-activity.ts). */
  activity(running: boolean): ClientActivity {
    const status = this.runner.status;
    const address = this.socket.remoteAddress?.replace(/^::ffff:/, '') ?? null;
    return {
      pid: this.pid, usename: this.startupParams.user ?? '', datname: this.engine.name,
      application_name: this.settings.get('application_name') ?? '', client_addr: address, client_port: address ? this.socket.remotePort ?? null : -1,
      backend_start: this.startedAt.toISOString(), xact_start: null, query_start: this.lastQueryAt === null ? null : new Date(this.lastQueryAt).toISOString(), state_change: null,
      state: running || this.engine.scheduler.isRunning(this) ? 'active' : status === 'T' ? 'idle in transaction' : status === 'E' ? 'idle in transaction (aborted)' : 'idle',
      query: this.lastQuery, backend_type: 'client backend',
    };
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
    this.idle();
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

  /** Handles the client's messages one at a time, each after the previous one's batch is done. */
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
    if (this.runner.discarding) {
      if (type === FRONTEND.Sync) {
        this.runner.stopDiscarding();
        return this.endBatch(f, 'sync');
      }
      if (type === FRONTEND.Terminate) this.close();
      return;
    }
    if (EXTENDED.has(type)) return this.pending.addExtended(f);
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

  private handleQuery(f: Uint8Array): Promise<void> | void {
    const sql = readCString(f, 5).value;
    const rewrite = rewriteQueryText(sql, this.rewriteContext);
    if (rewrite.error) return this.runner.replyError(rewrite.error, 'query');
    const effects = rewrite.effects;
    const message = rewrite.sql === sql ? f : queryMessage(rewrite.sql);
    if (effects.database) {
      if (this.runner.status === 'I' && this.pending.isEmpty) return this.runDatabaseCommand(effects.database);
      // Inside a transaction block PGlite itself gives the exact error (25001).
    }
    if (effects.copyFromStdin) return this.startCopyIn(message, effects.copyCsv === true);
    if (!this.pending.isEmpty || this.runner.inExtendedBatch) return this.queryInsideExtendedBatch(f);
    this.pending.addQuery(message, effects, rewrite.sql);
    return this.runner.run(this.pending.take('query'));
  }

  /** See BatchRunner.syncForQuery: the extended batch is ended by a Sync of ours, then the Query runs (or is discarded). */
  private async queryInsideExtendedBatch(f: Uint8Array): Promise<void> {
    const mayRun = await this.runner.syncForQuery(this.pending.take('flush', [SYNC_MESSAGE], true));
    if (mayRun && !this.closed) return this.handleQuery(f);
  }

  private endBatch(terminator: Uint8Array, end: BatchEnd): Promise<void> | void {
    const nothingOfOurs = this.pending.isEmpty && !this.runner.inExtendedBatch && this.engine.scheduler.owner !== this;
    if (nothingOfOurs && end === 'sync' && terminator[0] === FRONTEND.Sync) {
      // Nothing of ours is in the engine: answer Sync without queueing for it.
      this.write(readyForQuery(this.runner.status));
      return;
    }
    return this.runner.run(this.pending.take(end, [terminator]));
  }

  private async startCopyIn(query: Uint8Array, csv: boolean): Promise<void> {
    if (await this.runner.startCopyIn(query)) this.copyIn = new CopyInBuffer(query, csv);
  }

  private handleCopyMessage(f: Uint8Array): Promise<void> | void {
    const parts = this.copyIn!.receive(f);
    if (!parts) return;
    this.copyIn = null;
    return this.runner.run(plainBatch(parts, 'query', { endsCopy: true }));
  }

  private async runDatabaseCommand(command: DatabaseCommand): Promise<void> {
    const reply = await this.host.databaseCommand(this, command);
    this.write(concatBytes([reply, readyForQuery(this.runner.status)]));
  }

  /** Times the idle timeouts Postgres runs while it waits for the client (see proxy-settings.ts for why here). */
  idle(): void {
    this.clearIdleTimer();
    const inTransaction = this.runner.status !== 'I';
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
    // After terminate's final message nothing more goes out (a batch may still be streaming its output).
    if (!this.socket.destroyed && !this.socket.writableEnded && bytes.length > 0) this.socket.write(bytes);
  }

  /** Sends a final error and closes the connection. */
  terminate(fields: ErrorFields): void {
    if (!this.socket.destroyed) this.socket.end(errorResponse(fields));
    this.close();
  }

  /** Ends the connection and gives back everything the session holds on the engine. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearIdleTimer();
    this.copyIn = null;
    this.pending.clear();
    if (this.socket.writableEnded) {
      // A final message is on its way (terminate): let it flush, but do not wait forever for the peer.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else if (!this.socket.destroyed) this.socket.destroy();
    // Unlike Postgres, which lets a statement run on after its client is gone, a statement nobody awaits
    // would hold up every other client of the engine: it is cancelled (then stopped after the grace).
    if (this.engine.scheduler.isRunning(this)) this.engine.scheduler.cancel(this);
    this.engine.scheduler.leave(this);
    this.engine.removeSession(this);
    this.host.onClose(this);
    const runner = this.runner;
    cleanUpAfterClose(this.engine, {
      session: this, pid: this.pid, statements: this.statements, channels: this.channels, log: this.host.log,
      state: () => ({ status: runner.status, inExtendedBatch: runner.inExtendedBatch }),
    });
  }
}
