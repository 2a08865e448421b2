import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PpgError } from '../ppg-error.js';
import { credentialsPath, type CloudEndpoints } from './cloud-endpoints.js';
import { writeStoredLogin, type StoredLogin } from './credentials-store.js';
import { openInBrowser } from './desktop-handoff.js';
import { buildAuthorizeUrl, createPkce, exchangeCode } from './oauth.js';

export interface LoginOptions {
  endpoints: CloudEndpoints;
  env: NodeJS.ProcessEnv;
  /** Called with the URL to open, before waiting; the caller prints it (a browser may not exist). */
  onUrl: (url: string) => void;
  /** Try to open a browser too. Failure to open one is ignored: the printed URL is the fallback. */
  openBrowser: boolean;
  /** How long to wait for the callback. Default 5 minutes. */
  timeoutMs?: number;
}

const CALLBACK_PATH = '/auth/callback';

/**
 * OAuth 2.0 authorization-code flow with PKCE and a loopback callback (RFC 8252): listens on
 * 127.0.0.1 on a random port, sends the user to `{auth}/authorize`, checks `state` on the callback,
 * exchanges the code at `{auth}/token` and stores the tokens (0600). The listener is closed on every path.
 * Fails with `login_denied`, `login_state_mismatch`, `login_timeout` or the token endpoint's errors.
 */
export async function loginWithBrowser(options: LoginOptions): Promise<StoredLogin> {
  const pkce = createPkce();
  let settle: Settle | undefined;
  const codeArrived = new Promise<Callback>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Marked as handled so a rejection that arrives while we are not awaiting it is not "unhandled".
  codeArrived.catch(() => undefined);
  const server = createServer((request, response) => handleCallback(request, response, pkce.state, settle!));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const timer = setTimeout(
    () => settle!.reject(new PpgError('LOGIN_TIMEOUT', 'timed out waiting for the browser login', { hint: 'run `ppg login` again and finish the login in the browser' })),
    options.timeoutMs ?? 5 * 60_000,
  );
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${CALLBACK_PATH}`;
    const url = buildAuthorizeUrl(options.endpoints, redirectUri, pkce);
    options.onUrl(url);
    // Failure to open one is ignored: the URL is already printed.
    if (options.openBrowser) void openInBrowser(url);
    const callback = await codeArrived;
    // The browser is told "Success" only once the code is exchanged and the tokens are stored.
    try {
      const login = await exchangeCode(options.endpoints, callback.code, redirectUri, pkce.verifier);
      await writeStoredLogin(credentialsPath(options.env), login);
      answer(callback.response, true);
      return login;
    } catch (error) {
      answer(callback.response, false);
      throw error;
    }
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Callback {
  code: string;
  /** Held open until the outcome is known. */
  response: ServerResponse;
}

interface Settle {
  resolve: (callback: Callback) => void;
  reject: (error: Error) => void;
}

function answer(response: ServerResponse, ok: boolean): void {
  response
    .writeHead(ok ? 200 : 400, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' })
    .end(`<!doctype html><title>ppg login</title><p>${ok ? 'Success! You may now close this page.' : 'Login failed. Return to the terminal.'}</p>`);
}

function handleCallback(request: IncomingMessage, response: ServerResponse, expectedState: string, settle: Settle): void {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== CALLBACK_PATH) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
    return;
  }
  const error = url.searchParams.get('error');
  const code = url.searchParams.get('code');
  let failure: PpgError | undefined;
  if (error) {
    const description = url.searchParams.get('error_description');
    failure = new PpgError('LOGIN_DENIED', `the login was not completed: ${description ?? error}`, { hint: 'run `ppg login` again' });
  } else if (url.searchParams.get('state') !== expectedState) {
    failure = new PpgError('LOGIN_STATE_MISMATCH', 'the login callback carried the wrong state (possible CSRF); nothing was stored', { hint: 'run `ppg login` again' });
  } else if (!code) {
    failure = new PpgError('LOGIN_DENIED', 'the login callback carried no authorization code', { hint: 'run `ppg login` again' });
  }
  if (failure) {
    answer(response, false);
    settle.reject(failure);
  } else {
    settle.resolve({ code: code as string, response });
  }
}
