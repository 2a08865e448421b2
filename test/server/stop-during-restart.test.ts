import { describe, expect, it } from 'vitest';
import { dataRows } from '../../src/server/backend-output.js';
import { EngineInterruptedError } from '../../src/server/engine.js';
import { concatBytes, queryMessage, type ErrorFields } from '../../src/server/wire-messages.js';
import { rejectionOf, waitFor } from './async-checks.js';
import { sendCancel } from './cancel-request.js';
import { useFreshEngine } from './fresh-engine.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/**
 * A stop (cancel, statement_timeout) that falls due while the engine is still reopening after an earlier
 * one: the statement it aims at has not reached the new engine yet, and must not run there once it has.
 * Before this was handled, such a stop was dropped and the statement ran its full length. The reopen
 * itself does not count against a statement's statement_timeout.
 */
const STOP: ErrorFields = { severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' };
const BOUND_MS = 30_000;

describe('the engine asked to stop a request made while it restarts', () => {
  const engine = useFreshEngine('ppg-dev-stop-restart-');
  const run = (sql: string, owner: string) => {
    const chunks: Uint8Array[] = [];
    return engine().execStream(queryMessage(sql), (c) => chunks.push(c), { owner }).then(() => concatBytes(chunks));
  };

  it('withdraws it before it is sent; the next request of that owner runs', async () => {
    const first = run('select pg_sleep(60)', 'a');
    await waitFor(() => engine().interrupt(STOP, 'a'), 20_000, 'the first sleep to be in the engine');
    expect(await rejectionOf(first)).toBeInstanceOf(EngineInterruptedError);
    const started = Date.now();
    const second = run('select pg_sleep(60)', 'b');
    expect(engine().interrupt(STOP, 'b')).toBe(true);
    expect(await rejectionOf(second)).toBeInstanceOf(EngineInterruptedError);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(dataRows(await run("select 'b again'", 'b'))).toEqual([['b again']]);
  });

  it('a stop of an owner with nothing in the engine yet is kept for its next request of that run, and only that run', async () => {
    const generation = engine().generation;
    expect(engine().interrupt(STOP, 'c')).toBe(true);
    expect(await rejectionOf(run('select pg_sleep(60)', 'c'))).toBeInstanceOf(EngineInterruptedError);
    expect(engine().generation).toBe(generation);
    engine().interrupt(STOP, 'd');
    engine().scheduler.endRun('d');
    expect(dataRows(await run("select 'd'", 'd'))).toEqual([['d']]);
  });
});

describe('clients whose statement waits for a restart', () => {
  const shared = useSharedServer(startTestServer);
  const untilRunning = () => waitFor(() => shared.srv.server.runningStatements() > 0, 20_000, 'the statement to run');

  it("a cancel that comes while the engine reopens after another client's cancel stops the statement", async () => {
    const first = await shared.bag.connect();
    const second = await shared.bag.connect();
    const firstSleep = rejectionOf(first.query('select pg_sleep(60)'));
    await untilRunning();
    await sendCancel(shared.srv.port, first);
    expect((await firstSleep).code).toBe('57014');
    // The first client hears of its cancel as the restart begins: the second one's statement waits for it.
    const started = Date.now();
    const secondSleep = rejectionOf(second.query('select pg_sleep(60)'));
    await untilRunning();
    await sendCancel(shared.srv.port, second);
    const error = await secondSleep;
    expect(error.message).toBe('canceling statement due to user request');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect((await second.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
  });

  it("statement_timeout counts from the reopen: a short statement sent during another client's reopen runs; a long one is stopped on time", async () => {
    const first = await shared.bag.connect();
    const second = await shared.bag.connect();
    // Shorter than a reopen here (0.25 s and up), longer than a select on an idle engine.
    await second.query("set statement_timeout = '200ms'");
    const firstSleep = rejectionOf(first.query('select pg_sleep(60)'));
    await untilRunning();
    await sendCancel(shared.srv.port, first);
    expect((await firstSleep).code).toBe('57014');
    expect((await second.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    const started = Date.now();
    const error = await rejectionOf(second.query('select pg_sleep(60)'));
    expect(error.message).toBe('canceling statement due to statement timeout');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(shared.srv.server.runningStatements()).toBe(0);
  });
});
