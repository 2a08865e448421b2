import type { ErrorCode } from '../error-codes.js';
import { PpgError } from '../ppg-error.js';
import { redactUrls } from './connection-url.js';

/**
 * An HTTP error from the Management API (or the create-db worker). `code` is ours (API_ERROR for a 4xx,
 * SERVICE_UNAVAILABLE for a 5xx, INVALID_RESPONSE for an answer we cannot read, TOKEN_REJECTED); the
 * service's own code (`not_found`, `validation_error`, `rate_limited` …) is `apiCode`, since the API does
 * not enumerate its codes and they are not ours to list.
 */
export class ManagementApiError extends PpgError {
  readonly status: number;
  readonly apiCode: string | undefined;
  /** The `error` object or string the service returned, for `--json` details. */
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { status: number; hint?: string | undefined; apiCode?: string | undefined; details?: unknown }) {
    super(code, message, { hint: options.hint });
    this.name = 'ManagementApiError';
    this.status = options.status;
    this.apiCode = options.apiCode;
    this.details = options.details;
  }
}

const AUTH_HINT = 'set PRISMA_SERVICE_TOKEN to a workspace service token, or `ppg login` again';

/**
 * Turns an error response into a ManagementApiError. Understands the Management API shape
 * `{error:{code,message,hint?}}`, the worker's rate-limit shapes `{error:"rate_limited"|"RATE_LIMIT_EXCEEDED", message}`,
 * and anything else (HTML, plain text) as INVALID_RESPONSE. The service's `hint` wins over ours.
 * Connection URLs in messages are redacted: an error line must never carry a password.
 */
export function toManagementApiError(status: number, json: unknown, text: string, retryAfter?: string | null, service = 'the Prisma Management API'): ManagementApiError {
  const body = isObject(json) ? json : undefined;
  const error = body?.error;
  const code: ErrorCode = status >= 500 ? 'SERVICE_UNAVAILABLE' : 'API_ERROR';
  if (isObject(error) && typeof error.message === 'string') {
    const apiCode = typeof error.code === 'string' ? error.code : undefined;
    const hint = typeof error.hint === 'string' ? error.hint : defaultHint(status, apiCode, retryAfter);
    return new ManagementApiError(code, redactUrls(error.message), { status, hint, apiCode, details: error });
  }
  if (typeof error === 'string') {
    const message = typeof body?.message === 'string' ? body.message : `${service} answered HTTP ${status} (${error})`;
    return new ManagementApiError(code, redactUrls(message), { status, hint: defaultHint(status, error, retryAfter), apiCode: error, details: body });
  }
  const snippet = redactUrls(text.trim().replace(/\s+/g, ' ').slice(0, 120));
  return new ManagementApiError('INVALID_RESPONSE', `unexpected response from ${service} (HTTP ${status})${snippet ? `: ${snippet}` : ''}`, {
    status,
    hint: defaultHint(status, undefined, retryAfter),
    details: text,
  });
}

function defaultHint(status: number, apiCode: string | undefined, retryAfter?: string | null): string {
  if (status === 401 || apiCode === 'unauthorized' || apiCode === 'authentication-failed') return AUTH_HINT;
  if (status === 403) return 'the token has no access to this workspace or resource; check the token or `ppg login` again';
  if (status === 429) return retryAfter ? `rate limited: wait ${retryAfter}s and try again` : 'rate limited: wait a minute and try again';
  if (status >= 500) return 'the service is having trouble; try again later or visit https://www.prisma-status.com/';
  return 'check the values you passed and try again';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
