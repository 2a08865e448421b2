/**
 * Resolves on the first SIGINT or SIGTERM. The handlers run once: they are removed on the first
 * signal, so a second Ctrl-C during a slow shutdown falls back to the default and ends the process
 * (the data is still safe: PGlite replays its WAL on the next start).
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
