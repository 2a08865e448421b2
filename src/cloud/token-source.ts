import lockfile from 'proper-lockfile';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PpgError } from '../ppg-error.js';
import { credentialsPath, type CloudEndpoints } from './cloud-endpoints.js';
import { readStoredLogin, removeStoredLogin, writeStoredLogin, type StoredLogin } from './credentials-store.js';
import { refreshLogin } from './oauth.js';

/** Where the Bearer token comes from, and how (if at all) it can be renewed after a 401. */
export interface TokenSource {
  kind: 'flag' | 'env' | 'login';
  token: string;
  /**
   * Renews the token after a 401. Returns false when it cannot (a service token, or a login without a
   * refresh token). Throws `session_expired` after clearing the stored login when the refresh token is invalid.
   */
  refresh(): Promise<boolean>;
}

/** Service tokens first: they always work, while `ppg login` needs an OAuth client id ppg-dev does not have yet. */
const MISSING_TOKEN_HINT = 'set PRISMA_SERVICE_TOKEN to a workspace service token (Console → Workspace Settings → Service Tokens), or `ppg login` with PPG_OAUTH_CLIENT_ID set';

/**
 * Resolves the token in this order: `--token`, `PRISMA_SERVICE_TOKEN`, the stored login. Service tokens
 * (CI) never touch the login flow or the credentials file. Fails with `missing_token` when there is none.
 */
export async function resolveTokenSource(flagToken: string | undefined, env: NodeJS.ProcessEnv, endpoints: CloudEndpoints): Promise<TokenSource> {
  if (flagToken !== undefined && flagToken !== '') return fixed('flag', flagToken);
  if (env.PRISMA_SERVICE_TOKEN) return fixed('env', env.PRISMA_SERVICE_TOKEN);
  const path = credentialsPath(env);
  const stored = await readStoredLogin(path);
  if (!stored) throw new PpgError('MISSING_TOKEN', 'not logged in to Prisma Postgres', { hint: MISSING_TOKEN_HINT });
  return storedSource(path, stored, endpoints);
}

function fixed(kind: 'flag' | 'env', token: string): TokenSource {
  return { kind, token, refresh: async () => false };
}

function storedSource(path: string, stored: StoredLogin, endpoints: CloudEndpoints): TokenSource {
  const source: TokenSource = {
    kind: 'login',
    token: stored.token,
    async refresh() {
      if (!stored.refreshToken) return false;
      const failed = source.token;
      // Refresh tokens are single use: two ppg processes refreshing the same login at once would
      // have the loser's refresh rejected, and clearing the store then would delete the winner's
      // fresh login. So refreshes are serialised by a lock next to the store, and the store is read
      // again under the lock: if another process already renewed the token, use its result.
      const release = await lockStore(path, endpoints.timeoutMs);
      try {
        const latest = await readStoredLogin(path);
        if (latest && latest.token !== failed) {
          stored = latest;
          source.token = latest.token;
          return true;
        }
        const refreshToken = latest?.refreshToken ?? stored.refreshToken;
        if (!refreshToken) return false;
        let renewed: StoredLogin;
        try {
          renewed = await refreshLogin(endpoints, refreshToken);
        } catch (error) {
          // A refresh token the server rejects is dead for good: forget the login (still the failing
          // one: we hold the lock) so the next run asks for a login.
          if (error instanceof PpgError && error.code === 'SESSION_EXPIRED') await removeStoredLogin(path);
          throw error;
        }
        const next = { ...renewed, workspaceId: renewed.workspaceId ?? stored.workspaceId };
        await writeStoredLogin(path, next);
        stored = next;
        source.token = next.token;
        return true;
      } finally {
        await release();
      }
    },
  };
  return source;
}

/** Takes `<store>.lock` (proper-lockfile), waiting as long as one refresh may take, plus a margin. */
async function lockStore(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    return await lockfile.lock(path, {
      realpath: false,
      stale: 10_000,
      retries: { retries: Math.ceil((timeoutMs + 5_000) / 100), factor: 1, minTimeout: 100, maxTimeout: 100 },
    });
  } catch (error) {
    throw new PpgError('CREDENTIALS_LOCKED', `another ppg process is renewing the stored login (${path}.lock) and did not finish`, {
      hint: 'try again; if no other ppg runs, remove the .lock folder next to the stored login',
      cause: error,
    });
  }
}
