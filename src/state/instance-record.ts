import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { PpgError } from '../ppg-error.js';

export const RECORD_SCHEMA_VERSION = 1;

/**
 * What `instance.json` holds. It describes the last start; whether the instance runs now is
 * derived (see instance-status.ts), never read from here. `pid` is null once the daemon stopped
 * cleanly; `port`/`url` stay so the next start can reuse the port and keep DATABASE_URL stable.
 */
export interface InstanceRecord {
  schemaVersion: number;
  name: string;
  projectDir: string;
  pid: number | null;
  /** processStartTime() of `pid` (Linux), so a reused pid is not taken for our daemon. */
  pidStartTime?: number | null;
  host: string;
  port: number | null;
  user: string;
  password: string;
  url: string | null;
  /** Prisma's companions (`prisma dev`'s 51213 and 51215), sticky like `port`; absent in older records. */
  httpPort?: number | null;
  shadowPort?: number | null;
  startedAt: string | null;
  readyAt: string | null;
  stoppedAt: string | null;
  packageVersion: string;
}

type FieldCheck = (value: unknown) => boolean;
const isString: FieldCheck = (v) => typeof v === 'string';
const isNullableString: FieldCheck = (v) => v === null || typeof v === 'string';
const isNullablePositiveInt: FieldCheck = (v) => v === null || (Number.isInteger(v) && (v as number) > 0);
const isNullablePort: FieldCheck = (v) => v === null || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535);

const FIELDS: Record<Exclude<keyof InstanceRecord, 'schemaVersion'>, FieldCheck> = {
  name: isString,
  projectDir: isString,
  pid: isNullablePositiveInt,
  pidStartTime: (v) => v === undefined || v === null || (Number.isInteger(v) && (v as number) >= 0),
  host: isString,
  port: isNullablePort,
  user: isString,
  password: isString,
  url: isNullableString,
  httpPort: (v) => v === undefined || isNullablePort(v),
  shadowPort: (v) => v === undefined || isNullablePort(v),
  startedAt: isNullableString,
  readyAt: isNullableString,
  stoppedAt: isNullableString,
  packageVersion: isString,
};

function corruptError(file: string, detail: string): PpgError {
  return new PpgError('RECORD_CORRUPT', `${file} is not a valid instance record (${detail})`, {
    hint:
      `ppg-dev will not guess. Its data folder beside it is untouched: fix the file, or move it aside ` +
      `(mv '${file}' '${file}.bak') and the next start writes a fresh record for the same data`,
  });
}

/**
 * Pure: validates the text of `instance.json`. Fails with `RECORD_CORRUPT` (unparseable, wrong
 * shape, name not matching its folder) or `RECORD_TOO_NEW` (written by a newer ppg-dev).
 */
export function parseRecord(text: string, file: string, expectedName: string): InstanceRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corruptError(file, text.trim() === '' ? 'empty file' : 'not JSON, possibly truncated');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptError(file, 'not a JSON object');
  }
  const object = value as Record<string, unknown>;
  const version = object.schemaVersion;
  if (!Number.isInteger(version) || (version as number) < 1) throw corruptError(file, 'missing schemaVersion');
  if ((version as number) > RECORD_SCHEMA_VERSION) {
    throw new PpgError(
      'RECORD_TOO_NEW',
      `${file} was written by a newer ppg-dev (record schema ${String(version)}; this version reads ${RECORD_SCHEMA_VERSION})`,
      { hint: 'upgrade ppg-dev (npm install -g ppg-dev@latest); the instance was left untouched' },
    );
  }
  for (const [field, check] of Object.entries(FIELDS)) {
    if (!check(object[field])) throw corruptError(file, `bad or missing field '${field}'`);
  }
  if (object.name !== expectedName) throw corruptError(file, `name '${String(object.name)}' does not match its folder`);
  return object as unknown as InstanceRecord;
}

/** Reads and validates a record; `undefined` when the file does not exist. */
export async function readRecord(file: string, expectedName: string): Promise<InstanceRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file sits where a folder of the path should be, so no record can exist there.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new PpgError('RECORD_UNREADABLE', `cannot read ${file} (${code ?? 'unknown error'})`, {
      hint: 'check the permissions of the state directory (PPG_DEV_HOME)',
      cause: error,
    });
  }
  return parseRecord(text, file, expectedName);
}

/** Atomically (temp file, fsync, rename), readable by the user only: the record holds the password. */
export async function writeRecord(file: string, record: InstanceRecord): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function newRecord(name: string, projectDir: string): InstanceRecord {
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    name,
    projectDir,
    pid: null,
    pidStartTime: null,
    host: '127.0.0.1',
    port: null,
    user: 'postgres',
    password: 'postgres',
    url: null,
    httpPort: null,
    shadowPort: null,
    startedAt: null,
    readyAt: null,
    stoppedAt: null,
    packageVersion: PACKAGE_VERSION,
  };
}
