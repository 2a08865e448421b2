import type { PGlite } from '@electric-sql/pglite';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PpgError } from '../ppg-error.js';
import { dataRows, parameterStatusName, splitFrames, FRAME_TYPE } from './backend-output.js';
import { internalDatabaseName } from './data-template.js';
import { EngineExtensions } from './engine-extensions.js';
import { bundleTarball } from './extension-catalog.js';
import { EngineQueue } from './engine-queue.js';
import { proxySettingStartParams } from './proxy-settings.js';
import { queryMessage, readCString, startupMessage } from './wire-messages.js';

/**
 * One PGlite (one database) and the state the scheduler keeps about it. PGlite is a single backend session:
 * `exec` runs synchronously and blocks the event loop until the batch is done.
 */

// Small memory settings: idle RSS drops from ~500 MB to under 200 MB (WIRE-NOTES §3.6).
const LOW_MEMORY_PARAMS = [
  '-c', 'shared_buffers=16MB',
  '-c', 'temp_buffers=1MB',
  '-c', 'work_mem=4MB',
  '-c', 'maintenance_work_mem=16MB',
  '-c', 'wal_buffers=1MB',
];

const SUPPORTED_PG_MAJOR = '18';

/**
 * Extensions whose library must be in shared_preload_libraries when Postgres starts (pg_stat_statements
 * does nothing when loaded later). Only these make a database's open slower: see `Engine.open`.
 */
const PRELOADED_EXTENSIONS = new Set(['pg_stat_statements']);

type PGliteClass = typeof import('@electric-sql/pglite').PGlite;

async function createPGlite(PGlite: PGliteClass, dataDir: string, database: string, preload: string[]): Promise<PGlite> {
  const extensions: Record<string, { name: string; setup: () => Promise<{ bundlePath: URL }> }> = {};
  for (const name of preload) {
    const bundlePath = await bundleTarball(name);
    extensions[name] = { name, setup: async () => ({ bundlePath }) };
  }
  return PGlite.create({
    dataDir,
    database,
    extensions,
    // shared_preload_libraries goes on the command line: PGlite's own `sharedPreloadLibraries` route
    // rewrites postgresql.conf, which lives in the persistent data directory.
    startParams: [
      ...PGlite.defaultStartParams, ...LOW_MEMORY_PARAMS, ...proxySettingStartParams(),
      ...(preload.length > 0 ? ['-c', `shared_preload_libraries=${preload.join(',')}`] : []),
    ],
  });
}

/** Extensions created in the database (pg_extension), without the built-in plpgsql. */
function installedExtensions(db: PGlite): string[] {
  const out = db.execProtocolRawSync(queryMessage("SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'"));
  return dataRows(out).map((row) => row[0]!);
}

export class Engine<S> {
  readonly queue = new EngineQueue<S>();
  readonly sessions = new Set<S>();
  /** Session-level settings (lower-case name → value) currently applied in the engine, beyond its defaults. */
  appliedSettings = new Map<string, string>();
  /** A batch is running (execStream has not returned yet). */
  streaming = false;
  /** Whose settings are applied; null = defaults (or a departed session's, as `appliedSettings` says). */
  settingsOwner: S | null = null;
  /** The session whose unnamed prepared statement the engine holds. */
  unnamedStatementOwner: S | null = null;
  /** Channels the engine LISTENs on, with the sessions that asked. */
  readonly listeners = new Map<string, Set<S>>();
  private dead: Error | null = null;

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    private readonly db: PGlite,
    /** ParameterStatus values PGlite reports at startup, in its order. */
    readonly parameterStatus: ReadonlyMap<string, string>,
    /** Extension files in this PGlite's filesystem; see engine-extensions.ts. */
    readonly extensions: EngineExtensions,
  ) {}

  /**
   * Opens an existing data directory. Fails with PpgError `DATA_DIR_INCOMPATIBLE` for other PG majors.
   * The extensions the database has (pg_extension is the record; no manifest that could drift from it)
   * get their files before any client runs a query. A database with pg_stat_statements is opened twice:
   * the first open finds it, the second starts Postgres with its library preloaded.
   */
  static async open<S>(name: string, dataDir: string): Promise<Engine<S>> {
    const version = (await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim();
    if (version !== SUPPORTED_PG_MAJOR) {
      throw new PpgError('DATA_DIR_INCOMPATIBLE', `the data directory ${dataDir} was made by PostgreSQL ${version}; this PGlite runs PostgreSQL ${SUPPORTED_PG_MAJOR}`, {
        hint: 'dump it with the ppg-dev version that made it, or remove the instance and start fresh',
      });
    }
    const { PGlite } = await import('@electric-sql/pglite');
    const database = await internalDatabaseName(dataDir);
    let db = await createPGlite(PGlite, dataDir, database, []);
    let installed = installedExtensions(db);
    const preload = installed.filter((e) => PRELOADED_EXTENSIONS.has(e));
    if (preload.length > 0) {
      await db.close();
      db = await createPGlite(PGlite, dataDir, database, preload);
      installed = installedExtensions(db);
    }
    const extensions = new EngineExtensions(db);
    extensions.markInstalled(preload);
    try {
      if (installed.length > 0) await extensions.install(installed);
    } catch (error) {
      await db.close();
      throw error;
    }
    // A startup packet makes PGlite report GUC changes (ParameterStatus) like a normal backend, and gives
    // us the parameter set every client receives at connect.
    const out = db.execProtocolRawSync(startupMessage({ user: 'postgres', database }));
    const params = new Map<string, string>();
    for (const f of splitFrames(out)) {
      if (f.type !== FRAME_TYPE.S) continue;
      const key = parameterStatusName(f.bytes);
      params.set(key, readCString(f.bytes, 5 + Buffer.byteLength(key) + 1).value);
    }
    return new Engine<S>(name, dataDir, db, params, extensions);
  }

  get isDead(): boolean {
    return this.dead !== null;
  }

  /** Runs raw protocol bytes through PGlite and returns all of its output. */
  exec(bytes: Uint8Array): Uint8Array {
    if (this.dead) throw this.dead;
    try {
      return this.db.execProtocolRawSync(bytes);
    } catch (error) {
      throw this.markDead(error);
    }
  }

  /**
   * Runs protocol bytes and hands PGlite's output to `onChunk` as it is produced (synchronously, in order).
   * Rejects if PGlite fails; the engine is then dead.
   */
  async execStream(bytes: Uint8Array, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    if (this.dead) throw this.dead;
    this.streaming = true;
    try {
      await this.db.execProtocolRawStream(bytes, { syncToFs: false, onRawData: onChunk });
    } catch (error) {
      throw this.markDead(error);
    } finally {
      this.streaming = false;
    }
  }

  private markDead(error: unknown): Error {
    this.dead ??= new PpgError('ENGINE_DEAD', `the database engine for "${this.name}" stopped: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'restart the server; committed data is recovered from the WAL',
      cause: error,
    });
    return this.dead;
  }

  /** Runs one simple-protocol query for the server's own purposes and returns the raw output. */
  execQuery(sql: string): Uint8Array {
    return this.exec(queryMessage(sql));
  }

  isInTransaction(): boolean {
    return !this.dead && this.db.isInTransaction();
  }

  /** Rolls back an open transaction and closes PGlite (shutdown checkpoint). Idempotent. */
  async close(): Promise<void> {
    if (this.db.closed) return;
    try {
      if (this.isInTransaction()) this.execQuery('ROLLBACK');
    } catch {
      // A dead engine cannot roll back; closing still releases it.
    }
    await this.db.close();
  }
}
