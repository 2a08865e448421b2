import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCHEMA_PATH = path.join(ROOT, 'fixtures/prisma/schema.prisma');
export const SCHEMA_SQL_PATH = path.join(ROOT, 'fixtures/prisma/schema.sql');
/** A schema using Postgres extensions (citext, pgcrypto, uuid-ossp, pgvector). */
export const EXTENSIONS_SCHEMA_PATH = path.join(ROOT, 'fixtures/prisma/extensions.prisma');
/** Git-ignored (test/prisma/.gitignore): generated code is never committed. */
const GENERATED = path.join(ROOT, 'test/prisma/.generated');

/**
 * Runs the real `prisma generate` (CLI 7.10.1) on a fixture schema and returns the folder of the
 * generated client, one per schema content (reused while the schema is unchanged). Generation goes to a
 * private temp folder that is then renamed, so parallel test files cannot see a half-written client.
 *
 * `prisma generate` never runs the schema engine, but the CLI checks for the native binary first and
 * tries to download it from outside the npm registry, which fails here; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that check.
 */
export async function generatePrismaClient(schemaPath = SCHEMA_PATH): Promise<string> {
  const schema = await readFile(schemaPath, 'utf8');
  const hash = createHash('sha256').update(schema).digest('hex').slice(0, 12);
  const target = path.join(GENERATED, `client-${hash}`);
  if (existsSync(path.join(target, 'client.ts'))) return target;

  const work = path.join(GENERATED, `tmp-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    await writeFile(path.join(work, 'schema.prisma'), schema.replace(/output\s*=\s*"[^"]*"/, 'output = "./client"'));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/prisma/build/index.js'), 'generate', '--schema', path.join(work, 'schema.prisma')], {
      cwd: work,
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
    });
    await rename(path.join(work, 'client'), target).catch((error: NodeJS.ErrnoException) => {
      // Another test file won the race: its client is identical.
      if (!existsSync(path.join(target, 'client.ts'))) throw error;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return target;
}

/** Imports the generated client module (vitest transpiles its TypeScript). */
export async function importPrismaClient(folder: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path.join(folder, 'client.ts')).href)) as Record<string, unknown>;
}
