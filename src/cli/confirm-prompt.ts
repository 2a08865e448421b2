import { PpgError } from '../ppg-error.js';
import type { CliIo } from './cli-io.js';

/** True when a person can answer: stdin and stdout are both terminals. */
export function canAsk(io: CliIo): boolean {
  return io.isTTY && Boolean(io.stdin.isTTY);
}

/** Asks a yes/no question on stderr; only "y" or "yes" is a yes (the one prompt, shared with the cloud commands). */
export async function askYesNo(io: CliIo, question: string): Promise<boolean> {
  const { askConfirm } = await import('../cloud/terminal-prompt.js');
  return askConfirm(question, io.stderr, io.stdin);
}

/**
 * For destructive commands: goes on with `--yes`; asks a person at a terminal; refuses a script that did
 * not pass `--yes` (exit 2), so nothing is lost to a missing flag. `nothing` says what was left alone.
 */
export async function confirmOrRefuse(io: CliIo, yes: boolean | undefined, question: string, nothing: string): Promise<void> {
  if (yes) return;
  if (!canAsk(io)) {
    throw new PpgError('CONFIRMATION_REQUIRED', `${nothing}: this needs a confirmation and no one can answer here`, { hint: 'pass --yes to go ahead', exitCode: 2 });
  }
  if (!(await askYesNo(io, question))) throw new PpgError('ABORTED', nothing, { hint: 'pass --yes to skip this question' });
}
