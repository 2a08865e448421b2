import { cstr, GSSENC_REQUEST, int16, int32, RawWireClient, SSL_REQUEST, typed } from './raw-wire-client.js';

/**
 * The protocol states a fuzz storm starts from, and how a raw client reaches each one. Every state is
 * reached with well-formed messages only; the storm's bytes come after.
 */
export const PROTOCOL_STATES = [
  'before-startup',
  'after-ssl-request',
  'after-gssenc-request',
  'scram-before-client-first',
  'scram-before-client-final',
  'idle',
  'in-transaction',
  'failed-transaction',
  'extended-batch-before-sync',
  'extended-batch-after-flush',
  'copy-from-stdin',
  'copy-from-stdin-in-transaction',
  'copy-to-stdout-streaming',
  'after-terminate',
] as const;

export type ProtocolState = (typeof PROTOCOL_STATES)[number];

/** Table that COPY FROM STDIN in storms writes into (created by the fuzz harness). */
export const STORM_COPY_TABLE = 'fuzz_storm_sink';

/** Rows of the COPY TO STDOUT a storm interrupts: enough that the reply is still being written when the storm starts. */
const COPY_OUT_ROWS = 20_000;

const Q = 0x51;

export function queryFrame(sql: string): Buffer {
  return typed(Q, cstr(sql));
}

/** Parse + Bind + Execute of the unnamed statement, without Sync. */
function extendedPrefix(sql: string): Buffer {
  return Buffer.concat([
    typed(0x50, Buffer.concat([cstr(''), cstr(sql), int16(0)])),
    typed(0x42, Buffer.concat([cstr(''), cstr(''), int16(0), int16(0), int16(0)])),
    typed(0x45, Buffer.concat([cstr(''), int32(0)])),
  ]);
}

/**
 * Connects and brings the connection to `state`. Fails (with what was received) if the server does not
 * answer as a healthy server would; such a failure is a finding too.
 */
export async function openInState(port: number, state: ProtocolState): Promise<RawWireClient> {
  const client = await RawWireClient.connect(port);
  try {
    await reach(client, state);
  } catch (error) {
    client.destroy();
    throw new Error(`could not reach protocol state ${state}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return client;
}

async function reach(client: RawWireClient, state: ProtocolState): Promise<void> {
  switch (state) {
    case 'before-startup':
      return;
    case 'after-ssl-request':
    case 'after-gssenc-request':
      await client.write(state === 'after-ssl-request' ? SSL_REQUEST : GSSENC_REQUEST);
      await client.until((data) => data.length >= 1, "the server's one-byte answer to the encryption request");
      return;
    case 'scram-before-client-first':
      return client.login('sasl');
    case 'scram-before-client-final':
      return client.login('continue');
    default:
      break;
  }
  await client.login('ready');
  const from = client.received().length;
  const readyAfter = (status: string) => client.message('Z', `ReadyForQuery(${status})`, from, (m) => m.body[0] === status.charCodeAt(0));
  switch (state) {
    case 'idle':
      return;
    case 'in-transaction':
      await client.write(queryFrame('BEGIN; SELECT 1'));
      await readyAfter('T');
      return;
    case 'failed-transaction':
      await client.write(queryFrame('BEGIN; SELECT 1/0'));
      await readyAfter('E');
      return;
    case 'extended-batch-before-sync':
      await client.write(extendedPrefix("SELECT 'before sync'::text"));
      return;
    case 'extended-batch-after-flush':
      // Flush makes the server run the partial batch: the engine now holds an unfinished batch of ours.
      await client.write(Buffer.concat([extendedPrefix("SELECT 'after flush'::text"), typed(0x48)]));
      await client.message('C', 'CommandComplete after Flush', from);
      return;
    case 'copy-from-stdin':
      await client.write(queryFrame(`COPY ${STORM_COPY_TABLE} FROM STDIN`));
      await client.message('G', 'CopyInResponse', from);
      return;
    case 'copy-from-stdin-in-transaction':
      await client.write(Buffer.concat([queryFrame('BEGIN'), queryFrame(`COPY ${STORM_COPY_TABLE} FROM STDIN`)]));
      await client.message('G', 'CopyInResponse', from);
      return;
    case 'copy-to-stdout-streaming':
      await client.write(queryFrame(`COPY (SELECT g, repeat('x', 40) FROM generate_series(1, ${COPY_OUT_ROWS}) g) TO STDOUT`));
      await client.message('H', 'CopyOutResponse', from);
      return;
    case 'after-terminate':
      await client.write(typed(0x58));
      return;
  }
}
