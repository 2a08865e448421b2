import { open, rename, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstancePaths } from '../state/state-paths.js';

/** Past this size the log is rotated (one generation kept) before a daemon starts writing. */
const MAX_LOG_BYTES = 5 * 1024 * 1024;

export async function rotateLogIfLarge(paths: InstancePaths): Promise<void> {
  const size = await stat(paths.log).then((info) => info.size, () => 0);
  if (size > MAX_LOG_BYTES) await rename(paths.log, `${paths.log}.1`).catch(() => undefined);
}

/** The last `lines` lines of the daemon log ('' when there is none); for failure hints. */
export async function readLogTail(paths: InstancePaths, lines = 15): Promise<string> {
  const text = await readFrom(paths.log, 0).then((chunk) => chunk.text, () => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function readFrom(file: string, offset: number): Promise<{ text: string; end: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // Truncated or rotated underneath us: start again from the top.
    const start = size < offset ? 0 : offset;
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return { text: buffer.toString('utf8'), end: size };
  } finally {
    await handle.close();
  }
}

/**
 * Writes the whole log to `write`; with `follow`, keeps polling for new lines (every 200 ms) until
 * `signal` aborts. A missing log file is written as nothing (the daemon may not have run yet).
 */
export async function streamLog(
  paths: InstancePaths,
  write: (text: string) => void,
  options: { follow: boolean; signal?: AbortSignal },
): Promise<void> {
  let offset = 0;
  for (;;) {
    const chunk = await readFrom(paths.log, offset).catch(() => ({ text: '', end: offset }));
    if (chunk.text !== '') write(chunk.text);
    offset = chunk.end;
    if (!options.follow || options.signal?.aborted) return;
    await sleep(200, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) return;
  }
}
