import { buildPrismaDevUrls, type PrismaDevUrls } from '../prisma/prisma-dev-urls.js';
import type { InstanceRecord } from '../state/instance-record.js';

/**
 * The `prisma dev` URL family of a running instance, as printed and written to `.env` (`localhost`,
 * database `template1`). Undefined for records written before the Prisma companions existed.
 */
export function prismaUrlsOf(record: InstanceRecord): PrismaDevUrls | undefined {
  if (record.port == null || record.httpPort == null || record.shadowPort == null) return undefined;
  return buildPrismaDevUrls({
    name: record.name,
    user: record.user,
    password: record.password,
    httpPort: record.httpPort,
    databasePort: record.port,
    shadowDatabasePort: record.shadowPort,
  });
}
