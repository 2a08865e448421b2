// Runs one wire server in a child process, for tests where a server bug could block the event loop
// (a test in the same process could then never time out). Needs `npx tsc -p .` first (imports dist/).
// Prints one JSON line { port, url } when ready; closes on SIGTERM. Each line on stdin is answered with
// one line `status {"running":n,"waiting":n}` (the scheduler's state, for tests that wait on it).
const [dataRoot, templateCacheDir] = process.argv.slice(2);
const { startDbServer } = await import('../../dist/src/server/db-server.js');
const server = await startDbServer({ dataRoot, templateCacheDir, port: 0, log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify({ port: server.port, url: server.url })}\n`);
process.on('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  for (let i = 0; i < text.split('\n').length - 1; i++) {
    process.stdout.write(`status ${JSON.stringify({ running: server.runningStatements(), waiting: server.waitingClients() })}\n`);
  }
});
