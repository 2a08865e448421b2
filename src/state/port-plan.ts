/** The first port of `prisma dev`'s 51213–51216 family used for the database. */
export const DEFAULT_PORT = 51214;

/** PPG_DEV_BASE_PORT moves the default port (51214): for CI and for test runs side by side. */
export function basePortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const port = Number(env.PPG_DEV_BASE_PORT);
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}
/** How far past the default we look for a free port before giving up. */
const PORT_SEARCH_SPAN = 100;

export interface PortPlanInput {
  /** `--port`: the only candidate; it must be free. */
  requested?: number | undefined;
  /** The port this instance used last time: first choice, so DATABASE_URL stays stable. */
  previous?: number | null | undefined;
  /** Ports recorded by other instances: skipped so their URLs stay stable too. */
  reserved: ReadonlySet<number>;
  defaultPort?: number;
  span?: number;
}

/**
 * Pure: the ports to try, in order; the caller takes the first free one. An explicit port is
 * the only candidate (even if another instance recorded it: the caller's error names the holder).
 */
export function planPortCandidates(input: PortPlanInput): number[] {
  if (input.requested !== undefined) return [input.requested];
  const start = input.defaultPort ?? DEFAULT_PORT;
  const span = input.span ?? PORT_SEARCH_SPAN;
  const candidates: number[] = [];
  if (input.previous != null) candidates.push(input.previous);
  for (let port = start; port < start + span && port <= 65535; port++) {
    if (!input.reserved.has(port) && port !== input.previous) candidates.push(port);
  }
  return candidates;
}

/** Pure: who to blame for a taken port, for the error message. */
export function describePortHolder(port: number, runningOwners: ReadonlyMap<number, string>): string {
  const owner = runningOwners.get(port);
  return owner === undefined ? 'another process' : `instance '${owner}'`;
}
