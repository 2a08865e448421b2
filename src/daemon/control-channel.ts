import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * The channel between a running daemon and `ppg dev reset/snapshot/branch` in another process: a local
 * socket beside the instance's files (a named pipe on Windows). Only the owner can reach it: the socket
 * file is 0600 in the user's state directory. One request per connection, newline-delimited JSON:
 *
 *   → {"op":"hold","mode":"wait"|"terminate","shadow":bool,"waitMs"?:n}    quiesce the servers (DbServer.quiesce)
 *   ← {"held":true}                                            the caller may now copy or replace files
 *   → {"op":"release"}      (or the connection closes: a caller that dies never leaves the instance held)
 *   ← {"released":true}                                        clients continue; engines reopen
 *   ← {"error":{"code","message","hint"}}                      instead of either answer
 *
 * The caller does the file work itself, so the daemon knows nothing of snapshots or resets.
 */
export type HoldMode = 'wait' | 'terminate';

export interface HoldRequest {
  op: 'hold';
  /** `wait`: clients wait and are kept; `terminate`: they get FATAL 57P01 (reset, restore). */
  mode: HoldMode;
  /** Also quiesce the shadow database server (a reset of everything empties it too). */
  shadow: boolean;
  /** `wait`: how long open transactions are waited for before INSTANCE_BUSY (default: the server's, 20 s). */
  waitMs?: number;
}

export type ControlReply =
  | { held: true }
  | { released: true }
  | { error: { code: string; message: string; hint?: string } };

/** sun_path holds 104–108 bytes; a longer state path gets its socket in the temp folder instead. */
const MAX_SOCKET_PATH = 100;

/** Where the daemon of the instance in `instanceDir` listens; both sides compute it the same way. */
export function controlSocketPath(instanceDir: string): string {
  const id = createHash('sha256').update(path.resolve(instanceDir)).digest('hex').slice(0, 24);
  if (process.platform === 'win32') return `\\\\.\\pipe\\ppg-dev-${id}`;
  const beside = path.join(instanceDir, 'control.sock');
  return Buffer.byteLength(beside) <= MAX_SOCKET_PATH ? beside : path.join(os.tmpdir(), `ppg-dev-${id}.sock`);
}
