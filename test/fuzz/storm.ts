import fc from 'fast-check';
import { delivery, fuzzFrame, leadIn, wellFormedFrame, writesOf, type Delivery, type FuzzFrame } from './frame-arbitraries.js';
import { openInState, PROTOCOL_STATES, type ProtocolState } from './protocol-states.js';
import { int32, parseBackendMessages, RawWireClient } from './raw-wire-client.js';
import { freshClientQueries, InvariantError, waitForFdBaseline, waitForIdleCpu } from './server-health.js';
import type { FuzzTarget } from './fuzz-target.js';

/**
 * A storm: a few raw connections, each brought to a protocol state and then fed fuzzed frames at once,
 * while the healthy client keeps asking; afterwards the server must be idle, without extra descriptors,
 * and still serve a new client.
 */
export type Ending =
  /** The client vanishes (RST or FIN without reading further). */
  | 'destroy'
  /** The client half-closes; the server must then close the connection too. */
  | 'half-close'
  /** The connection stays open while the healthy client answers twice more, then vanishes. */
  | 'hold'
  /**
   * Another connection sends a CancelRequest with this connection's key (from its BackendKeyData), then
   * this one vanishes. Before authentication there is no key: the same as 'destroy'.
   */
  | 'cancel';

export interface Attack {
  state: ProtocolState;
  frames: FuzzFrame[];
  delivery: Delivery;
  ending: Ending;
}

export interface Storm {
  attacks: Attack[];
}

/**
 * States in which the connection keeps the engine of the main database. At most one attack per storm
 * starts in one, and it is reached last: an attack reaching `in-transaction` would otherwise queue behind
 * another attack's open transaction, which is the scheduler working as designed, not a finding.
 */
const ENGINE_HOLDING = new Set<ProtocolState>(['in-transaction', 'failed-transaction', 'extended-batch-after-flush', 'copy-from-stdin-in-transaction']);
const NON_HOLDING = PROTOCOL_STATES.filter((s) => !ENGINE_HOLDING.has(s));

/**
 * Most broken frames end the connection with a FATAL at once, so a storm of random frames rarely gets
 * deep into a session. Two out of three attacks are therefore well-formed sequences (out of order, but
 * each message valid), half of those followed by one broken frame.
 */
const attackFrames: fc.Arbitrary<FuzzFrame[]> = fc.oneof(
  fc.array(wellFormedFrame, { minLength: 1, maxLength: 16 }),
  fc.tuple(fc.array(wellFormedFrame, { minLength: 1, maxLength: 16 }), fuzzFrame).map(([valid, last]) => [...valid, last]),
  fc.array(fuzzFrame, { minLength: 1, maxLength: 12 }),
);

const attackIn = (state: fc.Arbitrary<ProtocolState>): fc.Arbitrary<Attack> => fc.record({
  state,
  frames: attackFrames,
  withLeadIn: fc.boolean(),
  delivery,
  ending: fc.constantFrom<Ending>('destroy', 'half-close', 'hold', 'cancel'),
}).map(({ withLeadIn, ...attack }) => {
  const first = withLeadIn ? leadIn(attack.state) : null;
  return first ? { ...attack, frames: [first, ...attack.frames] } : attack;
});

/** A storm whose main attack starts in `state`, with up to two more connections in other states. */
export function stormIn(state: ProtocolState): fc.Arbitrary<Storm> {
  return fc.tuple(fc.array(attackIn(fc.constantFrom(...NON_HOLDING)), { maxLength: 2 }), attackIn(fc.constant(state)))
    .map(([others, main]) => ({ attacks: [...others, main] }));
}

/** How long a half-closed connection may stay open on the server's side. */
const HALF_CLOSE_BOUND_MS = 5_000;

/** Runs one storm and checks every invariant; throws InvariantError (or the reason a state was unreachable). */
export async function runStorm(target: FuzzTarget, storm: Storm): Promise<void> {
  const clients: RawWireClient[] = [];
  target.healthy.start();
  try {
    for (const attack of storm.attacks) clients.push(await openInState(target.port, attack.state));
    await Promise.all(storm.attacks.map((attack, i) => deliver(clients[i]!, attack)));
    await Promise.all(storm.attacks.map(async (attack, i) => {
      const client = clients[i]!;
      if (attack.ending === 'destroy') client.destroy();
      else if (attack.ending === 'cancel') {
        await sendCancel(target.port, client);
        client.destroy();
      } else if (attack.ending === 'half-close') {
        client.socket.end();
        await boundedClose(client, attack);
      }
    }));
    await target.healthy.waitForAnswers(2);
    if (process.env.PPG_FUZZ_VERBOSE) {
      console.log(`${describeStorm(storm)}\n  replies: ${clients.map((c) => `${c.received().length} bytes${c.isClosed() ? ', closed' : ''}`).join('; ')}`);
    }
    for (const client of clients) client.destroy();
  } finally {
    for (const client of clients) client.destroy();
    const violations = await target.healthy.stop();
    if (violations.length > 0) {
      // eslint-disable-next-line no-unsafe-finally -- the health verdict outranks whatever else went wrong
      throw new InvariantError(violations.join('; '));
    }
  }
  await checkRecovery(target);
}

/** After any storm: CPU idle, descriptors back, a new client served. */
export async function checkRecovery(target: FuzzTarget): Promise<void> {
  await waitForIdleCpu(target.pid);
  await waitForFdBaseline(target.pid, target.dataRoot, target.fdBaseline);
  await freshClientQueries(target.url);
}

async function deliver(client: RawWireClient, attack: Attack): Promise<void> {
  for (const chunk of writesOf(attack.frames, attack.delivery)) {
    if (client.isClosed()) return;
    await client.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Sends a CancelRequest for `client`'s session on a new connection; the server closes that connection. */
async function sendCancel(port: number, client: RawWireClient): Promise<void> {
  const key = parseBackendMessages(client.received()).find((m) => m.tag === 'K');
  if (!key || key.body.length < 8) return;
  const canceller = await RawWireClient.connect(port);
  try {
    await canceller.write(Buffer.concat([int32(16), int32(80877102), key.body.subarray(0, 8)]));
    await canceller.until(() => canceller.isClosed(), 'the server to close the cancel connection', HALF_CLOSE_BOUND_MS)
      .catch(() => {
        throw new InvariantError(`the server kept a CancelRequest connection open for ${HALF_CLOSE_BOUND_MS} ms`);
      });
  } finally {
    canceller.destroy();
  }
}

async function boundedClose(client: RawWireClient, attack: Attack): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), HALF_CLOSE_BOUND_MS);
  });
  const result = await Promise.race([client.closed, late]);
  clearTimeout(timer);
  if (result === 'late') {
    throw new InvariantError(`the server kept a half-closed connection (state ${attack.state}) open for ${HALF_CLOSE_BOUND_MS} ms`);
  }
}

/** One line per attack, for failure reports. */
export function describeStorm(storm: Storm): string {
  return storm.attacks.map((a, i) => `  #${i + 1} ${a.state}, ${a.delivery.kind}, ${a.ending}: ${a.frames.map((f) => f.what).join(' | ')}`).join('\n');
}
