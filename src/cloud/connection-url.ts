/**
 * Small facts about connection strings. Passwords never reach the terminal: we print hosts only, and
 * error messages from the service are redacted before display.
 */

/** The pattern Prisma's `postgres link` uses to decide that `.env` already points at Prisma Postgres. */
const PRISMA_POSTGRES_URL = /^postgres(ql)?:\/\/[^@]*@(pooled\.)?db(-pool)?\.prisma\.io/;
const ACCELERATE_URL = /^prisma\+postgres:\/\/accelerate\.prisma-data\.net/;

export function isPrismaPostgresUrl(url: string): boolean {
  return PRISMA_POSTGRES_URL.test(url) || ACCELERATE_URL.test(url);
}

/** `host:port` of a URL, or a placeholder for something that does not parse (never the raw text: it may hold a secret). */
export function describeHost(url: string | undefined): string {
  if (url === undefined || url === '') return '(none)';
  try {
    const parsed = new URL(url);
    return parsed.host || '(no host)';
  } catch {
    return '(not a URL)';
  }
}

/** Replaces `postgres://…` and `prisma+postgres://…` URLs with `[REDACTED_URL]`, as upstream does in error messages. */
export function redactUrls(text: string): string {
  return text.replace(/(prisma\+)?postgres(ql)?:\/\/[^\s"'`]+/g, '[REDACTED_URL]');
}
