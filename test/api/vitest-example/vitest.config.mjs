// A user's vitest setup with ppg-dev: one throwaway server for the run, one prepared template, and a
// fresh copy of it per test file. Run by test/api/vitest-example.test.ts (after `npm run build`).
export default {
  test: {
    globalSetup: ['./global-setup.mjs'],
    include: ['*.example.mjs'],
    // A test's first query opens its database (a PGlite start, about 1 s; several on a loaded 2-core CI box).
    testTimeout: 30_000,
  },
};
