import { access, constants, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PpgError } from '../ppg-error.js';
import { resolveWriteTarget, writeFileAtomic } from '../atomic-write.js';
import { setEnvVars, type EnvMergeResult, type EnvValue, type SetEnvOptions } from './env-merge.js';

/** Reads a `.env` file as text; a missing file reads as undefined (callers create it on write). Other failures: `env_read_failed`. */
export async function readEnvFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PpgError('ENV_READ_FAILED', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
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
  options: SetEnvOptions & { secret?: boolean } = {},
): Promise<EnvFileUpdate> {
  const before = await readEnvFile(path);
  const result = setEnvVars(before ?? '', typeof vars === 'function' ? vars(before) : vars, options);
  if (before === undefined || result.text !== before) {
    try {
      // A new file that will hold a password is readable by its owner only.
      await writeFileAtomic(path, result.text, options.secret ? { newFileMode: 0o600 } : {});
    } catch (error) {
      throw new PpgError('ENV_WRITE_FAILED', `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it is unchanged`, {
        hint: 'check that its folder exists and is writable',
        cause: error,
      });
    }
  }
  return { ...result, created: before === undefined };
}

/**
 * Checks, without writing, that `path` can be rewritten the way updateEnvFile does it (a temp file
 * and a rename in the target's folder, through symlinks): the folder must exist and be writable, and
 * an existing file must be a writable regular file. Call it before creating anything that the file
 * is meant to record. Fails with `env_not_writable`.
 */
export async function checkEnvWritable(path: string): Promise<void> {
  const target = await resolveWriteTarget(path);
  const problem = await writeProblem(target);
  if (problem === undefined) return;
  throw new PpgError('ENV_NOT_WRITABLE', `cannot write ${path}${target === path ? '' : ` (a link to ${target})`}: ${problem}; nothing was created`, {
    hint: 'fix the permissions (or pass another file) and run the command again',
  });
}

async function writeProblem(target: string): Promise<string | undefined> {
  try {
    const info = await stat(target);
    if (!info.isFile()) return 'it is not a regular file';
    await access(target, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return code === 'EACCES' || code === 'EPERM' ? 'the file is read-only' : `${code}`;
  }
  try {
    await access(dirname(target), constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `its folder ${dirname(target)} does not exist` : `its folder ${dirname(target)} is not writable`;
  }
  return undefined;
}
