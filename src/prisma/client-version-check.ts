/**
 * Whether the HTTP endpoint can run query plans from a given Prisma Client. Pure.
 *
 * The client compiles queries into plans and sends its version in `Prisma-Engine-Hash`. Plans change
 * shape between minor releases, so the minor must match the bundled executor; patch releases share
 * it (the published set is uneven: `prisma generate` 7.10.1 stamps clients 7.10.1 while
 * @prisma/client and @prisma/query-plan-executor stop at 7.10.0, so an exact match would refuse the
 * most common 7.10 setup). `0.0.0` is the wildcard `prisma dev` also accepts, for tools and tests.
 */
export function isServableClientVersion(clientVersion: string | undefined, executorVersion: string): boolean {
  if (clientVersion === undefined) return false;
  if (clientVersion === '0.0.0') return true;
  const minor = (version: string): string | null => /^(\d+)\.(\d+)\.\d+(?:[-+].*)?$/.exec(version)?.slice(1, 3).join('.') ?? null;
  const wanted = minor(executorVersion);
  return wanted !== null && minor(clientVersion) === wanted;
}
