/**
 * Public entry point of the wire server: serves PGlite databases over the Postgres protocol on TCP.
 * Heavy modules (PGlite, pg-gateway) are imported only from here and below, so callers that merely
 * list or stop instances must import this file lazily (`await import(...)`).
 */
export interface DbServerOptions {
  /** Folder holding one PGlite data directory per database (`<dataRoot>/<database>`). Created if missing. */
  dataRoot: string;
  /**
   * Folder where a pristine data-directory template is cached, one per PGlite version, so a new
   * database is a copy instead of a multi-second initdb. Default: `<dataRoot>/../templates`.
   */
  templateCacheDir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Default 'postgres'. */
  user?: string;
  /** Default 'postgres'. */
  password?: string;
  /** Receives one line per notable server event (connections, errors). Default: silent. */
  log?: (line: string) => void;
}

export interface DbServer {
  readonly host: string;
  readonly port: number;
  /** `postgres://user:password@host:port/postgres?sslmode=disable` */
  readonly url: string;
  /** Names of the databases currently known (one PGlite each). */
  databases(): string[];
  /** Stops accepting, rolls back open transactions, closes every PGlite cleanly. Idempotent. */
  close(): Promise<void>;
}


/**
 * Starts serving. Fails with PpgError code `PORT_IN_USE` when the port is taken.
 * (Implementation lands in this file; callers import it lazily.)
 */
export async function startDbServer(options: DbServerOptions): Promise<DbServer> {
  void options;
  throw new Error('startDbServer: not implemented yet');
}
