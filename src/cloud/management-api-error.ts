import { PpgError } from '../ppg-error.js';
import { redactUrls } from './connection-url.js';

/** An HTTP error from the Management API (or the create-db worker), with the status and the API's own code. */
export class ManagementApiError extends PpgError {
  readonly status: number;
  /** The `error` object or string the service returned, for `--json` details. */
  readonly details: unknown;

  constructor(status: number, code: string, message: string, hint: string | undefined, details?: unknown) {
    super(code, message, { hint });
    this.name = 'ManagementApiError';
    this.status = status;
    this.details = details;
  }
}

const AUTH_HINT = 'set PRISMA_SERVICE_TOKEN to a workspace service token, or `ppg login` again';

/**
 * Turns an error response into a ManagementApiError. Understands the Management API shape
 * `{error:{code,message,hint?}}`, the worker's rate-limit shapes `{error:"rate_limited"|"RATE_LIMIT_EXCEEDED", message}`,
 * and anything else (HTML, plain text) as code `invalid_response`. The service's `hint` wins over ours.
 * Connection URLs in messages are redacted: an error line must never carry a password.
 */
export function toManagementApiError(status: number, json: unknown, text: string, retryAfter?: string | null, service = 'the Prisma Management API'): ManagementApiError {
  const body = isObject(json) ? json : undefined;
  const error = body?.error;
  if (isObject(error) && typeof error.message === 'string') {
    const code = typeof error.code === 'string' ? error.code : `http_${status}`;
    const hint = typeof error.hint === 'string' ? error.hint : defaultHint(status, code, retryAfter);
    return new ManagementApiError(status, code, redactUrls(error.message), hint, error);
  }
  if (typeof error === 'string') {
    const message = typeof body?.message === 'string' ? body.message : `${service} answered HTTP ${status} (${error})`;
    return new ManagementApiError(status, error, redactUrls(message), defaultHint(status, error, retryAfter), body);
  }
  const snippet = redactUrls(text.trim().replace(/\s+/g, ' ').slice(0, 120));
  return new ManagementApiError(
    status,
    'invalid_response',
    `unexpected response from ${service} (HTTP ${status})${snippet ? `: ${snippet}` : ''}`,
    defaultHint(status, 'invalid_response', retryAfter),
    text,
  );
}

function defaultHint(status: number, code: string, retryAfter?: string | null): string {
  if (status === 401 || code === 'unauthorized' || code === 'authentication-failed') return AUTH_HINT;
  if (status === 403) return 'the token has no access to this workspace or resource; check the token or `ppg login` again';
  if (status === 429) return retryAfter ? `rate limited: wait ${retryAfter}s and try again` : 'rate limited: wait a minute and try again';
  if (status >= 500) return 'the service is having trouble; try again later or visit https://www.prisma-status.com/';
  return 'check the values you passed and try again';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
