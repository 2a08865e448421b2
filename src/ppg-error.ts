import type { ErrorCode } from './error-codes.js';

/**
 * The one error type that crosses module boundaries. `code` is stable and one of ERROR_CODES (tests,
 * `--json` output and callers of the package API match on it), `hint` tells the user what to do next.
 * Only src/cli/main.ts turns it into text and an exit code.
 */
export class PpgError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** 1 for runtime failures, 2 for usage errors. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PpgError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

export function isPpgError(error: unknown): error is PpgError {
  return error instanceof PpgError;
}
