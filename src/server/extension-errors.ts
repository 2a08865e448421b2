import { BACKEND, errorFieldsBody, frame, parseErrorFields } from './wire-messages.js';

/**
 * Postgres' error for an extension that is not shipped (`extension "postgis" is not available`) ends with
 * the hint "The extension must first be installed on the system where PostgreSQL is running.", which
 * cannot help a ppg-dev user. The error keeps its SQLSTATE, message and detail; only the hint changes to
 * say what is available and where to look.
 */
export const AVAILABLE_EXTENSIONS_HINT =
  'ppg-dev offers the extensions that PGlite ships (its contrib modules and pgvector); '
  + 'SELECT name FROM pg_available_extensions lists them';

const NOT_AVAILABLE = /^extension ".*" is not available$/;

/** Returns the ErrorResponse frame with the hint replaced when it is the "not available" error, else as is. */
export function withAvailableExtensionsHint(errorFrame: Uint8Array): Uint8Array {
  const fields = parseErrorFields(errorFrame.subarray(5));
  if (!NOT_AVAILABLE.test(fields.get('M') ?? '')) return errorFrame;
  fields.set('H', AVAILABLE_EXTENSIONS_HINT);
  return frame(BACKEND.ErrorResponse, errorFieldsBody(fields));
}
