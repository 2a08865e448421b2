// The README's vitest + Prisma recipe as a project of its own. Run by test/api/vitest-prisma-example.test.ts,
// which first runs `prisma generate` (the client goes to ./generated, git-ignored) and `npm run build`s dist/.
export default {
  test: {
    globalSetup: ['./global-setup.mjs'],
    include: ['*.example.mjs'],
    // A test's first query opens its database (a PGlite start, about 1 s; several on a loaded 2-core CI box).
    testTimeout: 30_000,
  },
};
