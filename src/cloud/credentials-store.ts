import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PpgError } from '../ppg-error.js';
import { writeFileAtomic } from '../atomic-write.js';
import { isObject } from './management-api-error.js';

/** One stored login. The file format is read-compatible with Prisma's `auth.json`: `{"tokens":[{workspaceId, token, refreshToken}]}`. */
export interface StoredLogin {
  workspaceId: string | null;
  /** The OAuth access token (a JWT). */
  token: string;
  refreshToken?: string;
}

/**
 * The first stored login, or undefined when there is no file. A file that is not valid JSON or has
 * no usable entry fails with `credentials_invalid` (we never guess at a token).
 */
export async function readStoredLogin(path: string): Promise<StoredLogin | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidFile(path);
  }
  const first = isObject(parsed) && Array.isArray(parsed.tokens) ? (parsed.tokens[0] as unknown) : undefined;
  if (!isObject(first) || typeof first.token !== 'string' || first.token === '') throw invalidFile(path);
  return {
    workspaceId: typeof first.workspaceId === 'string' ? first.workspaceId : null,
    token: first.token,
    ...(typeof first.refreshToken === 'string' ? { refreshToken: first.refreshToken } : {}),
  };
}

/**
 * Stores a login, replacing the file. The folder is 0700 and the file 0600, re-applied on every write
 * because an existing folder or file may have been created with looser modes.
 */
export async function writeStoredLogin(path: string, login: StoredLogin): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const body = { tokens: [{ workspaceId: login.workspaceId, token: login.token, ...(login.refreshToken ? { refreshToken: login.refreshToken } : {}) }] };
  await writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the stored login. Returns false when there was none. */
export async function removeStoredLogin(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function invalidFile(path: string): PpgError {
  return new PpgError('CREDENTIALS_INVALID', `the stored login at ${path} is not readable`, { hint: 'run `ppg logout` and then `ppg login`' });
}
