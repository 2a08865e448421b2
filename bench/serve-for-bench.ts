/**
 * Child-process entry: runs ppg-dev's wire server alone in its own process (PGlite blocks its event loop, so it
 * must never share the benchmark driver's). Usage:
 *   node dist/bench/serve-for-bench.js --data-root DIR --template-cache DIR [--port N]
 * Prints one JSON line `{"url","port","pid"}` on stdout when serving (or `{"error"}` and exits 1), closes cleanly
 * on SIGTERM/SIGINT or when stdin ends (the driver died).
 */
import { startDbServer, type DbServer } from '../src/server/db-server.js';

function arg(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const dataRoot = arg('--data-root');
  if (!dataRoot) throw new Error('--data-root is required');
  let server: DbServer | null = null;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const closing = server ? server.close() : Promise.resolve();
    closing.then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`close failed: ${String(error)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();

  server = await startDbServer({
    dataRoot,
    templateCacheDir: arg('--template-cache'),
    host: '127.0.0.1',
    port: Number(arg('--port') ?? 0),
    log: process.env.BENCH_SERVER_LOG ? (line) => process.stderr.write(`[ppg] ${line}\n`) : undefined,
  });
  if (stopping) {
    await server.close();
    return;
  }
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, pid: process.pid })}\n`);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
