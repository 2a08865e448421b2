import type { ErrorCode } from '../error-codes.js';
import { PpgError } from '../ppg-error.js';

/**
 * The end of every command that acts on several instances (stop, start, rm): each target was reported on
 * its own line; if any failed, the command fails once, naming them, with exit code 1.
 */
export function failIfAnyFailed(
  outcomes: readonly { name: string; result: string }[], code: ErrorCode, verb: string, hint: string,
): void {
  const failed = outcomes.filter((outcome) => outcome.result === 'failed').map((outcome) => outcome.name);
  if (failed.length > 0) throw new PpgError(code, `could not ${verb} ${failed.join(', ')}`, { hint });
}
