import { expect } from 'vitest';
import { runPpg, type PpgResult } from './ppg-process.js';
import { useSandbox } from './sandbox-hooks.js';
import type { Sandbox } from './temp-state.js';

/**
 * The built CLI run in each test's sandbox (useSandbox): `ppg` returns the run, `ok` expects exit 0 and
 * returns stdout, trimmed.
 */
export function useSandboxedPpg(): { box: () => Sandbox; ppg: (args: string[]) => Promise<PpgResult>; ok: (args: string[]) => Promise<string> } {
  const box = useSandbox();
  const ppg = (args: string[]) => runPpg(args, { env: box().env, cwd: box().project });
  const ok = async (args: string[]): Promise<string> => {
    const result = await ppg(args);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout.trim();
  };
  return { box, ppg, ok };
}
