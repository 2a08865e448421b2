import { PpgError } from '../ppg-error.js';
import { USER_AGENT } from './cloud-endpoints.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as is; set Content-Type in `headers`. */
  body?: string;
  timeoutMs: number;
  /** Names the remote side in error messages ("the Prisma Management API"). */
  service: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP exchange with a timeout covering the whole body, and a User-Agent naming ppg-dev.
 * Never throws for an HTTP status (callers map statuses); throws PpgError NETWORK_ERROR when the
 * server cannot be reached and TIMEOUT when it does not answer in time.
 */
export async function sendRequest(request: HttpRequest): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(request.timeoutMs);
  const origin = new URL(request.url).origin;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: { 'User-Agent': USER_AGENT, Accept: 'application/json', ...request.headers },
      body: request.body,
      signal,
      redirect: 'manual',
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: parseJson(text) };
  } catch (error) {
    if (signal.aborted) {
      throw new PpgError('TIMEOUT', `${request.service} at ${origin} timed out (no answer within ${request.timeoutMs % 1000 === 0 ? `${request.timeoutMs / 1000}s` : `${request.timeoutMs}ms`})`, {
        hint: 'try again; check https://www.prisma-status.com/ if it keeps happening',
        cause: error,
      });
    }
    throw new PpgError('NETWORK_ERROR', `cannot reach ${request.service} at ${origin} (${networkReason(error)})`, {
      hint: 'check your internet connection or visit https://www.prisma-status.com/',
      cause: error,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
