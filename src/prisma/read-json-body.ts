import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body up to a byte limit and checks that it is JSON. The limit is enforced both on
 * Content-Length (refused before reading) and on the bytes that actually arrive (chunked uploads), so a
 * runaway client cannot make the daemon buffer an unbounded body.
 */

export type JsonBody = { ok: true; text: string; value: unknown } | { ok: false; status: 400 | 413; message: string };

export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  const tooLarge = (): JsonBody => ({
    ok: false,
    status: 413,
    message: `Request body is larger than the limit of ${maxBytes} bytes.`,
  });
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();

  // Listeners rather than for-await: leaving a for-await loop early destroys the socket, and the 413
  // answer must still reach the client (the caller closes the connection after it).
  const received = await new Promise<Buffer[] | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData);
      request.off('end', onEnd);
      request.pause();
      resolve(null);
    };
    const onEnd = (): void => resolve(chunks);
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', reject);
  });
  if (received === null) return tooLarge();
  const text = Buffer.concat(received).toString('utf8');
  if (text.trim().length === 0) return { ok: false, status: 400, message: 'Request body is empty; a JSON object is required.' };
  try {
    return { ok: true, text, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, status: 400, message: `Request body is not valid JSON: ${(error as Error).message}` };
  }
}
