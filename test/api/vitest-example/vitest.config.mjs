// A user's vitest setup with ppg-dev: one throwaway server for the run, one prepared template, and a
// fresh copy of it per test file. Run by test/api/vitest-example.test.ts (after `npm run build`).
export default {
  test: {
    globalSetup: ['./global-setup.mjs'],
    include: ['*.example.mjs'],
  },
};
