import type net from 'node:net';

/** A backend message as pg-protocol parses it. */
export interface PgMessage {
  name: string;
  fields?: (string | null)[];
  code?: string;
  message?: string;
  status?: string;
}

/**
 * A custom pg "submittable" that writes raw frontend bytes on an authenticated pg connection and
 * collects every backend message until ReadyForQuery. `write()` sends more bytes mid-exchange
 * (e.g. the second half of a split extended batch).
 */
export class RawExchange {
  readonly messages: PgMessage[] = [];
  readonly done: Promise<PgMessage[]>;
  private connection: { stream: net.Socket; on(e: string, f: (m: PgMessage) => void): void; off(e: string, f: (m: PgMessage) => void): void } | null = null;
  private resolve!: (m: PgMessage[]) => void;
  private reject!: (e: Error) => void;
  private readonly listener = (m: PgMessage): void => {
    this.messages.push(m);
    // pg forgets a query after an ErrorResponse, so watch for ReadyForQuery ourselves.
    if (m.name === 'readyForQuery') this.finish();
  };

  private finish(): void {
    this.connection?.off('message', this.listener);
    this.resolve(this.messages);
  }

  constructor(private readonly first: Buffer) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined);
  }

  submit(connection: NonNullable<RawExchange['connection']>): null {
    this.connection = connection;
    connection.on('message', this.listener);
    connection.stream.write(this.first);
    return null;
  }

  write(bytes: Buffer): void {
    if (!this.connection) throw new Error('not submitted yet');
    this.connection.stream.write(bytes);
  }

  has(name: string): boolean {
    return this.messages.some((m) => m.name === name);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCommandComplete(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
  handleError(error: Error & { severity?: string }): void {
    // Server errors arrive as messages too; only a dead connection ends the exchange here.
    if (!error.severity || error.severity === 'FATAL') {
      this.connection?.off('message', this.listener);
      this.reject(error);
    }
  }
  handleReadyForQuery(): void {
    this.finish();
  }
}

export function dataRows(messages: PgMessage[]): (string | null)[][] {
  return messages.filter((m) => m.name === 'dataRow').map((m) => m.fields ?? []);
}
