import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (no server, no child process: the inner loop, `npm run test:unit`, seconds),
 * `integration` (real PGlite servers and clients) and `e2e` (the built CLI as a child process, daemons,
 * the fake cloud). `npm test` runs all three.
 */
const UNIT = [
  'test/architecture/**/*.test.ts',
  'test/bench/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/env/**/*.test.ts',
  'test/server-core/**/*.test.ts',
  'test/state/**/*.test.ts',
  'test/cloud/api-responses.test.ts',
  'test/cloud/gitignore-check.test.ts',
  'test/cloud/terminal-prompt.test.ts',
  'test/prisma/prisma-dev-urls.test.ts',
];
const E2E = ['test/e2e/**/*.test.ts', 'test/**/*.e2e.test.ts'];

export default defineConfig({
  test: {
    // PGlite start-up is CPU heavy; two workers match the 2-core target machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // On CI psql and pgbench are installed, so a skipped test means something broke.
    reporters: process.env.CI ? ['default', './test/support/no-skips-reporter.ts'] : ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...E2E] } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
