import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';

/** `ppg login`: browser login (OAuth 2.0 + PKCE) to Prisma; the tokens are stored for `ppg init --db`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('log in to Prisma in the browser and store the tokens (CI: set PRISMA_SERVICE_TOKEN instead)')
    .option('--no-browser', 'only print the URL; do not try to open a browser')
    .addHelpText(
      'after',
      `
ppg-dev has no OAuth client registered with Prisma yet. The browser login works only with a client id
you supply; without one, the login server will refuse the default placeholder id. For scripts and CI,
and whenever in doubt, use a service token instead: no login needed.

Environment:
  PRISMA_SERVICE_TOKEN  workspace service token (Console → Workspace Settings → Service Tokens); wins over a login
  PPG_OAUTH_CLIENT_ID   OAuth public client id (PKCE) to log in with (default: the placeholder ppg-dev-cli)
  PPG_AUTH_URL          OAuth server (default https://auth.prisma.io)
  PPG_CONFIG_DIR        where the tokens are stored (default: the ppg-dev config folder)`,
    )
    .action(async (flags: { browser: boolean }) => {
      const timeout = Number(io.env.PPG_LOGIN_TIMEOUT_MS);
      const { credentialsPath, resolveEndpoints } = await import('../../cloud/cloud-endpoints.js');
      const { loginWithBrowser } = await import('../../cloud/login-flow.js');
      if (!io.env.PPG_OAUTH_CLIENT_ID) {
        writeLine(io.stderr, 'note: ppg-dev has no registered OAuth client; set PPG_OAUTH_CLIENT_ID, or use PRISMA_SERVICE_TOKEN instead of logging in.');
      }
      const login = await loginWithBrowser({
        endpoints: resolveEndpoints(io.env),
        env: io.env,
        onUrl: (url) => {
          writeLine(io.stderr, 'Open this URL in your browser to log in:');
          writeLine(io.stdout, url);
        },
        // Only a person at a terminal can use a browser we open; in CI the printed URL is enough.
        openBrowser: flags.browser && io.isTTY && !io.env.PPG_NO_BROWSER,
        ...(timeout > 0 ? { timeoutMs: timeout } : {}),
      });
      writeLine(io.stderr, `Logged in${login.workspaceId ? ` to workspace ${login.workspaceId}` : ''}. Tokens stored in ${credentialsPath(io.env)}.`);
      if (io.env.PRISMA_SERVICE_TOKEN) writeLine(io.stderr, 'warning: PRISMA_SERVICE_TOKEN is set and takes precedence over this login.');
    });
}
