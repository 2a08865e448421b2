import { DEFAULT_PORT, planPortCandidates } from '../state/port-plan.js';
import type { DbServer } from '../server/db-server.js';
import { bindFirstFree, type OtherInstances } from './serve-on-port.js';

/**
 * What `prisma dev` serves beside the database, so a Prisma project needs no change: a shadow database
 * server for `prisma migrate dev` (default 51215) and the HTTP endpoint behind `prisma+postgres://`
 * (default 51213). Both are sticky per instance like the database port. The shadow server opens its
 * PGlite only when Prisma first connects, so an instance that never migrates pays nothing for it.
 */
export interface PrismaCompanionOptions {
  /** The database's default port; the HTTP endpoint defaults to one below it, the shadow server to one above. */
  basePort?: number;
  stateRoot: string;
  name: string;
  /** Data root of the shadow database server (throwaway: Prisma resets it on every use). */
  shadowDataDir: string;
  templateCacheDir: string;
  host: string;
  user: string;
  password: string;
  databasePort: number;
  previousHttpPort: number | null;
  previousShadowPort: number | null;
  others: OtherInstances;
  log: (line: string) => void;
}

export interface PrismaCompanions {
  httpPort: number;
  shadowPort: number;
  /** The shadow database server, for quiescing it with the main one (a reset empties both). */
  shadow: Pick<DbServer, 'quiesce'>;
  close(): Promise<void>;
}

export async function servePrismaCompanions(options: PrismaCompanionOptions): Promise<PrismaCompanions> {
  const base = options.basePort ?? DEFAULT_PORT;
  const reserved = new Set([...options.others.reserved, options.databasePort]);
  const { startDbServer } = await import('../server/db-server.js');
  const shadow = await bindFirstFree({
    host: options.host,
    candidates: planPortCandidates({ previous: options.previousShadowPort, reserved, defaultPort: base + 1 }),
    strict: false,
    others: options.others,
    log: options.log,
    start: (port) => startDbServer({
      dataRoot: options.shadowDataDir,
      templateCacheDir: options.templateCacheDir,
      host: options.host,
      port,
      user: options.user,
      password: options.password,
      log: (line) => options.log(`shadow: ${line}`),
      openOnFirstConnection: true,
    }),
  });
  reserved.add(shadow.port);
  try {
    const { buildPrismaDevUrls } = await import('../prisma/prisma-dev-urls.js');
    const { startPrismaHttpServer } = await import('../prisma/prisma-http-server.js');
    // The executor connects by address: `localhost` may resolve to ::1 first, and we listen on 127.0.0.1.
    const internal = buildPrismaDevUrls({
      name: options.name, host: options.host, user: options.user, password: options.password,
      httpPort: 1, databasePort: options.databasePort, shadowDatabasePort: shadow.port,
    });
    const http = await bindFirstFree({
      host: options.host,
      candidates: planPortCandidates({ previous: options.previousHttpPort, reserved, defaultPort: base - 1 }),
      strict: false,
      others: options.others,
      log: options.log,
      start: (port) => startPrismaHttpServer({
        name: options.name,
        databaseUrl: internal.databaseUrl,
        shadowDatabaseUrl: internal.shadowDatabaseUrl,
        host: options.host,
        port,
        log: (line) => options.log(`prisma http: ${line}`),
      }),
    });
    return {
      httpPort: http.port,
      shadowPort: shadow.port,
      shadow,
      async close() {
        await Promise.allSettled([http.close(), shadow.close()]);
      },
    };
  } catch (error) {
    await shadow.close().catch(() => undefined);
    throw error;
  }
}
