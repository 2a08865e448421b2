import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

/**
 * The Postgres extensions ppg-dev can offer: the contrib bundles shipped inside the pinned
 * `@electric-sql/pglite` (`dist/*.tar.gz`) and pgvector from `@electric-sql/pglite-pgvector`. A bundle is
 * a tarball of files relative to PGlite's install prefix: `share/postgresql/extension/*.control|*.sql`
 * (what CREATE EXTENSION and pg_available_extensions read) and `lib/postgresql/*.so` (WASM side modules
 * that Postgres dlopens). Nothing is downloaded at run time; bundles are read from node_modules on first
 * use and kept in memory (4.7 MB unpacked for all of them, 3.2 MB of which is pgcrypto.so).
 */
const require = createRequire(import.meta.url);

export interface BundleFile {
  /** Relative to PGlite's install prefix, e.g. `lib/postgresql/citext.so`. */
  path: string;
  data: Uint8Array;
}

export interface ExtensionBundle {
  /** Tarball name without `.tar.gz`, e.g. `spi`, `uuid-ossp`, `vector`. */
  name: string;
  files: BundleFile[];
  /** Extensions (control files) in the bundle; empty for load-only modules such as auto_explain. */
  extensions: string[];
  /** Extension name → the extensions its control file `requires`. */
  requires: Map<string, string[]>;
}

/**
 * Bundles whose tarball is not named after the extension. Everything else is `<extension>.tar.gz`
 * (checked by the extensions test, which creates every extension of every bundle).
 */
const BUNDLE_OF_EXTENSION: Record<string, string> = {
  autoinc: 'spi',
  insert_username: 'spi',
  moddatetime: 'spi',
  refint: 'spi',
};

const gunzipAsync = promisify(gunzip);

/** Tarball paths by bundle name: PGlite's dist folder, then the pgvector package. */
let bundlePaths: Promise<Map<string, string>> | null = null;
const bundles = new Map<string, Promise<ExtensionBundle>>();

function listBundlePaths(): Promise<Map<string, string>> {
  bundlePaths ??= (async () => {
    const pgliteDist = path.dirname(require.resolve('@electric-sql/pglite'));
    const paths = new Map<string, string>();
    for (const file of (await readdir(pgliteDist)).sort()) {
      if (file.endsWith('.tar.gz')) paths.set(file.slice(0, -'.tar.gz'.length), path.join(pgliteDist, file));
    }
    paths.set('vector', path.join(path.dirname(require.resolve('@electric-sql/pglite-pgvector')), 'vector.tar.gz'));
    return paths;
  })();
  return bundlePaths;
}

/** Names of every bundle (not every extension: `spi` holds four). */
export async function bundleNames(): Promise<string[]> {
  return [...(await listBundlePaths()).keys()];
}

/** The tarball of a bundle, for PGlite's own `extensions` option. Rejects if there is no such bundle. */
export async function bundleTarball(name: string): Promise<URL> {
  const file = (await listBundlePaths()).get(name);
  if (!file) throw new Error(`no extension bundle named "${name}"`);
  return pathToFileURL(file);
}

/** Reads and unpacks one bundle (once per process). Rejects if there is no such bundle. */
export function loadBundle(name: string): Promise<ExtensionBundle> {
  let bundle = bundles.get(name);
  if (!bundle) {
    bundle = (async () => {
      const file = (await listBundlePaths()).get(name);
      if (!file) throw new Error(`no extension bundle named "${name}"`);
      return unpackBundle(name, await gunzipAsync(await readFile(file)));
    })();
    bundles.set(name, bundle);
    bundle.catch(() => bundles.delete(name));
  }
  return bundle;
}

/** Every bundle, unpacked (~70 ms the first time, mostly pgcrypto). */
export async function loadAllBundles(): Promise<ExtensionBundle[]> {
  return Promise.all((await bundleNames()).map((name) => loadBundle(name)));
}

/**
 * The bundles that provide `extensions` and everything their control files require. Names no bundle
 * provides are skipped: Postgres itself reports them (`extension "x" is not available`).
 */
export async function bundlesForExtensions(extensions: Iterable<string>): Promise<ExtensionBundle[]> {
  const known = await listBundlePaths();
  const found = new Map<string, ExtensionBundle>();
  const queue = [...extensions];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const extension = queue.shift()!;
    if (seen.has(extension)) continue;
    seen.add(extension);
    const bundleName = BUNDLE_OF_EXTENSION[extension] ?? extension;
    if (!known.has(bundleName)) continue;
    const bundle = await loadBundle(bundleName);
    found.set(bundle.name, bundle);
    queue.push(...(bundle.requires.get(extension) ?? []));
  }
  return [...found.values()];
}

function unpackBundle(name: string, tar: Uint8Array): ExtensionBundle {
  const files = untar(tar);
  const extensions: string[] = [];
  const requires = new Map<string, string[]>();
  const decoder = new TextDecoder();
  for (const file of files) {
    const control = /^share\/postgresql\/extension\/([^/]+)\.control$/.exec(file.path);
    if (!control) continue;
    extensions.push(control[1]!);
    const line = /^\s*requires\s*=\s*'([^']*)'/m.exec(decoder.decode(file.data));
    requires.set(control[1]!, line ? line[1]!.split(',').map((s) => s.trim()).filter(Boolean) : []);
  }
  return { name, files, extensions: extensions.sort(), requires };
}

/** Regular files of a ustar archive (the bundles are plain ustar; GNU long names are handled too). */
function untar(tar: Uint8Array): BundleFile[] {
  const files: BundleFile[] = [];
  const decoder = new TextDecoder();
  const text = (start: number, end: number) => {
    const field = tar.subarray(start, end);
    const nul = field.indexOf(0);
    return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
  };
  let offset = 0;
  let longName: string | null = null;
  while (offset + 512 <= tar.length && tar[offset] !== 0) {
    const size = parseInt(text(offset + 124, offset + 136).trim() || '0', 8);
    const type = String.fromCharCode(tar[offset + 156] || 0x30);
    const prefix = text(offset + 345, offset + 500);
    const name = longName ?? (prefix ? `${prefix}/${text(offset, offset + 100)}` : text(offset, offset + 100));
    const data = tar.subarray(offset + 512, offset + 512 + size);
    longName = null;
    if (type === 'L') longName = text(offset + 512, offset + 512 + size);
    else if (type === '0' && !name.split('/').pop()!.startsWith('.')) files.push({ path: name.replace(/^\.\//, ''), data });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
