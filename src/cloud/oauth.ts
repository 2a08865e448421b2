import { createHash, randomBytes } from 'node:crypto';
import { PpgError } from '../ppg-error.js';
import type { CloudEndpoints } from './cloud-endpoints.js';
import type { StoredLogin } from './credentials-store.js';
import { sendRequest } from './http-request.js';
import { isObject } from './management-api-error.js';

/** Scopes the Prisma CLI asks for: admin on the chosen workspace, and a refresh token. */
const OAUTH_SCOPE = 'workspace:admin offline_access';

export interface Pkce {
  verifier: string;
  challenge: string;
  state: string;
}

/** A fresh PKCE pair (32 random bytes, S256) and a 16-byte state, all base64url, as the Prisma SDK makes them. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), state: randomBytes(16).toString('base64url') };
}

export function buildAuthorizeUrl(endpoints: CloudEndpoints, redirectUri: string, pkce: Pkce): string {
  const url = new URL('/authorize', endpoints.authBaseUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: endpoints.oauthClientId,
    redirect_uri: redirectUri,
    scope: OAUTH_SCOPE,
    state: pkce.state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/** Exchanges an authorization code (public client: the verifier replaces a secret). */
export function exchangeCode(endpoints: CloudEndpoints, code: string, redirectUri: string, verifier: string): Promise<StoredLogin> {
  return postToken(endpoints, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: endpoints.oauthClientId, code_verifier: verifier });
}

/**
 * Trades a refresh token for new tokens. Fails with `session_expired` when the server says
 * `invalid_grant` (the caller then clears the stored login), other failures as `oauth_error`.
 */
export function refreshLogin(endpoints: CloudEndpoints, refreshToken: string): Promise<StoredLogin> {
  return postToken(endpoints, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: endpoints.oauthClientId });
}

async function postToken(endpoints: CloudEndpoints, form: Record<string, string>): Promise<StoredLogin> {
  const response = await sendRequest({
    method: 'POST',
    url: `${endpoints.authBaseUrl}/token`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    timeoutMs: endpoints.timeoutMs,
    service: 'the Prisma login server',
  });
  const body = isObject(response.json) ? response.json : undefined;
  if (response.status !== 200) {
    if (body?.error === 'invalid_grant') {
      throw new PpgError('SESSION_EXPIRED', 'your Prisma login has expired or was revoked', { hint: 'run `ppg login` again' });
    }
    const reason = typeof body?.error_description === 'string' ? body.error_description : typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new PpgError('OAUTH_ERROR', `the Prisma login server refused the request: ${reason}`, { hint: 'run `ppg login` again' });
  }
  if (typeof body?.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new PpgError('OAUTH_ERROR', 'the Prisma login server sent an invalid token response', { hint: 'run `ppg login` again' });
  }
  return { workspaceId: workspaceIdOf(body.access_token), token: body.access_token, refreshToken: body.refresh_token };
}

/** The `workspace_id` claim of an access-token JWT. Not verified: the API checks the signature, we only label the login. */
export function workspaceIdOf(jwt: string): string | null {
  const payload = jwt.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return isObject(claims) && typeof claims.workspace_id === 'string' ? claims.workspace_id : null;
  } catch {
    return null;
  }
}
