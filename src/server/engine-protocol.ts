/**
 * The messages between an Engine (main thread) and its worker (engine-worker.ts). The worker answers
 * requests one at a time and in order; an `exec` may send `chunk`s before its `done`.
 */
import type { RoleRecord } from './engine-roles.js';

/** A compiled WebAssembly.Module (lib.dom's WebAssembly types are not in this project's lib). */
export type CompiledWasm = object;

export interface EngineWorkerData {
  dataDir: string;
  /** PGlite's WASM, compiled once in the main thread and shared by every worker. */
  wasmModule?: CompiledWasm;
  /**
   * One state per request slot (see `exec`'s `slot`): QUEUED when sent; the worker moves it to STARTED
   * before running the request, the main thread to SKIP to withdraw a request not yet started. Whoever
   * changes it first (compare-and-exchange) decides.
   */
  slots?: Int32Array;
}

export const SLOT = { QUEUED: 0, STARTED: 1, SKIP: 2 } as const;

export type EngineRequest =
  | { kind: 'open' }
  /**
   * Raw frontend protocol bytes, run as one batch. `detached`: sent while other clients' batches may follow it
   * (pipelined), so it must leave the engine idle; if it does not, the worker rolls back and says `leftOpen`.
   */
  | { kind: 'exec'; bytes: Uint8Array; detached?: boolean; slot?: number }
  /** Every shipped extension's files into the instance (see engine-extensions.ts). */
  | { kind: 'catalog' }
  /**
   * `rollback` is a Query message run first if a transaction is open. `prepare`: the thread stays and starts
   * PGlite again for the same data directory, up to where it reads it, for a later 'open'.
   */
  | { kind: 'close'; rollback: Uint8Array; prepare?: true };

export type EngineReply =
  | { kind: 'opened'; parameterStatus: [string, string][]; roles: RoleRecord[] }
  | { kind: 'chunk'; data: Uint8Array }
  /** `roles` when the batch may have changed them (see engine-roles.ts); `leftOpen`: see `exec`. */
  | { kind: 'done'; data: Uint8Array; inTransaction: boolean; roles?: RoleRecord[]; leftOpen?: true }
  | { kind: 'closed' }
  /** An `exec` withdrawn through its slot before it started: it never ran. */
  | { kind: 'skipped' }
  | { kind: 'failed'; message: string; code?: string; hint?: string };
