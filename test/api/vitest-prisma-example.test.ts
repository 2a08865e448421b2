import { execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../support/sandbox-hooks.js';

/**
 * The README's vitest + Prisma recipe, run for real: the real `prisma generate` (CLI 7.10.1) makes the
 * client, then vitest runs test/api/vitest-prisma-example/ in a child process: ppgGlobalSetup serves a
 * throwaway server and migrates the template (Prisma's migration engine), each of the two test files
 * takes its own copy with createTestDatabase and uses it through PrismaClient + @prisma/adapter-pg.
 */
const box = useSandbox();
const EXAMPLE = fileURLToPath(new URL('./vitest-prisma-example/', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const PRISMA = fileURLToPath(new URL('../../node_modules/prisma/build/index.js', import.meta.url));

describe('the README vitest + Prisma recipe', () => {
  it('migrates the template once and gives each test file its own copy, used through Prisma Client', async () => {
    await rm(`${EXAMPLE}generated`, { recursive: true, force: true });
    // `prisma generate` runs no schema engine, but the CLI looks for the native binary first and would try
    // to download it; any existing file skips that (as test/prisma/support/generate-client.ts does).
    await promisify(execFile)(process.execPath, [PRISMA, 'generate', '--schema', 'prisma/schema.prisma'], {
      cwd: EXAMPLE,
      env: { ...box().env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
    });
    const child = spawn(process.execPath, [VITEST, 'run', '--root', EXAMPLE], { env: { ...box().env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(output.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
  }, 180_000);
});
