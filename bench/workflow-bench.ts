import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchOptions } from './bench-options.js';
import type { PhaseContext } from './bench-phases.js';
import { onCleanup } from './cleanup.js';
import { emptyWorkflowSamples, measureWorkflowRepeat, prepareWorkflowInstance, type WorkflowInstance, type WorkflowSamples } from './instance-workflow.js';
import { ppgCli, printedUrl } from './ppg-cli.js';
import { emptyTestDbSamples, measureTestDatabases, type TestDbSamples } from './test-database-bench.js';

/**
 * The workflow figures of issue #11: test-database hand-out (against native CREATE/DROP DATABASE), then
 * reset, snapshot restore and branch of a running instance, all through the built CLI and the package API
 * on a state dir inside the bench's temp dir. Every daemon it starts is stopped at the end, also on failure
 * and on a signal (cleanup hook).
 */
export interface WorkflowResult {
  instance: WorkflowInstance | null;
  samples: WorkflowSamples;
  testDb: TestDbSamples;
  /** Target size of the workflow instance's data (smaller with --quick). */
  targetMb: number;
}

/** Below the ephemeral range, where the bench's own freePort() servers land; the port plan skips taken ones. */
function basePort(): number {
  return 20_000 + 100 * Math.floor(Math.random() * 100);
}

export async function measureWorkflow(ctx: PhaseContext, options: BenchOptions, nativeUrl: string | null): Promise<WorkflowResult> {
  const result: WorkflowResult = { instance: null, samples: emptyWorkflowSamples(), testDb: emptyTestDbSamples(), targetMb: options.workflowDataMb };
  // The state dir around the bench's template cache: the first start already built the template there, so no
  // instance here pays for an initdb.
  const home = path.dirname(ctx.templateCacheDir);
  const project = path.join(ctx.tempDir, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'package.json'), '{ "name": "ppg-bench-project" }\n');
  const cli = ppgCli(home, project, basePort());
  const unregister = onCleanup(() => cli.stopAll());
  try {
    const repeats = options.rounds * (options.quick ? 1 : 3);
    const handouts = options.rounds * (options.quick ? 3 : 10);

    const testsUrl = await ctx.attempt('test db: start a ppg dev instance', async () => {
      const url = printedUrl(await cli.run(['dev', '--detach', '--name', 'bench-tests']), '');
      if (!url) throw new Error('ppg dev --detach printed no URL');
      return url;
    });
    if (testsUrl) {
      await measureTestDatabases({ ppg: testsUrl, native: nativeUrl }, handouts, result.testDb, ctx.attempt);
      await cli.run(['dev', 'stop', 'bench-tests']).catch(() => undefined);
    }

    result.instance = await ctx.attempt(`workflow: fill an instance to ${options.workflowDataMb} MB and save a snapshot`, () => prepareWorkflowInstance(cli, options.workflowDataMb));
    if (result.instance) {
      for (let repeat = 1; repeat <= repeats; repeat++) await measureWorkflowRepeat(cli, result.instance, result.samples, repeat, ctx.attempt);
    }
  } finally {
    cli.stopAll();
    unregister();
  }
  return result;
}
