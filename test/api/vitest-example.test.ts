import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../support/sandbox-hooks.js';

/** The README's vitest recipe, run for real: vitest in a child process on test/api/vitest-example/. */
const box = useSandbox();
const EXAMPLE = fileURLToPath(new URL('./vitest-example/', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

describe('ppgGlobalSetup + createTestDatabase in a user project', () => {
  it('gives each test file its own copy of the prepared template', async () => {
    const child = spawn(process.execPath, [VITEST, 'run', '--root', EXAMPLE], { env: { ...box().env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(output.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
  }, 120_000);
});
