import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';

/** `ppg login`: browser login (OAuth 2.0 + PKCE) to Prisma; the tokens are stored for `ppg init --db`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('log in to Prisma in the browser and store the tokens (CI: set PRISMA_SERVICE_TOKEN instead)')
    .option('--no-browser', 'only print the URL; do not try to open a browser')
    .action(async (flags: { browser: boolean }) => {
      const timeout = Number(io.env.PPG_LOGIN_TIMEOUT_MS);
      const { credentialsPath, resolveEndpoints } = await import('../../cloud/cloud-endpoints.js');
      const { loginWithBrowser } = await import('../../cloud/login-flow.js');
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
