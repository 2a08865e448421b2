import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PpgError } from '../ppg-error.js';
import { copyTree } from '../state/copy-tree.js';
import { stagingPathFor, sweepAbandonedStaging } from '../state/staging.js';

/**
 * New databases start as a copy of a pristine PGlite data directory made once per PGlite version: initdb in
 * WASM takes seconds and leaves hundreds of MB of never-returned memory in the process that runs it, so it
 * runs in a short-lived child process, and every later database is a plain directory copy.
 */
const require = createRequire(import.meta.url);

// The child only needs PGlite itself; an inline module works both from dist/ and under vitest.
const INITDB_SCRIPT = `
const [pgliteUrl, dir] = process.argv.slice(1);
const { PGlite } = await import(pgliteUrl);
const db = await PGlite.create({ dataDir: dir, database: 'postgres' });
await db.close();
`;

async function pgliteVersion(): Promise<string> {
  const pkgPath = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { version: string };
  return pkg.version;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function runInitdb(dir: string): Promise<void> {
  const pgliteUrl = pathToFileURL(require.resolve('@electric-sql/pglite')).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', INITDB_SCRIPT, pgliteUrl, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new PpgError('TEMPLATE_FAILED', `could not initialize a PGlite data directory (initdb exited with ${code})`, {
        hint: stderr.trim().split('\n').slice(-3).join(' | ') || 'check free disk space and memory',
      }));
    });
  });
}

/**
 * Returns the path of the template for the installed PGlite version, creating it on first use.
 * Safe against concurrent callers (processes included): each builds in its own temp dir and the first
 * rename wins.
 */
export async function ensureTemplate(cacheDir: string): Promise<string> {
  const target = path.join(cacheDir, `pglite-${await pgliteVersion()}`);
  if (await exists(path.join(target, 'PG_VERSION'))) return target;
  await mkdir(cacheDir, { recursive: true });
  await sweepAbandonedStaging(cacheDir);
  const building = stagingPathFor(target);
  try {
    await runInitdb(building);
    try {
      await rename(building, target);
    } catch (error) {
      if (!(await exists(path.join(target, 'PG_VERSION')))) throw error;
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return target;
}

/** The database a data directory's PGlite connects to: `postgres` unless renamed (see below). */
const DATABASE_NAME_FILE = 'ppg-database-name';
const TEMPLATE_DATABASE = 'postgres';

export async function internalDatabaseName(dataDir: string): Promise<string> {
  return (await readFile(path.join(dataDir, DATABASE_NAME_FILE), 'utf8').catch(() => '')) || TEMPLATE_DATABASE;
}

/**
 * Makes `dataDir` a fresh database by copying the template into it (via a temp dir + rename). A database
 * other than the main one gets its name inside PGlite too (the template's `postgres` is renamed while
 * connected to template1), so current_database() and pg_database agree with what the client connected to.
 */
export async function createDataDirFromTemplate(cacheDir: string, dataDir: string, databaseName = TEMPLATE_DATABASE): Promise<void> {
  await createDataDirFrom(await ensureTemplate(cacheDir), dataDir, databaseName);
}

/**
 * Makes `dataDir` a copy of another database's data directory (`CREATE DATABASE … TEMPLATE`), named
 * `databaseName` inside. The source must be at rest: closed, or open with no one using it and checkpointed.
 */
export async function createDataDirFrom(source: string, dataDir: string, databaseName: string): Promise<void> {
  const staging = stagingPathFor(dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  try {
    await copyTree(source, staging);
    const inside = await internalDatabaseName(staging);
    if (databaseName !== inside) await renameDatabase(staging, inside, databaseName);
    await rename(staging, dataDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function isDataDir(dir: string): Promise<boolean> {
  return exists(path.join(dir, 'PG_VERSION'));
}

async function renameDatabase(dataDir: string, from: string, name: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir, database: 'template1' });
  try {
    await db.exec(`ALTER DATABASE "${from.replace(/"/g, '""')}" RENAME TO "${name.replace(/"/g, '""')}"`);
  } finally {
    await db.close();
  }
  await writeFile(path.join(dataDir, DATABASE_NAME_FILE), name);
}
