/** Raw protocol bytes for tests that must see them: frontend frames to send, backend frames to read. */

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    int32(196608),
    ...Object.entries(params).map(([k, v]) => Buffer.from(`${k}\0${v}\0`)),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

/** A typed frontend message: tag byte, Int32 length, body. */
export function frame(tag: string, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(tag, 'latin1'), int32(body.length + 4), body]);
}

export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

/** Backend messages in a byte buffer (whole frames only). */
export function parseBackend(data: Buffer): { tag: string; body: Buffer }[] {
  const out: { tag: string; body: Buffer }[] = [];
  let i = 0;
  while (i + 5 <= data.length) {
    const len = data.readInt32BE(i + 1);
    if (i + 1 + len > data.length) break;
    out.push({ tag: String.fromCharCode(data[i]!), body: data.subarray(i + 5, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}

/** Fields of an ErrorResponse/NoticeResponse body, keyed by field type ('C' = SQLSTATE, 'M' = message). */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const type = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    fields[type] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return fields;
}

export const SSL_REQUEST = Buffer.concat([int32(8), int32(80877103)]);
export const GSSENC_REQUEST = Buffer.concat([int32(8), int32(80877104)]);

/** Extended-protocol frame builders (frontend). */
export const fe = {
  parse: (name: string, text: string): Buffer => frame('P', Buffer.concat([cstr(name), cstr(text), Buffer.from([0, 0])])),
  /** Text-format parameters, text-format results. */
  bind: (portal: string, statement: string, values: (string | null)[] = []): Buffer => {
    const parts: Buffer[] = [cstr(portal), cstr(statement), Buffer.from([0, 0]), Buffer.alloc(2)];
    parts[3]!.writeInt16BE(values.length);
    for (const v of values) {
      if (v === null) parts.push(int32(-1));
      else {
        const b = Buffer.from(v);
        parts.push(int32(b.length), b);
      }
    }
    parts.push(Buffer.from([0, 0]));
    return frame('B', Buffer.concat(parts));
  },
  describe: (kind: 'S' | 'P', name: string): Buffer => frame('D', Buffer.concat([Buffer.from(kind), cstr(name)])),
  execute: (portal = '', maxRows = 0): Buffer => frame('E', Buffer.concat([cstr(portal), int32(maxRows)])),
  sync: (): Buffer => frame('S'),
  flush: (): Buffer => frame('H'),
  query: (sql: string): Buffer => frame('Q', cstr(sql)),
};
