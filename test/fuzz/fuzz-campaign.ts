import fc from 'fast-check';
import { FuzzTarget } from './fuzz-target.js';
import type { ProtocolState } from './protocol-states.js';
import { InvariantError } from './server-health.js';
import { checkRecovery, describeStorm, runStorm, stormIn } from './storm.js';
import { runSession, split, validSession, type SessionScript, type Split } from './valid-sessions.js';

/**
 * Runs fast-check properties against a FuzzTarget: one per protocol state (storms starting there) and one
 * for split delivery of valid sessions. Every failure is reported with the seed that replays it
 * (`npm run fuzz -- --seed S`), then the server is replaced and the campaign goes on.
 */
export class TargetHolder {
  private target: FuzzTarget | null = null;
  restarts = 0;

  /** The current server, or a new one if the last case broke it. */
  async get(): Promise<FuzzTarget> {
    if (this.target && !this.target.broken) return this.target;
    if (this.target) {
      await this.target.close();
      this.restarts++;
    }
    this.target = await FuzzTarget.start();
    return this.target;
  }

  async close(): Promise<void> {
    await this.target?.close();
    this.target = null;
  }
}

export interface PropertyOutcome {
  name: string;
  seed: number;
  cases: number;
  /** Empty when the property held. */
  failure: string;
}

export interface PropertyOptions {
  seed: number;
  numRuns: number;
  /** Shrink a counterexample (each step may restart the server) or stop at the first failure. */
  shrink: boolean;
  /** The command that replays this property's runs, printed with a failure. */
  replay: string;
}

/** Storms whose main connection starts in `state`. */
export async function checkStorms(holder: TargetHolder, state: ProtocolState, options: PropertyOptions): Promise<PropertyOutcome> {
  let cases = 0;
  const property = fc.asyncProperty(stormIn(state), async (storm) => {
    const target = await holder.get();
    cases++;
    try {
      await runStorm(target, storm);
    } catch (error) {
      target.broken = true;
      const report = `${message(error)}\nstorm:\n${describeStorm(storm)}\nserver stderr (tail):\n${target.stderr().slice(-2000)}`;
      progress(`case failed (storms from ${state}, seed ${options.seed}):\n${report}`);
      throw new Error(report);
    }
  });
  return outcome(`storms from ${state}`, options, await fc.check(property, runParameters(options)), () => cases);
}

/** Valid sessions delivered whole and split must get the same replies. */
export async function checkSplitSessions(holder: TargetHolder, options: PropertyOptions): Promise<PropertyOutcome> {
  let cases = 0;
  const property = fc.asyncProperty(validSession, split, async (script: SessionScript, how: Split) => {
    const target = await holder.get();
    cases++;
    try {
      target.healthy.start();
      let whole: string[];
      let cut: string[];
      try {
        whole = await runSession(target.port, script, { kind: 'whole' });
        cut = await runSession(target.port, script, how);
      } finally {
        const violations = await target.healthy.stop();
        if (violations.length > 0) throw new InvariantError(violations.join('; '));
      }
      const at = firstDifference(whole, cut);
      if (at >= 0) {
        throw new InvariantError(`replies differ at message ${at}: whole ${whole[at] ?? '(none)'} vs split ${cut[at] ?? '(none)'}`);
      }
      await checkRecovery(target);
    } catch (error) {
      if (error instanceof InvariantError) target.broken = true;
      const report = `${message(error)}\nsession: ${script.steps.join(' | ')}\nsplit: ${JSON.stringify(how)}`;
      progress(`case failed (split sessions, seed ${options.seed}):\n${report}`);
      throw new Error(report);
    }
  });
  return outcome('split delivery of valid sessions', options, await fc.check(property, runParameters(options)), () => cases);
}

function runParameters(options: PropertyOptions): fc.Parameters<unknown> {
  return { seed: options.seed, numRuns: options.numRuns, endOnFailure: !options.shrink };
}

function outcome(name: string, options: PropertyOptions, details: fc.RunDetails<unknown>, cases: () => number): PropertyOutcome {
  if (!details.failed) return { name, seed: options.seed, cases: cases(), failure: '' };
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return {
    name,
    seed: options.seed,
    cases: cases(),
    failure: `${name}: fast-check seed ${details.seed}, path ${details.counterexamplePath ?? '-'} (replay: ${options.replay})\n${error}`,
  };
}

/** Progress and findings go straight to stderr, so a long run shows them as they happen. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function firstDifference(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
