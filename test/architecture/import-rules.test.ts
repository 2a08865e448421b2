import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules of docs/architecture.md, checked against every relative import in src/ (static and
 * dynamic). A folder may import only the folders listed for it; `root` is src/*.ts (ppg-error).
 */
const ALLOWED: Record<string, readonly string[]> = {
  entry: ['api', 'cloud'],
  api: ['instances', 'daemon', 'prisma', 'state', 'root'],
  cli: ['cloud', 'instances', 'state', 'env', 'root'],
  cloud: ['state', 'env', 'root'],
  instances: ['daemon', 'server', 'prisma', 'state', 'env', 'root'],
  daemon: ['server', 'prisma', 'state', 'root'],
  prisma: ['root'],
  server: ['state', 'root'],
  env: ['root'],
  state: ['root'],
  root: [],
};

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The layer a file belongs to: its first folder under src/ (cli/commands is part of cli); package-api.ts is the package's entry. */
function layerOf(file: string): string {
  const relative = path.relative(SRC, file);
  if (relative === 'package-api.ts') return 'entry';
  return relative.includes(path.sep) ? relative.split(path.sep)[0]! : 'root';
}

interface Edge { from: string; to: string; specifier: string }

function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\(\s*)'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((specifier) => ({ from: file, to: path.resolve(path.dirname(file), specifier), specifier }));
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);

describe('import rules (docs/architecture.md)', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges.length).toBeGreaterThan(100);
    expect(new Set(files.map(layerOf))).toEqual(new Set(Object.keys(ALLOWED)));
  });

  it('every import between folders goes down a layer, never up or sideways', () => {
    const broken = edges
      .filter((edge) => layerOf(edge.from) !== layerOf(edge.to))
      .filter((edge) => !ALLOWED[layerOf(edge.from)]!.includes(layerOf(edge.to)))
      .map((edge) => `${path.relative(SRC, edge.from)} imports ${edge.specifier} (${layerOf(edge.from)} → ${layerOf(edge.to)})`);
    expect(broken).toEqual([]);
  });

  it('no import leaves src/ and every imported file exists', () => {
    const known = new Set(files);
    const missing = edges.filter((edge) => !known.has(edge.to.replace(/\.js$/, '.ts'))).map((edge) => `${path.relative(SRC, edge.from)}: ${edge.specifier}`);
    expect(missing).toEqual([]);
  });

  it('commands do not import each other: register-commands.ts wires them', () => {
    const commands = path.join(SRC, 'cli', 'commands');
    const crossing = edges
      .filter((edge) => path.dirname(edge.from) === commands && path.dirname(edge.to) === commands)
      .map((edge) => `${path.basename(edge.from)} imports ${edge.specifier}`);
    expect(crossing).toEqual([]);
  });

  it('the allowed graph itself has no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (layer: string, trail: string[]): void => {
      if (done.has(layer)) return;
      if (visiting.has(layer)) throw new Error(`cycle: ${[...trail, layer].join(' → ')}`);
      visiting.add(layer);
      for (const next of ALLOWED[layer]!) visit(next, [...trail, layer]);
      visiting.delete(layer);
      done.add(layer);
    };
    for (const layer of Object.keys(ALLOWED)) visit(layer, []);
    expect(done.size).toBe(Object.keys(ALLOWED).length);
  });
});

describe('one of each', () => {
  it('the version constant is the one in package.json', async () => {
    const { PACKAGE_VERSION } = await import('../../src/package-version.js');
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(pkg.version);
    const copies = files.filter((file) => /['"]\d+\.\d+\.\d+['"]/.test(readFileSync(file, 'utf8')) && readFileSync(file, 'utf8').includes(`'${pkg.version}'`));
    expect(copies.map((file) => path.relative(SRC, file))).toEqual(['package-version.ts']);
  });
});
