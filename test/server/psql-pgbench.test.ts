import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './async-checks.js';
import { findBinary } from './find-binary.js';
import { ClientBag } from './shared-server.js';
import { startTestServer, type TestServer } from './test-server.js';

const PSQL = findBinary('psql');
const PGBENCH = findBinary('pgbench');
const noPsql = PSQL ? '' : ' (SKIPPED: psql not installed)';
const noPgbench = PGBENCH ? '' : ' (SKIPPED: pgbench not installed)';

let srv: TestServer;
let bag: ClientBag;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  srv = await startTestServer();
  bag = new ClientBag(srv.url);
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await bag.endAll();
});
afterAll(async () => srv?.cleanup());

interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs a client binary against the test server; SIGKILLs it after `timeoutMs` (a failure bound). */
function run(bin: string, args: string[], options: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, PGPASSWORD: 'postgres', PGHOST: '127.0.0.1', PGPORT: String(srv.port), PGUSER: 'postgres', PGDATABASE: 'postgres', PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '30' },
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    options.onSpawn?.(child);
  });
}

describe('psql', () => {
  it.skipIf(!PSQL)(`psql -c runs queries and reports errors with SQLSTATE${noPsql}`, async () => {
    const ok = await run(PSQL!, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', 'select 40 + 2']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('42');
    expect(ok.code).toBe(0);
    const bad = await run(PSQL!, ['-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-c', 'select 1/0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ERROR:\s+22012: division by zero/);
    // With a connection URL and a wrong password: 28P01.
    const wrong = await run(PSQL!, ['-X', '-c', 'select 1', `postgres://postgres:wrong@127.0.0.1:${srv.port}/postgres?sslmode=disable`]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed/);
  });

  it.skipIf(!PSQL)(`psql \\copy in and out round-trips a file byte for byte${noPsql}`, async () => {
    const input = path.join(srv.tempDir, 'in.tsv');
    const output = path.join(srv.tempDir, 'out.tsv');
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i}\tvalue ${i} ${'é'.repeat(i % 5)}\t${i % 3 === 0 ? '\\N' : String(i * 2)}`);
    await writeFile(input, `${lines.join('\n')}\n`);
    const res = await run(PSQL!, ['-X', '-v', 'ON_ERROR_STOP=1',
      '-c', 'create table psql_copy (id int primary key, label text, n int)',
      '-c', `\\copy psql_copy from '${input}'`,
      '-c', `\\copy (select * from psql_copy order by id) to '${output}'`,
      '-c', 'select count(*) from psql_copy']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('COPY 20000');
    expect(Buffer.compare(await readFile(output), await readFile(input))).toBe(0);
    // A failing \copy inside a transaction aborts it, as in Postgres.
    const failing = await run(PSQL!, ['-X', '-1', '-v', 'ON_ERROR_STOP=1', '-c', "insert into psql_copy values (-1, 'x', 1)", '-c', `\\copy psql_copy from '${input}'`]);
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toMatch(/duplicate key|23505/);
    const client = await bag.connect();
    expect((await client.query('select count(*)::int as n from psql_copy')).rows[0].n).toBe(20_000);
  });

  it.skipIf(!PSQL)(`psql up to 17 ends inline CSV COPY data with a \\. line: it is taken as the end, not as a row${noPsql}`, async () => {
    const client = await bag.connect();
    await client.query('create table psql_csv_end (a int, b text)');
    const copy = (sql: string, input: string) => run(PSQL!, ['-X', '-v', 'ON_ERROR_STOP=1', '-c', sql], { input });
    const csv = await copy('copy psql_csv_end from stdin (format csv)', '1,one\n2,"two, quoted"\n\\.\n');
    expect(csv.stderr).toBe('');
    expect(csv.stdout).toContain('COPY 2');
    const legacy = await copy('copy psql_csv_end from stdin with csv', '3,three\r\n\\.\r\n');
    expect(legacy.stderr).toBe('');
    expect(legacy.stdout).toContain('COPY 1');
    expect((await client.query('select a, b from psql_csv_end order by a')).rows).toEqual([
      { a: 1, b: 'one' }, { a: 2, b: 'two, quoted' }, { a: 3, b: 'three' },
    ]);
  });

  it.skipIf(!PSQL)(`Ctrl-C (SIGINT) on psql cancels its query waiting behind another client's transaction (57014)${noPsql}`, async () => {
    const holder = await bag.connect();
    await holder.query('create table if not exists psql_cancel (v int)');
    await holder.query('begin');
    await holder.query('insert into psql_cancel values (1)');
    let child: ChildProcess | undefined;
    const waiting = run(PSQL!, ['-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-c', 'insert into psql_cancel values (2)'], { onSpawn: (c) => (child = c) });
    await waitFor(() => srv.server.waitingClients() === 1, 20_000, "psql's insert to queue behind the transaction");
    child!.kill('SIGINT');
    const res = await waiting;
    expect(res.stderr).toMatch(/57014|canceling statement due to user request/);
    expect(res.code).not.toBe(0);
    await holder.query('commit');
    expect((await holder.query('select v from psql_cancel order by v')).rows).toEqual([{ v: 1 }]);
  });
});

describe('pgbench', () => {
  it.skipIf(!PGBENCH)(`pgbench -i -s 1, then tpcb-like -c 4 -t 100: 0 failed transactions and consistent balances${noPgbench}`, async () => {
    const init = await run(PGBENCH!, ['-i', '-s', '1', '-q'], { timeoutMs: 120_000 });
    expect(init.stderr).toMatch(/done in/);
    expect(init.code).toBe(0);
    const client = await bag.connect();
    expect((await client.query('select count(*)::int as n from pgbench_accounts')).rows[0].n).toBe(100_000);
    const bench = await run(PGBENCH!, ['-c', '4', '-j', '2', '-t', '100', '-n'], { timeoutMs: 120_000 });
    expect(bench.stderr).not.toMatch(/already exists|aborted|WARNING/);
    expect(bench.stdout).toMatch(/number of transactions actually processed: 400\/400/);
    expect(bench.stdout).toMatch(/number of failed transactions: 0/);
    expect(bench.code).toBe(0);
    const sums = await client.query(`select
      (select sum(abalance) from pgbench_accounts)::bigint as a,
      (select sum(bbalance) from pgbench_branches)::bigint as b,
      (select sum(tbalance) from pgbench_tellers)::bigint as t,
      (select sum(delta) from pgbench_history)::bigint as h,
      (select count(*) from pgbench_history)::int as n`);
    const row = sums.rows[0] as { a: string; b: string; t: string; h: string; n: number };
    expect(row.n).toBe(400);
    expect(row.a).toBe(row.h);
    expect(row.b).toBe(row.h);
    expect(row.t).toBe(row.h);
  });

  it.skipIf(!PGBENCH)(`pgbench -M prepared and -M extended with 4 clients: no "P_0 already exists", all transactions done${noPgbench}`, async () => {
    const init = await run(PGBENCH!, ['-i', '-s', '1', '-q', '-I', 'dtgvp'], { timeoutMs: 120_000 });
    expect(init.code).toBe(0);
    for (const mode of ['prepared', 'extended']) {
      const bench = await run(PGBENCH!, ['-M', mode, '-c', '4', '-j', '2', '-t', '100', '-S', '-n'], { timeoutMs: 120_000 });
      expect(bench.stderr).not.toMatch(/already exists|does not exist|aborted/);
      expect(bench.stdout).toMatch(/number of transactions actually processed: 400\/400/);
      expect(bench.code).toBe(0);
    }
    const tpcb = await run(PGBENCH!, ['-M', 'prepared', '-c', '4', '-j', '2', '-t', '50', '-n'], { timeoutMs: 120_000 });
    expect(tpcb.stderr).not.toMatch(/already exists|aborted/);
    expect(tpcb.stdout).toMatch(/number of failed transactions: 0/);
    expect(tpcb.code).toBe(0);
  });
});
