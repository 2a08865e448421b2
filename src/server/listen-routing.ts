import { parseNotification } from './backend-output.js';
import type { Engine } from './engine.js';
import { quoteIdent } from './sql-statements.js';
import { notificationResponse } from './wire-messages.js';

/**
 * LISTEN/NOTIFY for one client on a shared engine. The engine listens on the union of its clients'
 * channels (Engine.addListener); a notification that comes out of any client's batch is sent to the
 * clients listening on its channel, and only to them, with the pid each of them knows.
 */
export interface NotificationSink {
  write(bytes: Uint8Array): void;
}

export class SessionChannels<S extends NotificationSink> {
  private readonly channels = new Set<string>();

  constructor(
    private readonly engine: Engine<S>,
    private readonly session: S,
    /** The pid the client saw in BackendKeyData: notifications it sends name it. */
    private readonly pid: number,
  ) {}

  get isEmpty(): boolean {
    return this.channels.size === 0;
  }

  /** The client's LISTEN ran on the engine. */
  listen(channel: string): void {
    this.channels.add(channel);
    this.engine.addListener(channel, this.session);
  }

  /**
   * The client's UNLISTEN (a channel, or '*') ran on the engine, which then listens on nothing of it: the
   * engine LISTENs again on the channels other clients still want.
   */
  async unlisten(channel: string): Promise<void> {
    await this.stopListening(channel === '*' ? [...this.channels] : [channel]);
  }

  /** Drops every channel of the client (it is gone): the engine keeps those another client still wants. */
  async unlistenAll(): Promise<void> {
    await this.stopListening([...this.channels]);
  }

  /** Sends a notification to the other listeners; returns it for the client's own output only if it listens too. */
  route(notification: Uint8Array): Uint8Array | null {
    const { channel, payload } = parseNotification(notification);
    const message = notificationResponse(this.pid, channel, payload);
    for (const listener of this.engine.listenersOf(channel)) {
      if (listener !== this.session) listener.write(message);
    }
    // Our own copy stays where Postgres puts it (before ReadyForQuery), if we listen.
    return this.channels.has(channel) ? message : null;
  }

  private async stopListening(channels: string[]): Promise<void> {
    for (const channel of channels) {
      this.channels.delete(channel);
      this.engine.removeListener(channel, this.session);
    }
    const stillWanted = this.engine.listenedChannels();
    if (stillWanted.length > 0 && channels.length > 0) {
      await this.engine.execQuery(stillWanted.map((c) => `LISTEN ${quoteIdent(c)}`).join('; '));
    }
  }
}
