import { describe, expect, it } from 'vitest';
import { MAX_AUTH_MESSAGE, MAX_STARTUP_PACKET, saslInitialResponseError, StartupFramer, type StartupEvent } from '../../src/server/startup-framer.js';
import { concatBytes, cstring, frame, FRONTEND, startupMessage } from '../../src/server/wire-messages.js';

const int32 = (n: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, n);
  return out;
};
const SSL = concatBytes([int32(8), int32(80877103)]);
const startup = startupMessage({ user: 'postgres', database: 'postgres' });
const saslInitial = frame(FRONTEND.Password, concatBytes([cstring('SCRAM-SHA-256'), int32(11), new TextEncoder().encode('n,,n=,r=abc')]));
const saslFinal = frame(FRONTEND.Password, new TextEncoder().encode('c=biws,r=abc,p=xyz'));

/** Everything the framer can return now. */
function drain(framer: StartupFramer): StartupEvent[] {
  const events: StartupEvent[] = [];
  for (let event = framer.next(); event; event = framer.next()) events.push(event);
  return events;
}

function eventsOf(bytes: Uint8Array): StartupEvent[] {
  const framer = new StartupFramer();
  framer.push(bytes);
  return drain(framer);
}

function feedInSteps(bytes: Uint8Array, step: number): StartupEvent[] {
  const framer = new StartupFramer();
  const events: StartupEvent[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    framer.push(bytes.subarray(i, i + step));
    events.push(...drain(framer));
  }
  return events;
}

describe('StartupFramer', () => {
  const session = concatBytes([SSL, startup, saslInitial, saslFinal]);

  it.each([1, 2, 3, 7, 16, session.length])('returns the same messages whatever the split (every %i bytes)', (step) => {
    expect(feedInSteps(session, step)).toEqual([SSL, startup, saslInitial, saslFinal].map((bytes) => ({ kind: 'message', bytes })));
  });

  it('returns copies that own their memory (pg-gateway ignores byteOffset)', () => {
    const events = eventsOf(Buffer.from(concatBytes([startup, saslInitial])));
    for (const event of events) {
      expect(event.kind).toBe('message');
      if (event.kind === 'message') expect(event.bytes.byteOffset).toBe(0);
      if (event.kind === 'message') expect(event.bytes.buffer.byteLength).toBe(event.bytes.length);
    }
  });

  it.each([
    ['a startup length below 8', concatBytes([int32(7), int32(0)]), 'invalid length of startup packet'],
    ['a startup length over the limit', int32(MAX_STARTUP_PACKET + 1), 'invalid length of startup packet'],
    ['a zero-type frame after the startup (the one-packet freeze)', concatBytes([startup, new Uint8Array([0, 0, 0, 0, 12]), new Uint8Array(8)]), 'expected password response, got message type 0'],
    ['a Query before authentication', concatBytes([startup, frame(FRONTEND.Query, cstring('select 1'))]), 'expected password response, got message type 81'],
    ['a password message shorter than its header', concatBytes([startup, new Uint8Array([0x70, 0, 0, 0, 2])]), 'invalid message length 2'],
    ['a password message over 64 KB', concatBytes([startup, new Uint8Array([0x70]), int32(MAX_AUTH_MESSAGE + 1)]), `invalid message length ${MAX_AUTH_MESSAGE + 1}`],
  ])('refuses %s with FATAL 08P01', (_name, bytes, message) => {
    const events = eventsOf(bytes);
    expect(events.at(-1)).toEqual({ kind: 'fatal', code: '08P01', message });
  });

  it('accepts a startup packet of exactly the limit', () => {
    const padded = new Uint8Array(MAX_STARTUP_PACKET);
    padded.set(int32(MAX_STARTUP_PACKET));
    padded.set(int32(196608), 4);
    expect(eventsOf(padded)).toEqual([{ kind: 'message', bytes: padded }]);
  });

  it('Terminate instead of a startup packet ends quietly', () => {
    expect(eventsOf(frame(FRONTEND.Terminate, new Uint8Array(0)))).toEqual([{ kind: 'terminate' }]);
    expect(eventsOf(frame(FRONTEND.Terminate, new Uint8Array(0)).subarray(0, 3))).toEqual([]);
  });

  it('Terminate before authentication ends quietly, and nothing is returned after a terminal event', () => {
    const framer = new StartupFramer();
    framer.push(concatBytes([startup, frame(FRONTEND.Terminate, new Uint8Array(0))]));
    expect(drain(framer)).toEqual([{ kind: 'message', bytes: startup }, { kind: 'terminate' }]);
    framer.push(saslInitial);
    expect(drain(framer)).toEqual([]);
  });

  it('cuts only what is asked for: bytes pipelined behind the last SASL message are left for the session', () => {
    const framer = new StartupFramer();
    const query = frame(FRONTEND.Query, cstring('select 1'));
    framer.push(concatBytes([startup, saslInitial, saslFinal, query]));
    expect([framer.next(), framer.next(), framer.next()]).toEqual([startup, saslInitial, saslFinal].map((bytes) => ({ kind: 'message', bytes })));
    expect(framer.takeRest()).toEqual(query);
  });
});

describe('saslInitialResponseError', () => {
  it.each([
    ['a well-formed response', saslInitial, null],
    ['a response length of -1 (no initial data: SCRAM cannot go on)', frame(FRONTEND.Password, concatBytes([cstring('SCRAM-SHA-256'), int32(-1)])), 'invalid SASL initial response: SCRAM needs the client-first message'],
    ['no mechanism terminator', frame(FRONTEND.Password, new TextEncoder().encode('SCRAM')), 'invalid SASL initial response: no mechanism name'],
    ['no response length', frame(FRONTEND.Password, cstring('SCRAM-SHA-256')), 'invalid SASL initial response: no response length'],
    ['a length past the end', frame(FRONTEND.Password, concatBytes([cstring('SCRAM-SHA-256'), int32(1_000_000), new Uint8Array(3)])), 'invalid SASL initial response: length does not match the message'],
    ['a negative length other than -1', frame(FRONTEND.Password, concatBytes([cstring('SCRAM-SHA-256'), int32(-5)])), 'invalid SASL initial response: length does not match the message'],
  ])('%s', (_name, message, expected) => {
    expect(saslInitialResponseError(message)).toBe(expected);
  });
});
