import type { Reporter, TestModule } from 'vitest/node';

/**
 * Fails the run when a test was skipped (used when CI is set): CI installs psql and pgbench, so a skip
 * there means a dependency went missing, not a choice.
 */
export default class NoSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.result().state === 'skipped') skipped.push(`${module.moduleId}: ${test.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(`\n${skipped.length} test(s) skipped, which CI does not allow:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
