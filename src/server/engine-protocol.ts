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
}

export type EngineRequest =
  | { kind: 'open' }
  /** Raw frontend protocol bytes, run as one batch. */
  | { kind: 'exec'; bytes: Uint8Array }
  /** Every shipped extension's files into the instance (see engine-extensions.ts). */
  | { kind: 'catalog' }
  /** `rollback` is a Query message run first if a transaction is open. */
  | { kind: 'close'; rollback: Uint8Array };

export type EngineReply =
  | { kind: 'opened'; parameterStatus: [string, string][]; roles: RoleRecord[] }
  | { kind: 'chunk'; data: Uint8Array }
  /** `roles` when the batch may have changed them (see engine-roles.ts). */
  | { kind: 'done'; data: Uint8Array; inTransaction: boolean; roles?: RoleRecord[] }
  | { kind: 'closed' }
  | { kind: 'failed'; message: string; code?: string; hint?: string };
