import { Worker } from 'node:worker_threads';
import { errorCodeOr } from '../error-codes.js';
import { PpgError } from '../ppg-error.js';
import { EngineScheduler } from './engine-scheduler.js';
import { SLOT, type EngineReply, type EngineRequest, type EngineWorkerData } from './engine-protocol.js';
import type { RoleRecord } from './engine-roles.js';
import { engineWorkerUrl, sharedWasmModule } from './engine-worker-url.js';
import { LongBatchWatch } from './long-batch-watch.js';
import { quoteIdent } from './sql-statements.js';
import { ADMINISTRATOR_TERMINATION, concatBytes, queryMessage, type ErrorFields } from './wire-messages.js';

/**
 * One database: its PGlite, which runs in a worker thread (engine-worker.ts), and the state the scheduler
 * keeps about it. PGlite is a single backend session and cannot be interrupted from outside; since a
 * statement runs in the worker, the main thread stays free while it runs, and `interrupt` stops it by
 * ending the worker and opening the same data directory in a new one. Committed data survives (PGlite
 * writes through to the data directory; reopening recovers from the WAL); the scheduler's rule of one
 * open transaction per database means only the interrupted client's uncommitted work is lost.
 */

/** The running batch was stopped by `interrupt`; `fields` is the error its client gets. */
export class EngineInterruptedError extends Error {
  constructor(readonly fields: ErrorFields) {
    super(fields.message);
  }
}

/**
 * The request was queued in the engine thread behind a batch that `interrupt` stopped, and never ran: the
 * engine was reopened without it. Its caller may prepare the engine again and send it anew.
 */
export class EngineRestartedError extends Error {
  constructor(name: string) {
    super(`the database engine for "${name}" restarted before this request ran`);
  }
}

/** What a batch sent by `execStream` left. */
export interface ExecResult {
  /** A `detached` batch left a transaction or an extended batch open; the engine thread rolled it back. */
  leftOpen: boolean;
}

interface PendingRequest<S> {
  kind: EngineRequest['kind'];
  /** The session whose batch this is (execStream's `owner`): what `interrupt` aims at. */
  owner?: S;
  /** `interrupt` was asked for while requests ahead of this one still ran: stop it once it is at the head. */
  interruptAtStart?: ErrorFields;
  /** Its state in `slots` (exec requests only, while fewer than SLOT_COUNT are pending). */
  slot?: number;
  /** Withdrawn before it started and answered already: its `skipped` reply only keeps the order. */
  withdrawn?: boolean;
  resolve(reply: EngineReply): void;
  reject(error: Error): void;
  onChunk?: (chunk: Uint8Array) => void;
  chunks?: Uint8Array[];
}

interface StartedWorker {
  worker: Worker;
  parameterStatus: ReadonlyMap<string, string>;
  roles: RoleRecord[];
}

const ROLLBACK = queryMessage('ROLLBACK');

/** A request made while the engine restarts: sent once it is up, or refused unsent by `interrupt`. */
interface QueuedRequest<S> {
  owner: S | undefined;
  send(): void;
  reject(error: Error): void;
}
/** Request slots (see EngineWorkerData.slots): far more than the requests one engine ever has pending. */
const SLOT_COUNT = 4096;
const NOBODY: ReadonlySet<never> = new Set();

export class Engine<S> {
  /** Who runs when: one owner at a time, waits, timeouts and cancels (engine-scheduler.ts). */
  readonly scheduler: EngineScheduler<S> = new EngineScheduler<S>((fields, session) => this.interrupt(fields, session), {
    stopLikely: () => this.prepareRestart(),
    runEnded: (session) => this.stopsDue.delete(session),
  });
  private readonly sessions = new Set<S>();
  /** Session-level settings (lower-case name → value) currently applied in the engine, beyond its defaults. */
  private applied: ReadonlyMap<string, string> = new Map();
  /** Whose settings are applied; null = defaults (or a departed session's, as `applied` says). */
  private settingsOwner: S | null = null;
  /** The session whose unnamed prepared statement the engine holds. */
  private unnamedOwner: S | null = null;
  /** The session whose temporary objects are in place under their own names (temp-objects.ts). */
  private tempOwner: S | null = null;
  /** Channels the engine LISTENs on, with the sessions that asked. */
  private readonly listeners = new Map<string, Set<S>>();
  private restarts = 0;
  private catalogInstalled = false;
  private inTransaction = false;
  private pending: PendingRequest<S>[] = [];
  private nextSlot = 0;
  private restarting: Promise<void> | null = null;
  /** A thread booted ahead of a likely restart (prepareRestart, or a long batch: see LongBatchWatch). */
  private spare: Promise<Worker> | null = null;
  /** The head request (LongBatchWatch serial) the spare was booted beside, until that request ends. */
  private spareFor: number | null = null;
  private readonly longBatches = new LongBatchWatch(LONG_BATCH_MS, (head) => this.bootSpareBeside(head));
  /** Requests made while restarting, sent in the order they were made once the new worker is up. */
  private afterRestart: QueuedRequest<S>[] = [];
  /**
   * Stops that fell due while nothing of their session's run was in the engine (it was between requests):
   * the run's next request is refused instead of sent. The scheduler's `runEnded` drops what is unspent.
   */
  private readonly stopsDue = new Map<S, ErrorFields>();
  private dead: Error | null = null;
  private closing = false;
  private roles = new Map<string, RoleRecord>();

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    private worker: Worker,
    /** ParameterStatus values PGlite reports at startup, in its order. */
    readonly parameterStatus: ReadonlyMap<string, string>,
    /** Shared with every worker of this engine (EngineWorkerData.slots). */
    private readonly slots: Int32Array,
  ) {
    this.attach(worker);
  }

  /**
   * Opens an existing data directory in a new worker, or in the one `prepareEngine` started for it.
   * Fails with PpgError `DATA_DIR_INCOMPATIBLE` for other PG majors.
   */
  static async open<S>(name: string, dataDir: string): Promise<Engine<S>> {
    const prepared = takePrepared(dataDir);
    const slots = prepared?.slots ?? newSlots();
    const started = await startWorker(dataDir, slots, prepared?.worker.then((w) => {
      w.ref();
      return w;
    }));
    const engine = new Engine<S>(name, dataDir, started.worker, started.parameterStatus, slots);
    engine.setRoles(started.roles);
    return engine;
  }

  /** The role as the database last reported it (committed state), without asking the engine. */
  role(name: string): RoleRecord | undefined {
    return this.roles.get(name);
  }

  private setRoles(roles: RoleRecord[]): void {
    this.roles = new Map(roles.map((r) => [r.name, r]));
  }

  // ---- the sessions sharing this engine, and what of theirs it holds ----

  addSession(session: S): void {
    this.sessions.add(session);
  }

  removeSession(session: S): void {
    this.sessions.delete(session);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Counts restarts. A session whose prepared statements were made in an earlier generation parses them
   * again before its next batch.
   */
  get generation(): number {
    return this.restarts;
  }

  /** Session-level settings now applied in the engine, beyond its defaults. */
  get appliedSettings(): ReadonlyMap<string, string> {
    return this.applied;
  }

  /** True if the applied settings are `session`'s. */
  hasSettingsOf(session: S): boolean {
    return this.settingsOwner === session;
  }

  /** Records that the engine now runs with `settings`, which are `session`'s. */
  recordSettings(session: S, settings: ReadonlyMap<string, string>): void {
    this.applied = new Map(settings);
    this.settingsOwner = session;
  }

  /** A departed session's settings stay applied (until the next switch) but are nobody's. */
  forgetSettingsOf(session: S): void {
    if (this.settingsOwner === session) this.settingsOwner = null;
  }

  /** True if the engine's unnamed prepared statement is `session`'s. */
  holdsUnnamedStatementOf(session: S): boolean {
    return this.unnamedOwner === session;
  }

  /** Whose unnamed statement the engine now holds (null: nobody's, e.g. a simple query replaced it). */
  setUnnamedStatementOwner(session: S | null): void {
    this.unnamedOwner = session;
  }

  forgetUnnamedStatementOf(session: S): void {
    if (this.unnamedOwner === session) this.unnamedOwner = null;
  }

  /** Whose temporary objects are in place (null: nobody's; a restart loses them all). */
  get tempObjectsOwner(): S | null {
    return this.tempOwner;
  }

  setTempObjectsOwner(session: S | null): void {
    this.tempOwner = session;
  }

  /** `session` listens on `channel` (the engine LISTENs on the union of its sessions' channels). */
  addListener(channel: string, session: S): void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(session);
  }

  /** `session` stops listening on `channel`; the channel is dropped when nobody listens any more. */
  removeListener(channel: string, session: S): void {
    const set = this.listeners.get(channel);
    set?.delete(session);
    if (!set || set.size === 0) this.listeners.delete(channel);
  }

  listenersOf(channel: string): ReadonlySet<S> {
    return this.listeners.get(channel) ?? NOBODY;
  }

  /** The channels some session still listens on. */
  listenedChannels(): string[] {
    return [...this.listeners.keys()];
  }

  get isDead(): boolean {
    return this.dead !== null;
  }

  /** True once every shipped extension's files are in the engine (see engine-extensions.ts). */
  get hasCatalog(): boolean {
    return this.catalogInstalled;
  }

  /** Runs raw protocol bytes and resolves with all of PGlite's output. */
  async exec(bytes: Uint8Array): Promise<Uint8Array> {
    const reply = await this.request({ kind: 'exec', bytes });
    return reply.kind === 'done' ? reply.data : new Uint8Array(0);
  }

  /**
   * Runs protocol bytes and hands PGlite's output to `onChunk` as it arrives, in order. The request is sent
   * before this returns unless the engine is restarting. `owner` is the session `interrupt` aims at;
   * `detached`: other batches may be sent behind it before it ends (see ExecResult). Rejects with
   * EngineInterruptedError if `interrupt` stopped it, EngineRestartedError if it was dropped unrun by an
   * interrupt of a batch ahead of it, or ENGINE_DEAD if PGlite failed.
   */
  async execStream(bytes: Uint8Array, onChunk: (chunk: Uint8Array) => void, options: { owner?: S; detached?: boolean } = {}): Promise<ExecResult> {
    const request: EngineRequest = options.detached ? { kind: 'exec', bytes, detached: true } : { kind: 'exec', bytes };
    const reply = await this.request(request, onChunk, options.owner);
    return { leftOpen: reply.kind === 'done' && reply.leftOpen === true };
  }

  /** Runs one simple-protocol query for the server's own purposes and returns the raw output. */
  execQuery(sql: string): Promise<Uint8Array> {
    return this.exec(queryMessage(sql));
  }

  /** Writes every shipped extension's files into the engine. Idempotent. */
  async installCatalog(): Promise<void> {
    if (this.catalogInstalled) return;
    await this.request({ kind: 'catalog' });
    this.catalogInstalled = true;
  }

  /** Resolves once the engine is not reopening after a stop (at once if it is not). */
  async reopened(): Promise<void> {
    while (this.restarting) await this.restarting;
  }

  /** Whether PGlite was inside a transaction after the last batch. */
  isInTransaction(): boolean {
    return !this.dead && this.inTransaction;
  }

  /**
   * Stops `session`'s batch (without `session`: whatever runs). A batch still queued behind others in the
   * worker is withdrawn (the worker skips it) and nothing else changes. A running one is stopped by ending
   * the worker and reopening the data directory in a new one; if the worker started it while replies to
   * the batches ahead are still on their way, that happens once they are in. The batch's caller gets
   * EngineInterruptedError(fields); requests queued behind a stopped batch get EngineRestartedError (they
   * never ran; their callers send them again); requests made meanwhile wait for the reopen. The new engine has default settings, no prepared statements and no temporary
   * objects; LISTEN channels are restored here, the rest by each session (`generation`). If nothing of
   * `session`'s is in the engine, whether it waits for a reopen or is between two requests of its batch,
   * its next request is refused the same way: a stop must not be lost because it fell due at such a moment.
   * Returns false if nothing can be stopped (no `session` and nothing running, or the engine is closing or dead).
   */
  interrupt(fields: ErrorFields, session?: S): boolean {
    if (this.dead || this.closing || (this.restarting && session === undefined)) return false;
    if (session !== undefined && this.withdrawQueued(session, fields)) return true;
    const index = session === undefined ? (this.pending.length > 0 ? 0 : -1) : this.pending.findIndex((r) => r.owner === session && !r.withdrawn);
    if (index < 0) {
      if (session === undefined) return false;
      this.stopsDue.set(session, fields);
      return true;
    }
    if (index > 0) {
      const request = this.pending[index]!;
      if (request.slot !== undefined && Atomics.compareExchange(this.slots, request.slot, SLOT.QUEUED, SLOT.SKIP) === SLOT.QUEUED) {
        // Not started: the worker will skip it, and nothing else needs to stop.
        request.withdrawn = true;
        request.reject(new EngineInterruptedError(fields));
        return true;
      }
      request.interruptAtStart ??= fields;
      return true;
    }
    this.stopHead(fields);
    return true;
  }

  /** Refuses `session`'s requests that wait for a reopen, unsent; false if it has none. */
  private withdrawQueued(session: S, fields: ErrorFields): boolean {
    const mine = this.afterRestart.filter((r) => r.owner === session);
    if (mine.length === 0) return false;
    this.afterRestart = this.afterRestart.filter((r) => r.owner !== session);
    for (const request of mine) request.reject(new EngineInterruptedError(fields));
    return true;
  }

  /** Ends the worker under the request at the head of the queue (see `interrupt`). */
  private stopHead(fields: ErrorFields): void {
    const old = this.worker;
    const interrupted = this.takePending();
    this.detach(old);
    // The new engine's state, set now: a batch queued from here on must see that it needs to restore.
    this.applied = new Map();
    this.settingsOwner = null;
    this.unnamedOwner = null;
    this.tempOwner = null;
    this.catalogInstalled = false;
    this.inTransaction = false;
    this.restarts++;
    this.restarting = this.restart(old).finally(() => {
      this.restarting = null;
      const queued = this.afterRestart;
      this.afterRestart = [];
      for (const request of queued) request.send();
    });
    const [head, ...behind] = interrupted;
    head?.reject(new EngineInterruptedError(fields));
    // A request whose own interrupt was pending is answered as stopped; the others are sent again.
    for (const request of behind) {
      if (!request.withdrawn) request.reject(request.interruptAtStart ? new EngineInterruptedError(request.interruptAtStart) : new EngineRestartedError(this.name));
    }
  }

  /**
   * A statement is likely to be stopped soon (a cancel's grace has begun): the thread that will replace
   * this one boots meanwhile, so the restart only has to open the data directory.
   */
  prepareRestart(): void {
    // A spare already booted beside a long batch ends with that batch instead.
    const spare = this.bootSpare();
    // The stop comes at the end of the grace or not at all: a spare still unused by then is ended (and so
    // is one that close finds).
    if (spare) this.endSpareLater(spare);
  }

  /** The head request has run for a while (LongBatchWatch): boots the spare now, kept until it ends. */
  private bootSpareBeside(head: number): void {
    if (this.pending[0]?.kind !== 'exec') return;
    if (this.bootSpare()) this.spareFor = head;
  }

  /** A new spare thread, or null when there is one already (or no restart can come). */
  private bootSpare(): Promise<Worker> | null {
    if (this.spare || this.closing || this.dead) return null;
    const spare = spawnWorker(this.dataDir, this.slots);
    spare.catch(() => undefined);
    this.spare = spare;
    return spare;
  }

  private endSpareLater(spare: Promise<Worker>): void {
    setTimeout(() => void endSpare(this.takeSpare(spare)), SPARE_LIFETIME_MS).unref();
  }

  /** The spare thread, now the caller's (only if it is `only`, when given). */
  private takeSpare(only?: Promise<Worker>): Promise<Worker> | undefined {
    const spare = this.spare ?? undefined;
    if (only !== undefined && spare !== only) return undefined;
    this.spare = null;
    this.spareFor = null;
    return spare;
  }

  /** Tests: whether a spare thread is booted or booting. */
  get hasSpare(): boolean {
    return this.spare !== null;
  }

  private async restart(old: Worker): Promise<void> {
    try {
      // The new thread boots while the old one is ended; it opens the data directory only after.
      const spawned = this.takeSpare() ?? spawnWorker(this.dataDir, this.slots);
      await old.terminate();
      const started = await startWorker(this.dataDir, this.slots, spawned);
      this.worker = started.worker;
      this.attach(started.worker);
      this.setRoles(started.roles);
      if (this.listeners.size > 0) {
        await this.send({ kind: 'exec', bytes: queryMessage([...this.listeners.keys()].map((c) => `LISTEN ${quoteIdent(c)}`).join('; ')) });
      }
    } catch (error) {
      this.markDead(error);
    }
  }

  /**
   * Rolls back an open transaction and closes PGlite (shutdown checkpoint), then ends the worker; later
   * requests fail. A batch still running is not waited for unless `finishRunning` (a shutdown must not
   * wait out a runaway statement): the worker is ended as by `interrupt`, and the next open recovers from
   * the WAL. Idempotent.
   */
  async close(options: { finishRunning?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.longBatches.stop();
    await this.restarting;
    await endSpare(this.takeSpare());
    if (this.pending.length > 0 && !options.finishRunning) {
      const interrupted = this.takePending();
      this.detach(this.worker);
      for (const request of interrupted) request.reject(new EngineInterruptedError(ADMINISTRATOR_TERMINATION));
      await this.worker.terminate();
      return;
    }
    try {
      if (!this.dead) await this.send({ kind: 'close', rollback: ROLLBACK }, undefined, true);
    } catch {
      // A dead engine cannot roll back or checkpoint; ending the worker still releases it.
    }
    this.detach(this.worker);
    await this.worker.terminate();
  }

  /**
   * As `close` (rollback, shutdown checkpoint), but the thread is kept for the next `Engine.open` of the same
   * data directory, which a reset or restore swaps meanwhile: it starts PGlite again as far as it goes
   * without the folder (see prepareEngine), warm, with no new thread to boot. An engine with a batch
   * running, restarting or dead is closed as by `close`.
   */
  async closeAndPrepare(): Promise<void> {
    if (this.closing) return;
    if (this.pending.length > 0 || this.restarting || this.dead) return this.close();
    this.closing = true;
    this.longBatches.stop();
    await endSpare(this.takeSpare());
    const worker = this.worker;
    this.detach(worker);
    const reply = await replyOf(worker, { kind: 'close', rollback: ROLLBACK, prepare: true }, 'closing').catch(() => null);
    if (reply?.kind !== 'closed') {
      await worker.terminate();
      return;
    }
    adoptPrepared(this.dataDir, this.slots, worker);
  }

  private request(message: EngineRequest, onChunk?: (chunk: Uint8Array) => void, batchOwner?: S): Promise<EngineReply> {
    // A request made while a session's batch holds the engine is that batch's (its settings switch, its
    // statements restored): `interrupt` of the batch reaches it too.
    const current = this.scheduler.owner;
    const owner = batchOwner ?? (current !== null && this.scheduler.isExecuting(current) ? current : undefined);
    const due = owner === undefined ? undefined : this.stopsDue.get(owner);
    if (due) {
      this.stopsDue.delete(owner!);
      return Promise.reject(new EngineInterruptedError(due));
    }
    if (!this.restarting) return this.send(message, onChunk, false, owner);
    // Strictly in order: a pipelined batch and the next owner's requests behind it must reach the new worker
    // as they were made.
    return new Promise((resolve, reject) => {
      this.afterRestart.push({ owner, reject, send: () => void this.send(message, onChunk, false, owner).then(resolve, reject) });
    });
  }

  private send(message: EngineRequest, onChunk?: (chunk: Uint8Array) => void, closing = false, owner?: S): Promise<EngineReply> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.closing && !closing) return Promise.reject(new PpgError('ENGINE_DEAD', `the database engine for "${this.name}" was closed`));
    return new Promise<EngineReply>((resolve, reject) => {
      const request: PendingRequest<S> = { kind: message.kind, owner, resolve, reject, onChunk, chunks: onChunk ? undefined : [] };
      this.pending.push(request);
      if (this.pending.length === 1) this.longBatches.headChanged(true);
      if (message.kind === 'exec') {
        if (this.pending.length < SLOT_COUNT) {
          request.slot = this.nextSlot;
          this.nextSlot = (this.nextSlot + 1) % SLOT_COUNT;
          Atomics.store(this.slots, request.slot, SLOT.QUEUED);
        }
        // A tight copy, moved rather than cloned: a frame is often a view into a much larger socket buffer,
        // all of which postMessage would clone; the caller keeps its bytes (a Parse is re-sent after a restart).
        const bytes = message.bytes.slice();
        this.worker.postMessage({ ...message, bytes, slot: request.slot } satisfies EngineRequest, [bytes.buffer]);
      } else this.worker.postMessage(message);
    });
  }

  private readonly onMessage = (reply: EngineReply): void => this.receive(reply);
  private readonly onError = (error: Error): void => this.fail(error);
  private readonly onExit = (code: number): void => {
    if (!this.closing) this.fail(new Error(`the engine thread exited (code ${code})`));
  };

  // Only our own listeners come off: Worker keeps internal ones (removeAllListeners stops its messages).
  private attach(worker: Worker): void {
    worker.on('message', this.onMessage);
    worker.on('error', this.onError);
    worker.on('exit', this.onExit);
  }

  private detach(worker: Worker): void {
    worker.off('message', this.onMessage);
    worker.off('error', this.onError);
    worker.off('exit', this.onExit);
  }

  private receive(reply: EngineReply): void {
    const head = this.pending[0];
    if (!head) return;
    if (reply.kind === 'chunk') {
      if (head.onChunk) head.onChunk(reply.data);
      else head.chunks!.push(reply.data);
      return;
    }
    this.pending.shift();
    // A long batch that ended by itself: its spare may still serve a stop of the next one for a moment.
    if (this.spare && this.spareFor === this.longBatches.head) {
      this.spareFor = null;
      this.endSpareLater(this.spare);
    }
    this.longBatches.headChanged(this.pending.length > 0);
    this.answer(head, reply);
    const next = this.pending[0];
    if (next?.interruptAtStart && !this.closing && !this.dead) this.stopHead(next.interruptAtStart);
  }

  private answer(head: PendingRequest<S>, reply: EngineReply): void {
    if (head.withdrawn) return;
    if (reply.kind === 'failed') {
      // PGlite failing in a batch leaves it unusable; a failed extension unpack does not.
      head.reject(head.kind === 'exec' ? this.markDead(new Error(reply.message)) : new PpgError(errorCodeOr(reply.code, 'ENGINE_REQUEST_FAILED'), reply.message, { hint: reply.hint }));
      return;
    }
    if (reply.kind === 'done') {
      this.inTransaction = reply.inTransaction;
      if (reply.roles) this.setRoles(reply.roles);
      if (head.onChunk) head.onChunk(reply.data);
      else if (head.chunks!.length > 0) {
        head.chunks!.push(reply.data);
        head.resolve({ ...reply, data: concatBytes(head.chunks!) });
        return;
      }
    }
    head.resolve(reply);
  }

  private fail(error: unknown): void {
    const dead = this.markDead(error);
    for (const request of this.takePending()) request.reject(dead);
  }

  /** The requests in the worker, which their callers will no longer get answers to from it. */
  private takePending(): PendingRequest<S>[] {
    const pending = this.pending;
    this.pending = [];
    this.longBatches.headChanged(false);
    return pending;
  }

  private markDead(error: unknown): Error {
    this.dead ??= new PpgError('ENGINE_DEAD', `the database engine for "${this.name}" stopped: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'restart the server; committed data is recovered from the WAL',
      cause: error,
    });
    return this.dead;
  }
}

/** An engine thread started before its database is opened (prepareEngine). */
interface PreparedEngine {
  slots: Int32Array;
  worker: Promise<Worker>;
  expiry: NodeJS.Timeout;
}

/** Threads started by prepareEngine, by data directory, until Engine.open takes them. */
const prepared = new Map<string, PreparedEngine>();

/** How long a prepared thread waits for its open before it is ended. */
const PREPARED_LIFETIME_MS = 30_000;

/**
 * Starts the engine thread for `dataDir` ahead of `Engine.open`, which takes it: the thread boots and
 * starts PGlite as far as it goes without the data directory (pglite-open.ts preparePGlite), which may be
 * replaced, or not be there yet, until the open. Used where the open is known to follow: after a reset or
 * restore swaps the folders (when the database had no open engine whose thread could be kept, see
 * Engine.closeAndPrepare). Costs a thread with PGlite's WASM memory (~45 MB resident) until the open,
 * or PREPARED_LIFETIME_MS. Does nothing if one is already prepared.
 */
export function prepareEngine(dataDir: string): void {
  if (prepared.has(dataDir)) return;
  const slots = newSlots();
  const worker = spawnWorker(dataDir, slots);
  worker.catch(() => undefined); // the open that takes it reports the failure
  keepPrepared(dataDir, slots, worker);
}

/** Keeps a closed engine's thread, preparing again (see Engine.closeAndPrepare), for the next open of `dataDir`. */
function adoptPrepared(dataDir: string, slots: Int32Array, worker: Worker): void {
  void endPrepared(dataDir);
  keepPrepared(dataDir, slots, Promise.resolve(worker));
}

function keepPrepared(dataDir: string, slots: Int32Array, starting: Promise<Worker>): void {
  const worker = starting.then((w) => {
    // Unreferenced until taken: an unused one never keeps a process alive. One that dies while it waits is
    // forgotten (the open then starts its own thread instead of waiting on a dead one).
    w.unref();
    w.on('error', () => undefined);
    w.once('exit', () => {
      if (prepared.get(dataDir)?.worker === worker) takePrepared(dataDir);
    });
    return w;
  });
  worker.catch(() => undefined);
  const expiry = setTimeout(() => void endPrepared(dataDir), PREPARED_LIFETIME_MS).unref();
  prepared.set(dataDir, { slots, worker, expiry });
}

/** Ends the thread prepared for `dataDir`, if one waits (the server closes, or the folder goes). */
export async function endPrepared(dataDir: string): Promise<void> {
  await endSpare(takePrepared(dataDir)?.worker);
}

function takePrepared(dataDir: string): PreparedEngine | undefined {
  const entry = prepared.get(dataDir);
  if (!entry) return undefined;
  prepared.delete(dataDir);
  clearTimeout(entry.expiry);
  return entry;
}

/** How long a thread booted for a likely restart waits for it (the cancel grace is 100 ms). */
const SPARE_LIFETIME_MS = 1_000;
/** A batch running this long (to twice this) gets a spare thread booted beside it (LongBatchWatch). */
const LONG_BATCH_MS = 200;

async function endSpare(spare: Promise<Worker> | undefined): Promise<void> {
  await spare?.then((worker) => worker.terminate(), () => undefined);
}

/** The request slots an engine shares with each of its threads (EngineWorkerData.slots), all QUEUED. */
function newSlots(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOT_COUNT * 4));
}

/** A new engine thread, booting (loading its modules) until it is told to open the data directory. */
async function spawnWorker(dataDir: string, slots: Int32Array): Promise<Worker> {
  const workerData: EngineWorkerData = { dataDir, wasmModule: await sharedWasmModule(), slots };
  return new Worker(engineWorkerUrl(), { workerData });
}

/**
 * Sends `message` to a thread no Engine listens to (one opening or closing) and resolves with its one
 * reply; rejects if the thread fails or exits first. `doing` names the step in that error.
 */
async function replyOf(worker: Worker, message: EngineRequest, doing: string): Promise<EngineReply> {
  let onMessage: (reply: EngineReply) => void = () => undefined;
  let onError: (error: Error) => void = () => undefined;
  let onExit: (code: number) => void = () => undefined;
  try {
    return await new Promise<EngineReply>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`the engine thread exited while ${doing} (code ${code})`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(message);
    });
  } finally {
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  }
}

async function startWorker(dataDir: string, slots: Int32Array, spawned?: Promise<Worker>): Promise<StartedWorker> {
  const worker = await (spawned ?? spawnWorker(dataDir, slots));
  try {
    const reply = await replyOf(worker, { kind: 'open' }, 'opening');
    if (reply.kind === 'failed') throw new PpgError(errorCodeOr(reply.code, 'ENGINE_OPEN_FAILED'), reply.message, { hint: reply.hint });
    if (reply.kind !== 'opened') throw new Error(`unexpected reply from the engine thread: ${reply.kind}`);
    return { worker, parameterStatus: new Map(reply.parameterStatus), roles: reply.roles };
  } catch (error) {
    await worker.terminate();
    throw error;
  }
}
