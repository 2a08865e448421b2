import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startPrismaInstance, type PrismaInstance } from './prisma-instance.js';
import type { MigrateOptions } from './schema-engine.js';

/** A ppg-dev instance for Prisma migrations and a temp folder holding the schema and its migrations. */
export interface MigrateWorkspace {
  instance: PrismaInstance;
  workDir: string;
  options: MigrateOptions;
}

/**
 * Made before the tests of the calling describe block and removed after them. With `withShadowUrl`,
 * migrate dev uses the instance's shadow server; without it, Prisma makes its own through CREATE DATABASE.
 */
export function useMigrateWorkspace(name: string, schemaSource: string, withShadowUrl: boolean): MigrateWorkspace {
  const workspace = {} as MigrateWorkspace;
  beforeAll(async () => {
    workspace.instance = await startPrismaInstance(name);
    workspace.workDir = await mkdtemp(path.join(os.tmpdir(), `ppg-${name}-`));
    const schemaPath = path.join(workspace.workDir, 'schema.prisma');
    await writeFile(schemaPath, await readFile(schemaSource, 'utf8'));
    workspace.options = {
      databaseUrl: workspace.instance.databaseUrl,
      migrationsDir: path.join(workspace.workDir, 'migrations'),
      schemaPath,
      ...(withShadowUrl ? { shadowDatabaseUrl: workspace.instance.shadowDatabaseUrl } : {}),
    };
  }, 120_000);
  afterAll(async () => {
    await workspace.instance?.stop();
    if (workspace.workDir) await rm(workspace.workDir, { recursive: true, force: true });
  });
  return workspace;
}
