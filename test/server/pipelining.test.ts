import { describe, expect, it } from 'vitest';
import { EngineInterruptedError, EngineRestartedError } from '../../src/server/engine.js';
import { dataRows, summarizeOutput } from '../../src/server/backend-output.js';
import { concatBytes, queryMessage, type ErrorFields } from '../../src/server/wire-messages.js';
import { rejectionOf, waitFor } from './async-checks.js';
import { sendCancel } from './cancel-request.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';
import { useFreshEngine } from './fresh-engine.js';

/**
 * Pipelining: a batch that cannot leave a transaction open or change session state lets go of the engine
 * as soon as it is sent, so the next client's batch waits in the engine thread instead of in line. Each
 * client still gets its own output, cancel and statement_timeout reach the right batch, and a restart
 * sends again what was queued behind the stopped batch.
 */
const STOP: ErrorFields = { severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' };

describe('the engine with requests queued behind each other', () => {
  const engine = useFreshEngine('ppg-dev-pipelining-');

  const run = (sql: string, owner: string, detached = false) => {
    const chunks: Uint8Array[] = [];
    return engine().execStream(queryMessage(sql), (c) => chunks.push(c), { owner, detached }).then((result) => ({ ...result, out: concatBytes(chunks) }));
  };

  it('a detached batch that leaves a transaction open anyway is rolled back before the next one runs, and says so', async () => {
    const opened = run("begin; create table left_open (v int); insert into left_open values (1); select 'a'", 'a', true);
    const next = run('select count(*) from pg_class where relname = \'left_open\'', 'b', true);
    const first = await opened;
    expect(first.leftOpen).toBe(true);
    expect(summarizeOutput(first.out).status).toBe('T');
    expect(dataRows((await next).out)).toEqual([['0']]);
    expect(engine().isInTransaction()).toBe(false);
    const plain = await run('select 1', 'c', true);
    expect(plain.leftOpen).toBe(false);
  });

  it('interrupt of a request queued behind a running one withdraws it; the running one and those behind go on', async () => {
    const generation = engine().generation;
    const running = run("select pg_sleep(0.2), 'a'", 'a');
    const queued = run('select pg_sleep(60)', 'b');
    const after = run("select 'c'", 'c');
    expect(engine().interrupt(STOP, 'b')).toBe(true);
    const stopped = await rejectionOf(queued);
    expect(stopped).toBeInstanceOf(EngineInterruptedError);
    expect(dataRows((await running).out)).toEqual([['', 'a']]);
    expect(dataRows((await after).out)).toEqual([['c']]);
    expect(engine().generation).toBe(generation);
  });

  it('interrupt of the running request restarts the engine; requests behind it are dropped unrun for their callers to send again', async () => {
    const generation = engine().generation;
    const running = run('select pg_sleep(60)', 'a');
    const behind = run("select 'b'", 'b', true);
    const withdrawnFirst = run('select pg_sleep(60)', 'c');
    expect(engine().interrupt(STOP, 'c')).toBe(true);
    expect(engine().interrupt(STOP, 'a')).toBe(true);
    expect(await rejectionOf(running)).toBeInstanceOf(EngineInterruptedError);
    expect(await rejectionOf(behind)).toBeInstanceOf(EngineRestartedError);
    expect(await rejectionOf(withdrawnFirst)).toBeInstanceOf(EngineInterruptedError);
    expect(engine().generation).toBe(generation + 1);
    expect(dataRows((await run("select 'again'", 'b', true)).out)).toEqual([['again']]);
  });
});

describe('pipelined clients over the wire', () => {
  const shared = useSharedServer(() => startTestServer());
  const running = (n: number) => waitFor(() => shared.srv.server.runningStatements() === n, 20_000, `${n} batches in the engine`);

  it('a plain SELECT of a second client is sent to the engine while the first client\'s statement runs; a cancel of the first leaves the second its answer', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    const sleeping = rejectionOf(a.query('select pg_sleep(60)'));
    await running(1);
    const answer = b.query("select 'b' as who");
    // Without pipelining b would wait in line and only one batch would be in the engine().
    await running(2);
    await sendCancel(shared.srv.port, a);
    expect((await sleeping).code).toBe('57014');
    expect((await answer).rows).toEqual([{ who: 'b' }]);
    expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('a cancel of a batch queued behind a running one answers it at once (57014) without stopping the running one', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect();
    const c = await shared.bag.connect();
    const first = rejectionOf(a.query('select pg_sleep(60)'));
    await running(1);
    const second = rejectionOf(b.query('select pg_sleep(60)'));
    await running(2);
    const third = c.query("select 'c' as who");
    await running(3);
    await sendCancel(shared.srv.port, b);
    const error = await second;
    expect(error.code).toBe('57014');
    expect(error.message).toBe('canceling statement due to user request');
    // a still runs (60 s): the cancel of b did not restart the engine().
    expect(shared.srv.server.runningStatements()).toBe(2);
    await sendCancel(shared.srv.port, a);
    expect((await first).code).toBe('57014');
    expect((await third).rows).toEqual([{ who: 'c' }]);
    expect((await b.query("select 'b again' as who")).rows).toEqual([{ who: 'b again' }]);
  });

  it('statement_timeout of a client whose batch waits behind a running one ends it on time, with the timeout\'s message', async () => {
    const a = await shared.bag.connect();
    const b = await shared.bag.connect({ options: '-c statement_timeout=300' });
    const first = rejectionOf(a.query('select pg_sleep(60)'));
    await running(1);
    const error = await rejectionOf(b.query('select pg_sleep(60)'));
    expect(error.code).toBe('57014');
    expect(error.message).toBe('canceling statement due to statement timeout');
    expect(shared.srv.server.runningStatements()).toBe(1);
    await sendCancel(shared.srv.port, a);
    expect((await first).code).toBe('57014');
  });

  it('many clients pipelining simple and extended queries each get exactly their own rows, in order', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => shared.bag.connect()));
    await clients[0]!.query('create table pipelined (client int, n int)');
    await Promise.all(clients.map(async (client, id) => {
      for (let n = 0; n < 60; n++) {
        if (n % 3 === 0) {
          const { rows } = await client.query(`select ${id} as id, ${n} as n, g from generate_series(1, ${n % 7}) g`);
          expect(rows).toEqual(Array.from({ length: n % 7 }, (_, i) => ({ id, n, g: i + 1 })));
        } else if (n % 3 === 1) {
          const { rows } = await client.query({ text: 'select $1::int as id, $2::int as n', values: [id, n] });
          expect(rows).toEqual([{ id, n }]);
        } else {
          await client.query({ name: `ins${id}`, text: 'insert into pipelined values ($1, $2)', values: [id, n] });
        }
      }
    }));
    const { rows } = await clients[0]!.query('select client, count(*)::int as c from pipelined group by client order by client');
    expect(rows).toEqual(clients.map((_, id) => ({ client: id, c: 20 })));
  });
});
