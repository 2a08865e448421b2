import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { instancePaths, resolveStateRoot } from '../../state/state-paths.js';
import { PpgError } from '../../ppg-error.js';

export function registerDevLogs(dev: Command, io: CliIo): void {
  dev
    .command('logs')
    .description("print an instance's daemon log")
    .argument('<name>', 'instance name')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .action(async (name: string, options: { follow?: boolean }) => {
      const { streamLog } = await import('../../instances/daemon-log.js');
      const { resolveTargets } = await import('../../instances/instance-targets.js');
      const root = resolveStateRoot(io.env);
      const [target] = await resolveTargets(root, [name]);
      if (target === undefined || target !== name) {
        throw new PpgError('UNKNOWN_INSTANCE', `'${name}' is not one instance name`, { hint: 'logs takes one exact name; see: ppg dev ls', exitCode: 2 });
      }
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await streamLog(instancePaths(root, target), (text) => io.stdout.write(text), {
          follow: Boolean(options.follow),
          signal: stop.signal,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
