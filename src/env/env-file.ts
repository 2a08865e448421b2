import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { setEnvVars, type EnvMergeResult, type EnvValue, type SetEnvOptions } from './env-merge.js';

/** Reads a `.env` file as text; a missing file reads as undefined (callers create it on write). */
export async function readEnvFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface EnvFileUpdate extends EnvMergeResult {
  /** True when the file did not exist and was created. */
  created: boolean;
}

/**
 * Reads `path`, merges `vars` with setEnvVars and writes the result atomically (only when something
 * changed). Creates the file when missing. Fails on read/write errors without touching the file.
 */
export async function updateEnvFile(path: string, vars: Record<string, EnvValue>, options: SetEnvOptions = {}): Promise<EnvFileUpdate> {
  const before = await readEnvFile(path);
  const result = setEnvVars(before ?? '', vars, options);
  if (before === undefined || result.text !== before) await writeFileAtomic(path, result.text);
  return { ...result, created: before === undefined };
}
