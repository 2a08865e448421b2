const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Repeats within this window are swallowed: one Ctrl-C often arrives twice (e.g. `timeout` signals
 * the child and then its whole process group), and the default action would kill us mid-shutdown.
 */
const REPEAT_GRACE_MS = 2_000;

/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP (a closed terminal must not leave a crashed
 * instance behind). Shutdown runs once: repeats in the next 2 s are ignored, after that our
 * handlers are gone, so a deliberate second Ctrl-C during a stuck shutdown ends the process the
 * default way (the data stays safe: PGlite replays its WAL on the next start).
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const ignoreRepeat = (): void => undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const name of SHUTDOWN_SIGNALS) {
        process.off(name, onSignal);
        process.on(name, ignoreRepeat);
      }
      setTimeout(() => {
        for (const name of SHUTDOWN_SIGNALS) process.off(name, ignoreRepeat);
      }, REPEAT_GRACE_MS).unref();
      resolve(signal);
    };
    for (const name of SHUTDOWN_SIGNALS) process.on(name, onSignal);
  });
}
