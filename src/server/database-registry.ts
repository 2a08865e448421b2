import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createDataDirFrom, createDataDirFromTemplate, isDataDir } from './data-template.js';
import { endPrepared, Engine, prepareEngine } from './engine.js';
import { isStagingName } from '../state/staging.js';

/**
 * The databases of one server: one PGlite data directory each under `dataRoot`, opened on first use.
 * `CREATE DATABASE` / `DROP DATABASE` from clients land here, so a tool such as `prisma migrate dev` can
 * make and drop its shadow database on the same server.
 */
export const MAIN_DATABASE = 'postgres';

/** Names clients use for the main database (Prisma's local URLs say template1). */
const ALIASES: Record<string, string> = { template1: MAIN_DATABASE };

/** Folder name for a database name; anything outside [A-Za-z0-9_-] is hex-encoded so no name escapes dataRoot. */
export function databaseDirName(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : `x-${Buffer.from(name, 'utf8').toString('hex')}`;
}

function databaseNameFromDir(dir: string): string {
  return dir.startsWith('x-') ? Buffer.from(dir.slice(2), 'hex').toString('utf8') : dir;
}

export class DatabaseRegistry<S> {
  private readonly engines = new Map<string, Promise<Engine<S>>>();
  /** Folders whose engine thread `prepare` started. */
  private readonly prepared = new Set<string>();

  constructor(
    private readonly dataRoot: string,
    private readonly templateCacheDir: string,
  ) {}

  resolveName(name: string): string {
    return ALIASES[name] ?? name;
  }

  private dirOf(name: string): string {
    return path.join(this.dataRoot, databaseDirName(name));
  }

  async exists(name: string): Promise<boolean> {
    return this.engines.has(name) || isDataDir(this.dirOf(name));
  }

  /** Makes the main database if it does not exist yet, and opens it. */
  async openMain(): Promise<Engine<S>> {
    if (!(await isDataDir(this.dirOf(MAIN_DATABASE)))) await createDataDirFromTemplate(this.templateCacheDir, this.dirOf(MAIN_DATABASE));
    return (await this.open(MAIN_DATABASE))!;
  }

  /** The engine for `name`, opening it on first use; null if no such database exists. */
  async open(requested: string): Promise<Engine<S> | null> {
    const name = this.resolveName(requested);
    let engine = this.engines.get(name);
    if (engine && (await engine).isDead) {
      // A crashed engine is replaced; PGlite recovers committed data from the WAL on reopen.
      this.engines.delete(name);
      await (await engine).close().catch(() => undefined);
      engine = undefined;
    }
    if (!engine) {
      if (!(await isDataDir(this.dirOf(name)))) return null;
      engine = this.engines.get(name);
      if (!engine) {
        engine = Engine.open<S>(name, this.dirOf(name));
        this.engines.set(name, engine);
        engine.catch(() => this.engines.delete(name));
      }
    }
    return engine;
  }

  /**
   * Returns false if the database already exists. With `template`, the new database is a copy of that one
   * (the caller has checked that it exists and that no client is connected to it): an open template is
   * closed first (it reopens on its next use), so its files are at rest and complete while they are
   * copied; a departed client's cleanup may still be running in it until then.
   */
  async create(requested: string, template?: string): Promise<boolean> {
    const name = this.resolveName(requested);
    if (await this.exists(name)) return false;
    if (template === undefined) {
      await createDataDirFromTemplate(this.templateCacheDir, this.dirOf(name), name);
      return true;
    }
    const source = this.resolveName(template);
    const open = this.engines.get(source);
    if (open) {
      this.engines.delete(source);
      await (await open).close({ finishRunning: true });
    }
    await createDataDirFrom(this.dirOf(source), this.dirOf(name), name);
    return true;
  }

  /** Closes and deletes a database. Returns false if it does not exist. The caller checks who is connected. */
  async drop(requested: string): Promise<boolean> {
    const name = this.resolveName(requested);
    if (!(await this.exists(name))) return false;
    const engine = this.engines.get(name);
    this.engines.delete(name);
    if (engine) await (await engine).close();
    await rm(this.dirOf(name), { recursive: true, force: true });
    return true;
  }

  /** The open engine for `name`, if it is open. */
  async openedEngine(requested: string): Promise<Engine<S> | undefined> {
    return this.engines.get(this.resolveName(requested));
  }

  async names(): Promise<string[]> {
    const entries = await readdir(this.dataRoot, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && !isStagingName(entry.name) && (await isDataDir(path.join(this.dataRoot, entry.name)))) {
        names.push(databaseNameFromDir(entry.name));
      }
    }
    return names.sort();
  }

  /** The engines that are open (those that failed to open left the registry). */
  async openEngines(): Promise<Engine<S>[]> {
    const settled = await Promise.allSettled([...this.engines.values()]);
    return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /**
   * Starts `name`'s engine thread now for an open that follows soon (see engine.ts prepareEngine): the
   * next `open` of it takes the thread. The folder may be replaced meanwhile.
   */
  prepare(requested: string): void {
    const dir = this.dirOf(this.resolveName(requested));
    prepareEngine(dir);
    this.prepared.add(dir);
  }

  /**
   * Rolls back and closes every open engine, and ends the threads prepared before the call that no open
   * took. `keepThreadOf`: that database opens again soon (its folder may be swapped meanwhile): its
   * engine's thread is kept and prepares the next open (Engine.closeAndPrepare), or one is started.
   */
  async closeAll(options: { keepThreadOf?: string } = {}): Promise<void> {
    const keep = options.keepThreadOf === undefined ? undefined : this.resolveName(options.keepThreadOf);
    const engines = [...this.engines];
    this.engines.clear();
    const prepared = [...this.prepared];
    this.prepared.clear();
    const closing = engines.map(async ([name, engine]) => {
      if (name !== keep) return (await engine).close();
      this.prepared.add(this.dirOf(name));
      return (await engine).closeAndPrepare();
    });
    // Ended now (before any kept thread is handed over), so only threads prepared before this call go.
    const ending = prepared.map(endPrepared);
    if (keep !== undefined && !engines.some(([name]) => name === keep)) this.prepare(keep);
    await Promise.allSettled([...closing, ...ending]);
  }
}
