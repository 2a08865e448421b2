/**
 * Which HTTP routes the `prisma+postgres://` endpoint answers, decided from method and path alone
 * (pure, so the table is unit-tested). The executor routes are those Prisma Client 7 calls with
 * `accelerateUrl`; the legacy routes are the Prisma 5/6 Accelerate protocol
 * (`/:clientVersion/:schemaHash/...`), which needs a query engine binary that ppg-dev never downloads,
 * so it is recognised only to answer it with a helpful 400.
 */

export type PrismaRoute =
  | { kind: 'health' }
  /** `needsBody`: the route takes a JSON body that must be parsed and size-checked first. */
  | { kind: 'executor'; needsBody: boolean }
  | { kind: 'legacy'; clientVersion: string }
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'not-found' };

interface RouteRule {
  pattern: RegExp;
  method: 'GET' | 'POST';
  route: PrismaRoute;
}

/** A transaction id as the executor makes them (a UUID/cuid-like token); anything path-safe is accepted. */
const TX_ID = '[^/]+';

const RULES: RouteRule[] = [
  { pattern: /^\/health$/, method: 'GET', route: { kind: 'health' } },
  { pattern: /^\/connection-info$/, method: 'GET', route: { kind: 'executor', needsBody: false } },
  { pattern: /^\/query$/, method: 'POST', route: { kind: 'executor', needsBody: true } },
  { pattern: /^\/transaction\/start$/, method: 'POST', route: { kind: 'executor', needsBody: true } },
  { pattern: new RegExp(`^/transaction/${TX_ID}/query$`), method: 'POST', route: { kind: 'executor', needsBody: true } },
  { pattern: new RegExp(`^/transaction/${TX_ID}/(commit|rollback)$`), method: 'POST', route: { kind: 'executor', needsBody: false } },
];

/**
 * Prisma 5/6 clients talk to `/<clientVersion>/<schemaHash>/graphql`, `/…/schema`,
 * `/…/transaction/start` and `/…/itx/<id>/{graphql,commit,rollback}`.
 */
const LEGACY = /^\/(\d+\.\d+\.\d+[^/]*)\/[^/]+\/(graphql|schema|transaction\/start|itx\/[^/]+\/(graphql|commit|rollback))$/;

/** Classifies a request; `pathname` excludes the query string. */
export function classifyRoute(method: string, pathname: string): PrismaRoute {
  const upper = method.toUpperCase();
  let allow: string | null = null;
  for (const rule of RULES) {
    if (!rule.pattern.test(pathname)) continue;
    if (rule.method === upper || (rule.method === 'GET' && upper === 'HEAD')) return rule.route;
    allow = rule.method;
  }
  if (allow) return { kind: 'method-not-allowed', allow };
  const legacy = LEGACY.exec(pathname);
  if (legacy?.[1]) return { kind: 'legacy', clientVersion: legacy[1] };
  return { kind: 'not-found' };
}

/**
 * Whether a Host header names this machine. The api_key is not a secret (`prisma init` writes a
 * predictable one), so a web page that rebinds its own domain to 127.0.0.1 could otherwise use the
 * endpoint from a browser; refusing foreign Host headers closes that door. A missing header (HTTP/1.0
 * tools) is allowed.
 */
export function isLocalHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = /^\[[^\]]*\]/.test(host) ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return ['localhost', '127.0.0.1', '[::1]'].includes(name.toLowerCase());
}
