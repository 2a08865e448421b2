import { backendSignalOf, type BackendSignal } from './backend-functions.js';
import { BatchOutput } from './batch-output.js';
import { withAvailableExtensionsHint } from './extension-errors.js';
import type { NotificationSink, SessionChannels } from './listen-routing.js';
import type { SessionStatements } from './session-statements.js';
import { BACKEND } from './wire-messages.js';

/**
 * What of PGlite's output for a batch changes on its way to the client: errors and notices show the
 * client's own statement names (and a useful hint for an extension that is not shipped), notifications go
 * to the clients listening on their channel, the end of a COPY does not repeat the CopyInResponse the client
 * had from the probe, and a Sync of ours is not answered to the client. Everything else passes untouched.
 */
export interface OutputOptions {
  /** The batch ends a COPY FROM STDIN. */
  endsCopy: boolean;
  /** The batch ends with a Sync of ours. */
  ownSync: boolean;
  /** Receives the signals of pg_cancel_backend/pg_terminate_backend, whose INFO messages are not the client's. */
  onBackendSignal?: (kind: BackendSignal, pid: number) => void;
}

export function clientOutput<S extends NotificationSink>(
  statements: SessionStatements, channels: SessionChannels<S>, options: OutputOptions, write: (bytes: Uint8Array) => void,
): BatchOutput {
  // Errors and notices always go through the hook: they may name a prefixed statement or portal even
  // when the session has no named statement left (a Close earlier in the same batch, a portal-only
  // batch). They are rare, so this costs nothing on the hot path.
  const special = new Set<number>([BACKEND.NotificationResponse, BACKEND.ErrorResponse, BACKEND.NoticeResponse]);
  if (options.endsCopy) special.add(BACKEND.CopyInResponse);
  if (options.ownSync) special.add(BACKEND.ReadyForQuery);
  let copyInResponseDropped = !options.endsCopy;
  return new BatchOutput(special, (type, f) => {
    // The ReadyForQuery answering a Sync the client did not send.
    if (type === BACKEND.ReadyForQuery && options.ownSync) return null;
    if (type === BACKEND.NotificationResponse) return channels.route(f);
    if (type === BACKEND.CopyInResponse && !copyInResponseDropped) {
      copyInResponseDropped = true;
      return null;
    }
    if (type === BACKEND.ErrorResponse) return withAvailableExtensionsHint(statements.clientText(f));
    if (type === BACKEND.NoticeResponse) {
      const signal = options.onBackendSignal ? backendSignalOf(f) : null;
      if (signal) {
        options.onBackendSignal!(signal.kind, signal.pid);
        return null;
      }
      return statements.clientText(f);
    }
    return f;
  }, write);
}
