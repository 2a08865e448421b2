import { afterEach, beforeEach } from 'vitest';
import { collectLeaks } from './leak-check.js';
import { makeSandbox, type Sandbox } from './temp-state.js';

/**
 * Gives every test a fresh sandbox (temp PPG_DEV_HOME, project folder, a free base port) and, after it,
 * fails the test if it left a process, lock or listening port behind. Leaks are killed and the
 * sandbox is deleted either way (one hook, so a failing check cannot skip the cleanup).
 * Returns a getter for the current test's sandbox.
 */
export function useSandbox(): () => Sandbox {
  let current: Sandbox | undefined;
  beforeEach(async () => {
    current = await makeSandbox();
  });
  afterEach(async () => {
    const sandbox = current;
    current = undefined;
    if (!sandbox) return;
    let leaks: string[];
    try {
      leaks = await collectLeaks(sandbox.home);
    } finally {
      await sandbox.cleanup();
    }
    if (leaks.length > 0) throw new Error(`test leaked:\n  ${leaks.join('\n  ')}`);
  });
  return () => {
    if (!current) throw new Error('no sandbox: useSandbox() provides one only inside a test');
    return current;
  };
}
