import type { PGlite } from '@electric-sql/pglite';
import { EmscriptenBuiltinFilesystem } from '@electric-sql/pglite/basefs';

/**
 * PGlite's Node filesystem, mounted only when `gate` resolves. `PGlite.create` calls `initialSyncFs`
 * after it has loaded its file bundle and instantiated the WASM module, and before it looks at the data
 * directory or starts Postgres; waiting there lets an engine thread do that part (0.15–0.3 s) before it
 * knows it may touch the data directory: while a cancelled engine is still being ended, or while a reset
 * or restore still swaps the folders. Nothing reads the folder before the gate opens, so it may be
 * replaced, or not exist yet, until then.
 *
 * `gate` resolves with the database Postgres starts in (PGlite's `database` option is read before the
 * gate), or rejects to abandon the start (PGlite.create then rejects with that error).
 */

/**
 * What Postgres' start writes anyway: its shared memory (~25 MB with our settings, zeroed by
 * emscripten's mmap) and the first heap. A fresh WASM memory costs a page fault per 4 KB page on its
 * first write (~4.5 ms per MB on the 2-core VM: ~0.1 s of each start); taking them before the gate moves
 * that out of the wait. Measured: no larger resident size once Postgres runs (it touches more than this).
 */
const PREFAULT_BYTES = 32 * 1024 * 1024;
const PAGE_BYTES = 4096;

export class GatedNodeFS extends EmscriptenBuiltinFilesystem {
  constructor(
    private readonly rootDir: string,
    /** PGlite.paths.PGDATA: where PGlite expects the data directory inside its filesystem. */
    private readonly mountPoint: string,
    private readonly gate: Promise<string>,
  ) {
    super(rootDir);
  }

  override async initialSyncFs(): Promise<void> {
    const mod = (this.pg as PGlite).Module;
    const heap = mod.HEAPU8;
    // Writing each page's own first byte back: the page becomes resident, its content is unchanged.
    for (let i = 0; i < Math.min(heap.length, PREFAULT_BYTES); i += PAGE_BYTES) heap[i] = heap[i]!;
    const database = await this.gate;
    mod.ENV.PGDATABASE = database;
    mod.FS.mkdirTree(this.mountPoint);
    mod.FS.mount(mod.NODEFS, { root: this.rootDir }, this.mountPoint);
  }

  override async closeFs(): Promise<void> {
    // As PGlite's NodeFS does: flushes and closes the files emscripten has open.
    (this.pg as PGlite).Module.FS.quit();
  }
}
