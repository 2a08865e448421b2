import type { PGlite } from '@electric-sql/pglite';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PpgError } from '../ppg-error.js';
import { dataRows, parameterStatusName, splitFrames } from './backend-output.js';
import { BACKEND_FUNCTIONS_SQL } from './backend-functions.js';
import { internalDatabaseName } from './data-template.js';
import { EngineExtensions } from './engine-extensions.js';
import { GatedNodeFS } from './gated-node-fs.js';
import { ENGINE_USER } from './engine-roles.js';
import type { CompiledWasm } from './engine-protocol.js';
import { bundleTarball } from './extension-catalog.js';
import { proxySettingStartParams, SHOW_DURATION_FUNCTION_SQL } from './proxy-settings.js';
import { SESSION_ACTIVITY_FUNCTION_SQL } from './session-activity.js';
import { TEMP_OBJECTS_SQL } from './temp-objects.js';
import { BACKEND, queryMessage, readCString, startupMessage } from './wire-messages.js';

/** Opening one database's PGlite, with the settings and extension files it needs. Runs in the engine worker. */

// Small memory settings: idle RSS drops from ~500 MB to under 200 MB (WIRE-NOTES §3.6).
const LOW_MEMORY_PARAMS = [
  '-c', 'shared_buffers=16MB',
  '-c', 'temp_buffers=1MB',
  '-c', 'work_mem=4MB',
  '-c', 'maintenance_work_mem=16MB',
  '-c', 'wal_buffers=1MB',
];

/**
 * Two-phase commit, which Postgres leaves off by default but test suites and 2PC code turn on: a prepared
 * transaction outlives its client (and a restart), so any client can COMMIT/ROLLBACK PREPARED it.
 */
const PREPARED_TRANSACTION_PARAMS = ['-c', 'max_prepared_transactions=10'];

const SUPPORTED_PG_MAJOR = '18';

/**
 * Extensions whose library must be in shared_preload_libraries when Postgres starts (pg_stat_statements
 * does nothing when loaded later). Only these make a database's open slower: see `finishOpen`.
 */
const PRELOADED_EXTENSIONS = new Set(['pg_stat_statements']);

export interface OpenedPGlite {
  db: PGlite;
  /** ParameterStatus values PGlite reports at startup, in its order. */
  parameterStatus: Map<string, string>;
  extensions: EngineExtensions;
}

type PGliteClass = typeof import('@electric-sql/pglite').PGlite;

/**
 * `where`: the data directory, or a filesystem that mounts it later (see preparePGlite); `database` is
 * then the gate's business.
 */
async function createPGlite(
  PGlite: PGliteClass, where: { dataDir: string; database: string } | { fs: GatedNodeFS }, preload: string[], wasmModule: CompiledWasm | undefined,
): Promise<PGlite> {
  const extensions: Record<string, { name: string; setup: () => Promise<{ bundlePath: URL }> }> = {};
  for (const name of preload) {
    const bundlePath = await bundleTarball(name);
    extensions[name] = { name, setup: async () => ({ bundlePath }) };
  }
  return PGlite.create({
    ...where,
    extensions,
    ...(wasmModule ? { pgliteWasmModule: wasmModule as never } : {}),
    // shared_preload_libraries goes on the command line: PGlite's own `sharedPreloadLibraries` route
    // rewrites postgresql.conf, which lives in the persistent data directory.
    startParams: [
      ...PGlite.defaultStartParams, ...LOW_MEMORY_PARAMS, ...PREPARED_TRANSACTION_PARAMS, ...proxySettingStartParams(),
      ...(preload.length > 0 ? ['-c', `shared_preload_libraries=${preload.join(',')}`] : []),
    ],
  });
}

/** Extensions created in the database (pg_extension), without the built-in plpgsql. */
function installedExtensions(db: PGlite): string[] {
  const out = db.execProtocolRawSync(queryMessage("SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'"));
  return dataRows(out).map((row) => row[0]!);
}

/** A PGlite started up to the point where it needs its data directory (see preparePGlite). */
export interface PreparedPGlite {
  /**
   * Checks the data directory, lets Postgres start on it and sets up the engine's session. Fails with
   * PpgError `DATA_DIR_INCOMPATIBLE` for other PG majors. Call once.
   */
  open(): Promise<OpenedPGlite>;
}

/**
 * Starts a PGlite for `dataDir` now, as far as it goes without the data directory: PGlite's import, its
 * file bundle, the WASM instance (GatedNodeFS). The folder is read only once `open` is called, so it
 * may be replaced or appear until then. Not opened, the start is dropped with its thread.
 */
export function preparePGlite(dataDir: string, wasmModule?: CompiledWasm): PreparedPGlite {
  let admit: (database: string) => void = () => undefined;
  let refuse: (error: unknown) => void = () => undefined;
  const gate = new Promise<string>((resolve, reject) => {
    admit = resolve;
    refuse = reject;
  });
  const started = (async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    return { PGlite, db: await createPGlite(PGlite, { fs: new GatedNodeFS(dataDir, PGlite.paths.PGDATA, gate) }, [], wasmModule) };
  })();
  started.catch(() => undefined); // awaited by open
  return {
    async open() {
      let database: string;
      try {
        await assertSupportedVersion(dataDir);
        database = await internalDatabaseName(dataDir);
      } catch (error) {
        refuse(error);
        throw error;
      }
      admit(database);
      const { PGlite, db } = await started;
      return finishOpen(PGlite, db, dataDir, database, wasmModule);
    },
  };
}

async function assertSupportedVersion(dataDir: string): Promise<void> {
  const version = (await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim();
  if (version !== SUPPORTED_PG_MAJOR) {
    throw new PpgError('DATA_DIR_INCOMPATIBLE', `the data directory ${dataDir} was made by PostgreSQL ${version}; this PGlite runs PostgreSQL ${SUPPORTED_PG_MAJOR}`, {
      hint: 'dump it with the ppg-dev version that made it, or remove the instance and start fresh',
    });
  }
}

/**
 * The extensions the database has (pg_extension is the record; no manifest that could drift from it)
 * get their files before any client runs a query. A database with pg_stat_statements is opened twice:
 * the first open finds it, the second starts Postgres with its library preloaded.
 */
async function finishOpen(
  PGlite: PGliteClass, started: PGlite, dataDir: string, database: string, wasmModule: CompiledWasm | undefined,
): Promise<OpenedPGlite> {
  let db = started;
  let installed = installedExtensions(db);
  const preload = installed.filter((e) => PRELOADED_EXTENSIONS.has(e));
  if (preload.length > 0) {
    await db.close();
    db = await createPGlite(PGlite, { dataDir, database }, preload, wasmModule);
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
  const out = db.execProtocolRawSync(startupMessage({ user: ENGINE_USER, database }));
  const parameterStatus = new Map<string, string>();
  for (const f of splitFrames(out)) {
    if (f.type !== BACKEND.ParameterStatus) continue;
    const key = parameterStatusName(f.bytes);
    parameterStatus.set(key, readCString(f.bytes, 5 + Buffer.byteLength(key) + 1).value);
  }
  // After reading `out`: it is a view into WASM memory that the next call overwrites.
  installSessionFunctions(db);
  return { db, parameterStatus, extensions };
}

/**
 * The temporary functions the server's rewrites call (backend-functions.ts, proxy-settings.ts). They live
 * in the engine's one session: a client's DISCARD TEMP or DISCARD ALL drops them, so the engine thread
 * creates them again after such a batch (mayDropSessionFunctions).
 */
export function installSessionFunctions(db: PGlite): void {
  // Their bodies are ours and tested, so Postgres need not check them at each creation: that check was
  // most of the cost (measured per new PGlite: 124-140 ms with it, 29-73 ms without; 537 -> 155 ms in a
  // cold thread). SET LOCAL: a client's own check_function_bodies is back at COMMIT.
  db.execProtocolRawSync(queryMessage(
    `BEGIN; SET LOCAL check_function_bodies = off; ${BACKEND_FUNCTIONS_SQL}; ${SHOW_DURATION_FUNCTION_SQL}; ${TEMP_OBJECTS_SQL}; ${SESSION_ACTIVITY_FUNCTION_SQL}; COMMIT`,
  ));
}

const DISCARD = /\bdiscard\b/i;

/** The batch may have run DISCARD (cheap text check of the whole batch; a false alarm costs one re-create). */
export function mayDropSessionFunctions(bytes: Uint8Array): boolean {
  return DISCARD.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}
