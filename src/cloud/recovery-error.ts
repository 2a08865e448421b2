import type { ErrorCode } from '../error-codes.js';
import { PpgError } from '../ppg-error.js';

/** What must reach the user when a cloud database exists but could not be recorded where it was meant to go. */
export interface Recovery {
  projectId?: string;
  /** The connection string: the API shows it once, so this may be the only copy. */
  connectionString?: string;
  claimUrl?: string;
}

/**
 * A failure after something was created in the cloud. The command prints `recovery` on stdout (in
 * `.env` syntax, so it can be appended to a file) before the usual error and hint lines, and the hint
 * never suggests the command that would create a second database.
 */
export class CloudRecoveryError extends PpgError {
  readonly recovery: Recovery;

  constructor(code: ErrorCode, message: string, hint: string, recovery: Recovery, cause?: unknown) {
    super(code, message, { hint, cause });
    this.name = 'CloudRecoveryError';
    this.recovery = recovery;
  }
}

/** The recovery as `.env` lines: comments for the ids, assignments for the values. */
export function recoveryLines(recovery: Recovery): string[] {
  return [
    ...(recovery.projectId ? [`# Prisma Postgres project ${recovery.projectId}`] : []),
    ...(recovery.connectionString ? [`DATABASE_URL="${recovery.connectionString}"`] : []),
    ...(recovery.claimUrl ? [`CLAIM_URL="${recovery.claimUrl}"`] : []),
  ];
}
