import { PpgError } from '../ppg-error.js';
import { listInstanceNames } from '../state/inspect-instance.js';
import { matchNames } from '../state/instance-name.js';

/**
 * Resolves `<name|glob…>` (or `all`) to known instance names. An exact name or glob that matches
 * nothing is an error whose hint lists the known names; no patterns without `all` is a usage error.
 */
export async function resolveTargets(root: string, patterns: readonly string[], all = false): Promise<string[]> {
  const known = await listInstanceNames(root);
  if (all) return known;
  if (patterns.length === 0) {
    throw new PpgError('NO_TARGET', 'name at least one instance (names and globs such as "feature-*" work)', {
      hint: 'see the instances with: ppg dev ls',
      exitCode: 2,
    });
  }
  const { matched, unmatched } = matchNames(patterns, known);
  if (unmatched.length > 0) {
    const list = unmatched.map((pattern) => `'${pattern}'`).join(', ');
    throw new PpgError('UNKNOWN_INSTANCE', `no instance matches ${list}`, {
      hint: known.length === 0 ? 'there are no instances yet; start one with: ppg dev' : `known instances: ${known.join(', ')}`,
    });
  }
  return matched;
}
