import { spawn } from 'node:child_process';

/**
 * Handing a URL to the desktop: the clipboard (`create-db --copy`) and the browser (`--open`,
 * `ppg login`). Both are conveniences: a missing tool is reported, never fatal, since the URL is
 * printed anyway.
 */

/** The clipboard tools create-db tries, per platform, in its order. */
function clipboardCommands(): Array<[string, string[]]> {
  if (process.platform === 'darwin') return [['pbcopy', []]];
  if (process.platform === 'win32') return [['clip', []]];
  return [
    ['wl-copy', []],
    ['xclip', ['-selection', 'clipboard']],
    ['xsel', ['--clipboard', '--input']],
  ];
}

/** Copies `text` with the first clipboard tool that runs. Resolves with the tool's name, or undefined when none worked. */
async function copyToClipboard(text: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const [command, args] of clipboardCommands()) {
    if (await pipeInto(command, args, text, env)) return command;
  }
  return undefined;
}

/** The tools copyToClipboard looks for, for the message when none is there. */
function clipboardToolNames(): string[] {
  return clipboardCommands().map(([command]) => command);
}

function pipeInto(command: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'], env });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/**
 * Opens `url` in the default browser, best effort (a server has no xdg-open; upstream crashes there).
 * Returns false when no opener could be started.
 */
export function openInBrowser(url: string): Promise<boolean> {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
      child.on('error', () => resolve(false));
      child.on('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

/**
 * `create-db --copy/--open`: copies the connection string and opens the claim URL. Returns one line
 * per action for stderr; never fails (the URLs are printed anyway). `PPG_NO_BROWSER` keeps the browser shut.
 */
export async function handOffUrls(options: { copy: boolean; open: boolean; connectionString: string | null; claimUrl: string; env: NodeJS.ProcessEnv }): Promise<string[]> {
  const notices: string[] = [];
  if (options.copy) {
    if (options.connectionString === null) notices.push('warning: --copy: there is no connection string yet (the database is still provisioning).');
    else {
      const tool = await copyToClipboard(options.connectionString, options.env);
      notices.push(
        tool ? `Copied the connection string to the clipboard (${tool}).` : `warning: --copy: no clipboard tool found (tried ${clipboardToolNames().join(', ')}); copy the connection string printed above.`,
      );
    }
  }
  if (options.open) {
    if (options.env.PPG_NO_BROWSER) notices.push('warning: --open: not opening a browser (PPG_NO_BROWSER is set); open the claim URL printed above.');
    else if (await openInBrowser(options.claimUrl)) notices.push('Opened the claim URL in the browser.');
    else notices.push('warning: --open: no browser opener could be started; open the claim URL printed above.');
  }
  return notices;
}
