import envPaths from 'env-paths';
import { join } from 'node:path';

/** Where the cloud lives. Every URL is overridable from the environment so tests can point at a local fake. */
export interface CloudEndpoints {
  /** Management API origin; paths start with `/v1`. `PRISMA_MANAGEMENT_API_URL`, default `https://api.prisma.io`. */
  apiBaseUrl: string;
  /** OAuth server (`/authorize`, `/token`). `PPG_AUTH_URL` (our name; upstream has none), default `https://auth.prisma.io`. */
  authBaseUrl: string;
  /** OAuth public client id (PKCE, no secret). `PPG_OAUTH_CLIENT_ID`; we never reuse the Prisma CLI's id. */
  oauthClientId: string;
  /** create-db worker. `CREATE_DB_WORKER_URL`, default `https://create-db-temp.prisma.io`. */
  createDbWorkerUrl: string;
  /** Claim site. `CLAIM_DB_WORKER_URL`, default `https://create-db.prisma.io`. */
  claimDbWorkerUrl: string;
  /** Per-request timeout. `PPG_HTTP_TIMEOUT_MS`, default 30 s. */
  timeoutMs: number;
}

const DEFAULT_API_BASE_URL = 'https://api.prisma.io';
const DEFAULT_AUTH_BASE_URL = 'https://auth.prisma.io';
const DEFAULT_CREATE_DB_WORKER_URL = 'https://create-db-temp.prisma.io';
const DEFAULT_CLAIM_DB_WORKER_URL = 'https://create-db.prisma.io';
/** Placeholder id for ppg-dev's own OAuth client; a registered id is supplied through PPG_OAUTH_CLIENT_ID. */
const DEFAULT_OAUTH_CLIENT_ID = 'ppg-dev-cli';
const DEFAULT_TIMEOUT_MS = 30_000;

/** A User-Agent naming ppg-dev, so the service can tell our traffic apart. */
export const USER_AGENT = `ppg-dev/0.1.0 (node ${process.versions.node}; ${process.platform})`;

export function resolveEndpoints(env: NodeJS.ProcessEnv): CloudEndpoints {
  const timeout = Number(env.PPG_HTTP_TIMEOUT_MS);
  return {
    apiBaseUrl: trimSlash(env.PRISMA_MANAGEMENT_API_URL || DEFAULT_API_BASE_URL),
    authBaseUrl: trimSlash(env.PPG_AUTH_URL || DEFAULT_AUTH_BASE_URL),
    oauthClientId: env.PPG_OAUTH_CLIENT_ID || DEFAULT_OAUTH_CLIENT_ID,
    createDbWorkerUrl: trimSlash(env.CREATE_DB_WORKER_URL || DEFAULT_CREATE_DB_WORKER_URL),
    claimDbWorkerUrl: trimSlash(env.CLAIM_DB_WORKER_URL || DEFAULT_CLAIM_DB_WORKER_URL),
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
  };
}

/** The stored-login file: `PPG_CONFIG_DIR` (tests), else env-paths' config dir for `ppg-dev`, then `auth.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  const dir = env.PPG_CONFIG_DIR || envPaths('ppg-dev').config;
  return join(dir, 'auth.json');
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
