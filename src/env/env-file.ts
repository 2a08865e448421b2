import { readFile } from 'node:fs/promises';
import { PpgError } from '../ppg-error.js';
import { writeFileAtomic } from './atomic-write.js';
import { setEnvVars, type EnvMergeResult, type EnvValue, type SetEnvOptions } from './env-merge.js';

/** Reads a `.env` file as text; a missing file reads as undefined (callers create it on write). Other failures: `env_read_failed`. */
export async function readEnvFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PpgError('env_read_failed', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      hint: 'check that it is a readable file',
      cause: error,
    });
  }
}

export interface EnvFileUpdate extends EnvMergeResult {
  /** True when the file did not exist and was created. */
  created: boolean;
}

/**
 * Reads `path`, merges `vars` with setEnvVars (a function gets the current text, for values that depend
 * on it) and writes the result atomically (only when something changed). Creates the file when missing.
 * Fails with `env_read_failed` / `env_write_failed` without touching the file.
 */
export async function updateEnvFile(
  path: string,
  vars: Record<string, EnvValue> | ((before: string | undefined) => Record<string, EnvValue>),
  options: SetEnvOptions = {},
): Promise<EnvFileUpdate> {
  const before = await readEnvFile(path);
  const result = setEnvVars(before ?? '', typeof vars === 'function' ? vars(before) : vars, options);
  if (before === undefined || result.text !== before) {
    try {
      await writeFileAtomic(path, result.text);
    } catch (error) {
      throw new PpgError('env_write_failed', `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it is unchanged`, {
        hint: 'check that its folder exists and is writable',
        cause: error,
      });
    }
  }
  return { ...result, created: before === undefined };
}
