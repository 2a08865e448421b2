import type { InstanceRecord } from '../state/instance-record.js';

/** What the daemon entry needs to know; passed from the parent as JSON in PPG_DAEMON_CONFIG. */
export interface DaemonConfig {
  stateRoot: string;
  name: string;
  /** Used only when the instance has no record yet; an existing record keeps its project. */
  projectDir: string;
  /** `--port`: strict; fails with PORT_IN_USE instead of picking another one. */
  port?: number;
  /** Folder for the Unix-domain socket (PPG_DEV_SOCKET_DIR, read by the CLI side); none when undefined. */
  socketDir?: string;
  /** Where the PGlite template is cached. Default: `templates/` in the state root. */
  templateCacheDir?: string;
  /** First port tried when the instance has none yet (PPG_DEV_BASE_PORT, read by the CLI side). */
  basePort?: number;
  /** Echo server log lines to stderr as well (foreground `--debug`). */
  debug?: boolean;
  /**
   * Wait for the parent's `data-placed` message before claiming the instance: `ppg dev branch` forks the
   * daemon while it still copies the data, so that the daemon's start-up overlaps the copy. A parent that
   * goes away first (the copy failed) ends the daemon without it touching the instance.
   */
  awaitData?: boolean;
}

/** The one IPC message a forked daemon sends its parent. */
export type DaemonMessage =
  | { type: 'ready'; record: InstanceRecord }
  | { type: 'error'; code: string; message: string; hint?: string };

/** The one IPC message a parent may send its daemon (see DaemonConfig.awaitData). */
export interface DataPlacedMessage {
  type: 'data-placed';
}

export const DAEMON_CONFIG_ENV = 'PPG_DAEMON_CONFIG';

export function isDaemonMessage(value: unknown): value is DaemonMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'error';
}
