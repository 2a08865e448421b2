import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from './processes.js';

/** The built CLI: the workflow figures go through the same code path a user's `ppg dev …` does. */
const BIN = fileURLToPath(new URL('../../bin/ppg.js', import.meta.url));

export interface PpgCli {
  /** The state directory (PPG_DEV_HOME) every command runs on: inside the bench's temp dir, never the user's. */
  home: string;
  /** Runs `ppg <args>` to completion; rejects on a non-zero exit with the last lines of its stderr. */
  run(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /**
   * `ppg dev stop --all`, then SIGKILL for any process still running on this state dir. Synchronous: the
   * daemons are detached (their own session), so the bench's child tracking never sees them, and this must
   * also work inside a signal handler.
   */
  stopAll(): void;
}

/**
 * Live processes started with this PPG_DEV_HOME (Linux /proc; none found elsewhere): the CLI commands and the
 * daemons they fork, which inherit the CLI's environment. Only the bench's temp dir is ever that home.
 */
function processesOn(home: string): number[] {
  const entry = `\0PPG_DEV_HOME=${home}\0`;
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      return pid !== process.pid && `\0${readFileSync(`/proc/${pid}/environ`, 'utf8')}\0`.includes(entry);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

/**
 * A CLI on its own state dir and port window. Sockets are off (PPG_DEV_SOCKET_DIR empty): /tmp or
 * /var/run/postgresql would be shared with whatever else runs on the machine.
 */
export function ppgCli(home: string, projectDir: string, basePort: number): PpgCli {
  const env = { ...process.env, PPG_DEV_HOME: home, PPG_DEV_BASE_PORT: String(basePort), PPG_DEV_SOCKET_DIR: '' };
  return {
    home,
    async run(args, timeoutMs = 180_000) {
      const result = await runCommand(process.execPath, [BIN, ...args], { env, cwd: projectDir, timeoutMs });
      if (result.code !== 0) throw new Error(`ppg ${args.join(' ')} exited with ${result.code ?? result.signal}: ${tail(result.stderr)}`);
      return result;
    },
    stopAll() {
      spawnSync(process.execPath, [BIN, 'dev', 'stop', '--all'], { env, cwd: projectDir, stdio: 'ignore', timeout: 60_000 });
      // A daemon forked by a command that a signal interrupted may still be booting: no record names it yet,
      // so stop --all cannot see it, and it would recreate its folder while the temp dir is being removed.
      for (const pid of processesOn(home)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

/** The URL a command printed (its last stdout line), or `fallback` when it printed none. */
export function printedUrl(result: CommandResult, fallback: string): string {
  return result.stdout.trim().split('\n').at(-1)?.trim() || fallback;
}
