// `npm run fuzz -- --seconds N [--seed S]`: runs the protocol fuzz suite (test/fuzz/protocol-fuzz.test.ts)
// for N seconds (default 60) with a new random seed per round, or with S, S+1, ... when --seed is given.
// The suite prints each failure with the seed that replays it, and a summary (cases, seconds, seeds).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const args = process.argv.slice(2);
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || !/^\d+$/.test(value)) {
    process.stderr.write(`error: ${flag} needs a whole number\nhint: npm run fuzz -- --seconds 600 --seed 42\n`);
    process.exit(2);
  }
  return value;
};
const unknown = args.filter((a, i) => a.startsWith('--') && a !== '--seconds' && a !== '--seed' && args[i - 1] !== '--seconds' && args[i - 1] !== '--seed');
if (unknown.length > 0) {
  process.stderr.write(`error: unknown option ${unknown[0]}\nhint: npm run fuzz -- --seconds N [--seed S]\n`);
  process.exit(2);
}
const seconds = valueOf('--seconds') ?? '60';
const seed = valueOf('--seed');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const vitest = path.join(root, 'node_modules', '.bin', 'vitest');
const child = spawn(vitest, ['run', 'test/fuzz/protocol-fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PPG_FUZZ_SECONDS: seconds, ...(seed === undefined ? {} : { PPG_FUZZ_SEED: seed }) },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
// Ctrl-C / SIGTERM reach vitest, which ends its worker and with it the servers it started.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
