import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { createSecureContext } from 'node:tls';
import path from 'node:path';
import { createScramSha256Data } from 'pg-gateway';
import { lockDataRoot } from './data-root-lock.js';
import { PpgError } from '../ppg-error.js';
import { ClientSession, type DatabaseCommand, type SessionHost } from './client-session.js';
import { performHandshake, type LoginCheck } from './connection-handshake.js';
import { sweepAbandonedStaging } from '../state/staging.js';
import { DatabaseRegistry, MAIN_DATABASE } from './database-registry.js';
import { md5HashOf, parseScramVerifier, type RoleRecord } from './engine-roles.js';
import { holdEngines, QuiesceGate, type QuiesceMode } from './server-quiesce.js';
import { SESSION_AUTHORIZATION } from './session-settings.js';
import { ADMINISTRATOR_TERMINATION, commandComplete, concatBytes, errorResponse } from './wire-messages.js';

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
  /**
   * How long a query may wait for the engine while another connection holds it inside a transaction,
   * before failing with 55P03. Default 30 s; 0 waits forever.
   */
  lockWaitTimeoutMs?: number;
  /**
   * Open the main database on the first connection instead of before resolving: for servers that may
   * never be used (the shadow database server), so they cost no PGlite memory until then.
   */
  openOnFirstConnection?: boolean;
  /** Postgres' authentication_timeout: a connection that has not logged in by then is closed. Default 60 s. */
  authenticationTimeoutMs?: number;
  /**
   * How many connections may be in the handshake (not yet logged in) at once; more get FATAL 53300 at
   * once, so a flood of half-open sockets cannot exhaust the process. Default 128.
   */
  maxAuthenticating?: number;
  /**
   * Also listen on a Unix-domain socket `<socketDir>/.s.PGSQL.<port>`, as Postgres does, so clients that
   * default to the socket (`psql -p <port>` without -h) connect; password authentication applies there too.
   * Default: no socket.
   */
  socketDir?: string;
  /**
   * Serve TLS to clients that ask (SSLRequest → 'S'): `sslmode=require`/`prefer` then encrypt, `disable`
   * stays plain. Without it SSLRequest gets 'N', as a server without ssl=on answers.
   */
  tls?: { key: string; cert: string };
  /**
   * What a socket that cannot be made does: `fail` the start (default), or `warn` in the log and serve TCP
   * only (the daemon: the socket is a convenience, the TCP URL is what it prints).
   */
  onSocketError?: 'fail' | 'warn';
  /** Called once the port is bound, before the main database opens (its PGlite start takes ~0.3 s). */
  onListening?: (port: number) => void;
}

export interface DbServer {
  readonly host: string;
  readonly port: number;
  /** `postgres://user:password@host:port/postgres?sslmode=disable` */
  readonly url: string;
  /** The Unix-domain socket's path, when `socketDir` was given. */
  readonly socketPath: string | null;
  /** Names of the databases on disk (one PGlite data directory each). */
  databases(): Promise<string[]>;
  /** How many clients are queued for an engine another client holds (the scheduler's waiting line). */
  waitingClients(): number;
  /** How many clients have a batch running in an engine right now. */
  runningStatements(): number;
  /** Sockets the server still has open (TCP and Unix), in any state: what must return to zero when clients leave. */
  openSockets(): number;
  /**
   * Runs `fn` while no engine writes the data root, without stopping the server (see server-quiesce.ts):
   * `wait` keeps clients (their batches wait, then continue) and checkpoints the open databases, so `fn`
   * may copy the data root's folders; `terminate` ends connected clients with FATAL 57P01 and closes every
   * engine, so `fn` may replace the folders. New connections log in and wait meanwhile. The engines reopen
   * afterwards on first use (the main database at once, made from the template if `fn` removed it).
   * Quiesce calls take turns. Fails with `fn`'s error, or INSTANCE_BUSY if `wait` met a transaction that
   * stayed open past `options.waitMs` (default 20 s; fn then does not run).
   */
  quiesce<T>(mode: QuiesceMode, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T>;
  /** Stops accepting, rolls back open transactions, closes every PGlite cleanly. Idempotent. */
  close(): Promise<void>;
}



const AUTHENTICATION_TIMEOUT_MS = 60_000;
const MAX_AUTHENTICATING = 128;

/**
 * Starts serving. The main database (`postgres`, also reachable as `template1`) is created from the
 * template on first start. Fails with PpgError `PORT_IN_USE` when the port is taken, `DATA_DIR_LOCKED` when
 * another server (in any process) serves the same data root.
 */
export async function startDbServer(options: DbServerOptions): Promise<DbServer> {
  await mkdir(options.dataRoot, { recursive: true });
  const unlockDataRoot = await lockDataRoot(options.dataRoot);
  try {
    // A CREATE DATABASE cut short by a crash left only its staging folder; it was never a database.
    for (const name of await sweepAbandonedStaging(options.dataRoot)) options.log?.(`removed ${name}, left by a CREATE DATABASE that did not finish`);
    return await serve(options, unlockDataRoot);
  } catch (error) {
    await unlockDataRoot();
    throw error;
  }
}

async function serve(options: DbServerOptions, unlockDataRoot: () => Promise<void>): Promise<DbServer> {
  const host = options.host ?? '127.0.0.1';
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const log = options.log ?? (() => undefined);
  const templateCacheDir = options.templateCacheDir ?? path.join(options.dataRoot, '..', 'templates');

  const registry = new DatabaseRegistry<ClientSession>(options.dataRoot, templateCacheDir);
  let mainReady: Promise<unknown> | null = null;
  const scram = await createScramSha256Data(password);
  // Unknown users get a verifier for a random password, so they fail exactly like a wrong password.
  const decoy = await createScramSha256Data(randomBytes(18).toString('base64'));
  /**
   * The configured user logs in with the configured password; any other role with the SCRAM verifier its
   * database stores (CREATE ROLE … LOGIN PASSWORD). Each database is its own cluster, but in Postgres roles
   * belong to the whole cluster and test suites make them in `postgres` and log in elsewhere: a role the
   * target database lacks is looked up in the main database. A login to a database that does not exist
   * checks the main database's roles (and then gets 3D000, as in Postgres).
   */
  const loginRole = async (username: string, database: string): Promise<RoleRecord | undefined> => {
    const role = await openPastGate(async () => {
      const target = await registry.open(database).catch(() => null);
      return target?.role(username) ?? (await registry.open(MAIN_DATABASE))?.role(username);
    });
    return role?.canLogin ? role : undefined;
  };
  const loginCheckFor = async (username: string, database: string): Promise<LoginCheck> => {
    if (username === user) return { method: 'scram', verifier: scram };
    const stored = (await loginRole(username, database))?.password ?? null;
    const hash = md5HashOf(stored);
    return hash ? { method: 'md5', hash } : { method: 'scram', verifier: parseScramVerifier(stored) || decoy };
  };

  // Quiescing (DbServer.quiesce): whoever opens an engine or changes the databases passes the gate first
  // and is tracked, so a quiesce can wait for those already past it. A quiesce that began while an engine
  // was opening may close it, so the opening is tried again then (the epoch tells).
  const gate = new QuiesceGate();
  const inFlight = new Set<Promise<unknown>>();
  let epoch = 0;
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };
  async function openPastGate<T>(open: () => Promise<T>): Promise<T> {
    for (;;) {
      await gate.pass();
      const seen = epoch;
      const opened = await tracked((async () => {
        mainReady ??= registry.openMain();
        await mainReady;
        return open();
      })());
      if (seen === epoch) return opened;
    }
  }

  const sessions = new Map<number, ClientSession>();
  const sockets = new Set<net.Socket>();
  const secureContext = options.tls ? createSecureContext({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' }) : undefined;
  let authenticating = 0;
  const maxAuthenticating = options.maxAuthenticating ?? MAX_AUTHENTICATING;
  let nextPid = 1000 + randomInt(8000);
  let closing: Promise<void> | null = null;

  const sessionHost: SessionHost = {
    log,
    lockWaitTimeoutMs: options.lockWaitTimeoutMs ?? 30_000,
    databaseCommand: (session, command) => gate.pass().then(() => tracked(runDatabaseCommand(registry, sessions, session, command))),
    onClose: (session) => sessions.delete(session.pid),
    livePids: () => [...sessions.keys()],
    activity: (callerPid) => [...sessions.values()].map((s) => s.activity(s.pid === callerPid)),
    signalBackend: (kind, pid) => {
      const target = sessions.get(pid);
      if (!target) return;
      // After the signalling batch has written its answer, as the target may be the caller itself.
      if (kind === 'cancel') setImmediate(() => target.cancel());
      else setImmediate(() => target.terminate(ADMINISTRATOR_TERMINATION));
    },
  };

  const onConnection = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (socket.remoteAddress !== undefined) socket.setNoDelay(true);
    if (authenticating >= maxAuthenticating) {
      log(`refused a connection: ${authenticating} connections are still authenticating`);
      socket.end(errorResponse({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already', hint: 'too many connections are still logging in' }));
      return;
    }
    acceptClient(socket).catch((error: unknown) => {
      log(`connection failed: ${error instanceof Error ? error.stack : String(error)}`);
      socket.destroy();
    });
  };
  const server = net.createServer(onConnection);
  let unixServer: net.Server | null = null;

  async function acceptClient(socket: net.Socket): Promise<void> {
    authenticating++;
    const handshake = await performHandshake(socket, {
      loginCheckFor,
      timeoutMs: options.authenticationTimeoutMs ?? AUTHENTICATION_TIMEOUT_MS,
      tls: secureContext,
      onCancelRequest: (pid, secret) => {
        const session = sessions.get(pid);
        if (session && session.secret === secret) session.cancel();
      },
    }).finally(() => authenticating--);
    if (!handshake || handshake.socket.destroyed || closing) return;
    const client = handshake.socket;
    const database = handshake.params.database || handshake.params.user || MAIN_DATABASE;
    let engine;
    try {
      engine = await openPastGate(() => registry.open(database));
    } catch (error) {
      log(`could not open database "${database}": ${error instanceof Error ? error.message : String(error)}`);
      client.end(errorResponse({ severity: 'FATAL', code: '58000', message: `could not open database "${database}": ${error instanceof Error ? error.message : String(error)}` }));
      return;
    }
    if (!engine) {
      client.end(errorResponse({ severity: 'FATAL', code: '3D000', message: `database "${database}" does not exist` }));
      return;
    }
    if (client.destroyed || closing) return;
    const pid = nextPid++;
    // Another role's session runs under that role's session authorization (re-applied with the client's
    // other settings), where the database has it; a role only the main database has acts as the configured
    // user there.
    const login = handshake.params.user;
    const params = login && login !== user && engine.role(login) ? { ...handshake.params, [SESSION_AUTHORIZATION]: login } : handshake.params;
    const session = new ClientSession(client, engine, params, pid, randomInt(2 ** 31), sessionHost);
    sessions.set(pid, session);
    session.start();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE'
        ? new PpgError('PORT_IN_USE', `port ${options.port ?? 0} on ${host} is already in use`, { hint: 'choose another port with --port, or stop what holds it' })
        : error);
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  // The port is bound before the engine opens, so a taken port costs no PGlite start; clients that
  // connect meanwhile wait for the engine after authenticating.
  options.onListening?.((server.address() as net.AddressInfo).port);
  if (!options.openOnFirstConnection) {
    mainReady = registry.openMain();
    try {
      await mainReady;
    } catch (error) {
      server.close();
      await registry.closeAll();
      throw error;
    }
  }
  const port = (server.address() as net.AddressInfo).port;
  let socketPath: string | null = null;
  if (options.socketDir !== undefined) {
    socketPath = path.join(options.socketDir, `.s.PGSQL.${port}`);
    try {
      unixServer = await listenOnSocket(socketPath, onConnection);
    } catch (error) {
      if (options.onSocketError === 'warn') {
        log(`warning: no Unix-domain socket: ${error instanceof Error ? error.message : String(error)}`);
        socketPath = null;
      } else {
        server.close();
        await registry.closeAll();
        throw error;
      }
    }
  }
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host.includes(':') ? `[${host}]` : host}:${port}/${MAIN_DATABASE}?sslmode=disable`;

  return {
    host,
    port,
    url,
    socketPath,
    databases: () => registry.names(),
    waitingClients: () => [...new Set([...sessions.values()].map((s) => s.engine))].reduce((sum, engine) => sum + engine.scheduler.waiting, 0),
    runningStatements: () => [...sessions.values()].filter((s) => s.hasBatchRunning).length,
    openSockets: () => sockets.size,
    quiesce: (mode, fn, quiesceOptions = {}) => gate.run(async () => {
      epoch++;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      if (mode === 'wait') {
        const release = await holdEngines(await registry.openEngines(), quiesceOptions.waitMs);
        try {
          return await fn();
        } finally {
          release();
        }
      }
      for (const session of [...sessions.values()]) {
        session.terminate(ADMINISTRATOR_TERMINATION);
      }
      // The main database opens again as soon as fn is done (below): its thread prepares that meanwhile.
      await registry.closeAll(options.openOnFirstConnection ? {} : { keepThreadOf: MAIN_DATABASE });
      try {
        return await fn();
      } finally {
        // The main database may be gone (reset): it is made again from the template as it opens.
        mainReady = options.openOnFirstConnection ? null : registry.openMain();
        mainReady?.catch(() => {
          mainReady = null;
        });
      }
    }),
    close() {
      closing ??= (async () => {
        server.close();
        unixServer?.close(); // removes the socket file
        for (const session of [...sessions.values()]) {
          session.terminate(ADMINISTRATOR_TERMINATION);
        }
        for (const socket of sockets) socket.destroy();
        await registry.closeAll();
        await unlockDataRoot();
      })();
      return closing;
    },
  };
}

/**
 * Listens on a Unix-domain socket. A file left there by a server that died is replaced; a live server's
 * is not (SOCKET_IN_USE), as Postgres refuses to start beside another postmaster's socket.
 */
async function listenOnSocket(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
  if (alive) {
    throw new PpgError('SOCKET_IN_USE', `another server listens on ${socketPath}`, { hint: 'stop it, or choose another port or socket directory (PPG_DEV_SOCKET_DIR)' });
  }
  await rm(socketPath, { force: true });
  const unixServer = net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    unixServer.once('error', (error: NodeJS.ErrnoException) => reject(new PpgError('SOCKET_FAILED', `cannot listen on ${socketPath}: ${error.code ?? error.message}`, {
      hint: 'set PPG_DEV_SOCKET_DIR to a writable folder, or to an empty value for no socket',
      cause: error,
    })));
    unixServer.listen(socketPath, () => resolve());
  });
  return unixServer;
}

async function runDatabaseCommand(
  registry: DatabaseRegistry<ClientSession>, sessions: Map<number, ClientSession>, session: ClientSession, command: DatabaseCommand,
): Promise<Uint8Array> {
  const name = registry.resolveName(command.name);
  try {
    if (command.kind === 'create-database') {
      if (command.template !== undefined) {
        const template = registry.resolveName(command.template);
        if (!(await registry.exists(template))) return errorResponse({ severity: 'ERROR', code: '3D000', message: `template database "${command.template}" does not exist` });
        // As in Postgres: a template in use could be copied mid-write (the asking session counts too).
        const users = [...sessions.values()].filter((s) => s.engine.name === template).length;
        if (users > 0) {
          return errorResponse({
            severity: 'ERROR', code: '55006', message: `source database "${command.template}" is being accessed by other users`,
            detail: `There ${users === 1 ? 'is 1 other session' : `are ${users} other sessions`} using the database.`,
          });
        }
      }
      if (!(await registry.create(name, command.template))) return errorResponse({ severity: 'ERROR', code: '42P04', message: `database "${command.name}" already exists` });
      return commandComplete('CREATE DATABASE');
    }
    if (!(await registry.exists(name))) {
      if (command.ifExists) {
        return concatBytes([errorResponse({ severity: 'NOTICE', code: '00000', message: `database "${command.name}" does not exist, skipping` }), commandComplete('DROP DATABASE')]);
      }
      return errorResponse({ severity: 'ERROR', code: '3D000', message: `database "${command.name}" does not exist` });
    }
    if (name === session.engine.name) return errorResponse({ severity: 'ERROR', code: '55006', message: 'cannot drop the currently open database' });
    if (name === MAIN_DATABASE) {
      return errorResponse({ severity: 'ERROR', code: '55006', message: `cannot drop the main database "${MAIN_DATABASE}" of a ppg-dev server`, hint: 'remove the whole instance with ppg dev rm instead' });
    }
    const users = [...sessions.values()].filter((s) => s.engine.name === name);
    if (users.length > 0 && !command.force) {
      return errorResponse({
        severity: 'ERROR', code: '55006', message: `database "${command.name}" is being accessed by other users`,
        detail: `There ${users.length === 1 ? 'is 1 other session' : `are ${users.length} other sessions`} using the database.`,
      });
    }
    for (const user of users) user.terminate(ADMINISTRATOR_TERMINATION);
    await registry.drop(name);
    return commandComplete('DROP DATABASE');
  } catch (error) {
    return errorResponse({ severity: 'ERROR', code: '58000', message: error instanceof Error ? error.message : String(error) });
  }
}

