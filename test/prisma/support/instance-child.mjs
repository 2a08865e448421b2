// Runs a ppg-dev instance the way the daemon will: main and shadow wire servers plus the Prisma HTTP
// endpoint, all in this one process. Tests run it as a child because PGlite blocks its event loop,
// which would stall a client living in the same process. Prints one JSON line when ready; exits on
// SIGTERM after closing everything. Needs `npx tsc -p .` first (imports dist/).
import path from 'node:path';

const [dataDir, templateCacheDir, name, optionsJson] = process.argv.slice(2);
const extra = JSON.parse(optionsJson ?? '{}');
const { startDbServer } = await import('../../../dist/src/server/db-server.js');
const { startPrismaHttpServer } = await import('../../../dist/src/prisma/prisma-http-server.js');
const { buildPrismaDevUrls } = await import('../../../dist/src/prisma/prisma-dev-urls.js');

const log = (line) => process.stderr.write(`${line}\n`);
const main = await startDbServer({ dataRoot: path.join(dataDir, 'main'), templateCacheDir, log });
const shadow = await startDbServer({ dataRoot: path.join(dataDir, 'shadow'), templateCacheDir, log });
// URLs as they will be printed; the HTTP port is filled in by the HTTP server itself.
const tcp = buildPrismaDevUrls({ name, httpPort: 1, databasePort: main.port, shadowDatabasePort: shadow.port });
const httpServer = await startPrismaHttpServer({
  name,
  databaseUrl: tcp.databaseUrl,
  shadowDatabaseUrl: tcp.shadowDatabaseUrl,
  log,
  ...extra,
});
process.stdout.write(`${JSON.stringify({ ...httpServer.urls, httpPort: httpServer.port, databasePort: main.port, shadowDatabasePort: shadow.port })}\n`);

let closing = false;
process.on('SIGTERM', async () => {
  if (closing) return;
  closing = true;
  await httpServer.close().catch((error) => log(String(error)));
  await Promise.allSettled([main.close(), shadow.close()]);
  process.exit(0);
});
