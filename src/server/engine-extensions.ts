import type { PGlite } from '@electric-sql/pglite';
import { bundlesForExtensions, loadAllBundles, type ExtensionBundle } from './extension-catalog.js';

/**
 * Puts extension bundles into one running PGlite. PGlite's `extensions` option is read only by create(),
 * but all it does with a bundle is unpack it into the instance's in-memory Emscripten filesystem under
 * `/pglite` (and try to pre-compile its `.so` files); Postgres reads the control and SQL files when
 * CREATE EXTENSION runs and dlopens the library when a function of it is first called. So the same files
 * written into a running instance work just as well, and a database pays only for what it uses:
 *
 * - `installCatalog()` writes every bundle (the buffers are shared between instances, not copied), so
 *   CREATE EXTENSION of anything shipped, ALTER EXTENSION … UPDATE and pg_available_extensions work.
 *   Called before any statement that mentions extensions.
 * - `install(extensions)` writes only the bundles of those extensions (and what they require): what a
 *   database that already has them needs when it opens.
 *
 * Libraries are not pre-compiled here: Emscripten's asynchronous preload, run against a live instance,
 * fails for some side modules (citext, pg_trgm) and, mixed with others, left a GIN trigram scan hanging
 * after a restart (measured). dlopen compiles a library synchronously on its first use instead: ~150 ms
 * once for pgcrypto.so (3.2 MB), a few ms for the others.
 */

/** The slice of Emscripten's FS API used here. */
interface EmscriptenFs {
  analyzePath(path: string): { exists: boolean };
  mkdirTree(path: string): void;
  writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void;
}

export class EngineExtensions {
  private readonly written = new Set<string>();
  private catalogInstalled = false;

  constructor(private readonly db: PGlite) {}

  private get fs(): EmscriptenFs {
    return this.db.Module.FS as unknown as EmscriptenFs;
  }

  private get prefix(): string {
    return this.db.Module.WASM_PREFIX;
  }

  /** True once every bundle is in the instance. */
  get hasCatalog(): boolean {
    return this.catalogInstalled;
  }

  /** Writes every shipped bundle's files into the instance. Idempotent; the first call unpacks (~70 ms). */
  async installCatalog(): Promise<void> {
    if (this.catalogInstalled) return;
    for (const bundle of await loadAllBundles()) this.write(bundle);
    this.catalogInstalled = true;
  }

  /** Writes the bundles of `extensions` and of what they require. Unknown names are ignored. Idempotent. */
  async install(extensions: Iterable<string>): Promise<void> {
    for (const bundle of await bundlesForExtensions(extensions)) this.write(bundle);
  }

  /** Marks bundles PGlite itself installed at create() (see Engine.open). */
  markInstalled(bundleNames: Iterable<string>): void {
    for (const name of bundleNames) this.written.add(name);
  }

  private write(bundle: ExtensionBundle): void {
    if (this.written.has(bundle.name)) return;
    const fs = this.fs;
    for (const file of bundle.files) {
      const target = `${this.prefix}/${file.path}`;
      const dir = target.slice(0, target.lastIndexOf('/'));
      if (!fs.analyzePath(dir).exists) fs.mkdirTree(dir);
      // canOwn: MEMFS keeps our buffer instead of copying it; nothing ever writes to these files.
      fs.writeFile(target, file.data, { canOwn: true });
    }
    this.written.add(bundle.name);
  }
}
