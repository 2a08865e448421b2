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

export const MISSING_TOKEN_HINT = 'run `ppg login`, or set PRISMA_SERVICE_TOKEN to a workspace service token (Console → Workspace Settings → Service Tokens)';

/**
 * Resolves the token in this order: `--token`, `PRISMA_SERVICE_TOKEN`, the stored login. Service tokens
 * (CI) never touch the login flow or the credentials file. Fails with `missing_token` when there is none.
 */
export async function resolveTokenSource(flagToken: string | undefined, env: NodeJS.ProcessEnv, endpoints: CloudEndpoints): Promise<TokenSource> {
  if (flagToken !== undefined && flagToken !== '') return fixed('flag', flagToken);
  if (env.PRISMA_SERVICE_TOKEN) return fixed('env', env.PRISMA_SERVICE_TOKEN);
  const path = credentialsPath(env);
  const stored = await readStoredLogin(path);
  if (!stored) throw new PpgError('missing_token', 'not logged in to Prisma Postgres', { hint: MISSING_TOKEN_HINT });
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
      let renewed: StoredLogin;
      try {
        renewed = await refreshLogin(endpoints, stored.refreshToken);
      } catch (error) {
        // A refresh token the server rejects is dead for good: forget it so the next run asks for a login.
        if (error instanceof PpgError && error.code === 'session_expired') await removeStoredLogin(path);
        throw error;
      }
      await writeStoredLogin(path, { ...renewed, workspaceId: renewed.workspaceId ?? stored.workspaceId });
      stored = renewed;
      source.token = renewed.token;
      return true;
    },
  };
  return source;
}
