import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ensureTemplate } from '../server/data-template.js';
import { isValidName } from '../state/instance-name.js';
import { makeSpare } from '../state/spare-copy.js';
import { snapshotPaths, snapshotsDir } from '../state/state-paths.js';

/** Resolves once the server at `url` has answered `select 1` (its main database is open). */
async function answers(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 60_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface SpareKeeper {
  /**
   * Makes the missing spares in the background; calls while a round runs are folded into one more round.
   * A daemon that exits meanwhile leaves at most a staging folder, which the next round sweeps.
   */
  refill(): void;
}

export interface SpareKeeperOptions {
  stateRoot: string;
  instance: string;
  templateCacheDir: string;
  /** The instance's main server: a round starts once it answers (see below). */
  serverUrl: string;
  log: (line: string) => void;
}

/**
 * Keeps the spare copies (state/spare-copy.ts) that this instance's reset and restore take: the template's
 * (the next reset's main database) and each of its snapshots'. reset and restore take one and leave the
 * remaking here, in the daemon, after its hold is released: in the command it would copy 40–100 MB more
 * before the command returns. A round waits until the server answers a query: right after a hold the
 * server reopens its main database, and the copies would hold up its file reads (the copies fill libuv's
 * thread pool, which the engine threads share). Failures only mean a later command copies instead.
 */
export function startSpareKeeper(options: SpareKeeperOptions): SpareKeeper {
  const { stateRoot, instance, templateCacheDir, log } = options;
  let running: Promise<void> | null = null;
  let again = false;
  const round = async (): Promise<void> => {
    await answers(options.serverUrl);
    const sources = [await ensureTemplate(templateCacheDir)];
    for (const name of await readdir(snapshotsDir(stateRoot, instance)).catch(() => [] as string[])) {
      if (!isValidName(name)) continue; // staging folders of a save under way
      const snapshot = snapshotPaths(stateRoot, instance, name);
      if (await stat(snapshot.record).then(() => true, () => false)) sources.push(snapshot.data);
    }
    for (const source of sources) await makeSpare(source);
  };
  const loop = async (): Promise<void> => {
    do {
      again = false;
      await round().catch((error: unknown) => log(`spare copies: ${error instanceof Error ? error.message : String(error)}`));
    } while (again);
    running = null;
  };
  return {
    refill() {
      if (running) again = true;
      else running = loop();
    },
  };
}
