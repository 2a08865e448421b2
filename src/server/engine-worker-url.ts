import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CompiledWasm } from './engine-protocol.js';

declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledWasm> };

/**
 * Where the engine worker's script is, and PGlite's compiled WASM that every worker shares.
 *
 * Compiled, the worker sits beside this module. Run from the TypeScript sources (vitest), a worker
 * cannot load a `.ts` file, so it is taken from the build (`npm run build`) of the same checkout.
 */
export function engineWorkerUrl(): URL {
  const here = new URL('./engine-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  const source = fileURLToPath(import.meta.url);
  const root = source.slice(0, source.lastIndexOf('/src/server/'));
  const built = `${root}/dist/src/server/engine-worker.js`;
  if (!existsSync(built)) throw new Error(`the engine worker is not built (${built}); run npm run build`);
  return pathToFileURL(built);
}

let wasmModule: Promise<CompiledWasm> | null = null;

/**
 * Compiling PGlite's 8 MB of WASM takes a few hundred ms; compiled once here and handed to each worker,
 * an engine restart skips it.
 */
export function sharedWasmModule(): Promise<CompiledWasm> {
  // createRequire, not import.meta.resolve: vitest's module runner lacks the latter.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  wasmModule ??= readFile(path.join(path.dirname(entry), 'pglite.wasm')).then((bytes) => WebAssembly.compile(bytes));
  return wasmModule;
}
