/**
 * Benchmark options from flags, falling back to environment variables:
 *   --duration S   / BENCH_DURATION   seconds per pgbench run (default 10; 3 with --quick)
 *   --rounds N     / BENCH_ROUNDS     rounds; each figure is the median over rounds (default 1)
 *   --quick        / BENCH_QUICK=1    smoke test: 3 s runs, 500 round trips
 *   --json         / BENCH_JSON=1     print one JSON document instead of the table
 *   --no-native    / BENCH_NO_NATIVE=1  skip native PostgreSQL even when installed
 *   --round-trips N / BENCH_ROUND_TRIPS sequential `select 1` round trips (default 2000)
 *   --data-mb N     / BENCH_DATA_MB    data in the instance that reset, snapshot restore and branch run on
 *                                      (default 100; 50 with --quick)
 *   --workflow      / BENCH_WORKFLOW=1 only the workflow rows of issue #11 (test databases, reset, snapshot
 *                                      restore, branch): no start-up, select 1, wire or pgbench rounds
 *   --load          / BENCH_LOAD=1     instead of the above: the load-and-churn run (load-churn.ts), --duration
 *                                      seconds (default 60) with --clients N connections (default 200)
 */
export interface BenchOptions {
  durationSeconds: number;
  rounds: number;
  quick: boolean;
  json: boolean;
  native: boolean;
  roundTrips: number;
  load: boolean;
  clients: number;
  workflowDataMb: number;
  workflowOnly: boolean;
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index >= 0) return argv[index + 1];
  const inline = argv.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function positiveNumber(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${what} must be a positive number, got "${text}"`);
  return value;
}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const known = new Set(['--duration', '--rounds', '--quick', '--json', '--no-native', '--round-trips', '--load', '--clients', '--data-mb', '--workflow', '--help']);
  for (const arg of argv) {
    if (arg.startsWith('--') && !known.has(arg.split('=')[0] as string)) throw new Error(`unknown option ${arg}`);
  }
  const quick = argv.includes('--quick') || truthy(env.BENCH_QUICK);
  const duration = positiveNumber(flagValue(argv, '--duration') ?? env.BENCH_DURATION, '--duration');
  const rounds = positiveNumber(flagValue(argv, '--rounds') ?? env.BENCH_ROUNDS, '--rounds');
  const roundTrips = positiveNumber(flagValue(argv, '--round-trips') ?? env.BENCH_ROUND_TRIPS, '--round-trips');
  const load = argv.includes('--load') || truthy(env.BENCH_LOAD);
  const clients = positiveNumber(flagValue(argv, '--clients') ?? env.BENCH_CLIENTS, '--clients');
  const dataMb = positiveNumber(flagValue(argv, '--data-mb') ?? env.BENCH_DATA_MB, '--data-mb');
  return {
    quick,
    load,
    clients: Math.round(clients ?? 200),
    durationSeconds: Math.max(1, Math.round(duration ?? (load ? 60 : quick ? 3 : 10))),
    rounds: Math.max(1, Math.round(rounds ?? 1)),
    json: argv.includes('--json') || truthy(env.BENCH_JSON),
    native: !(argv.includes('--no-native') || truthy(env.BENCH_NO_NATIVE)),
    roundTrips: Math.round(roundTrips ?? (quick ? 500 : 2000)),
    workflowDataMb: Math.round(dataMb ?? (quick ? 50 : 100)),
    workflowOnly: argv.includes('--workflow') || truthy(env.BENCH_WORKFLOW),
  };
}

export const USAGE = `usage: npm run bench -- [--duration S] [--rounds N] [--quick] [--json] [--no-native] [--round-trips N] [--data-mb N] [--workflow] [--load [--clients N]]`;
