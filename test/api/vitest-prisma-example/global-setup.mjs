// The README's global-setup.mjs. Its `prepare` runs `npx prisma migrate deploy`; Prisma's native schema
// engine cannot be downloaded on the machines this suite runs on, so the same engine's official Wasm
// build applies the migrations here (test/prisma/support/schema-engine.ts), as migrate deploy does.
import { fileURLToPath } from 'node:url';
import { ppgGlobalSetup } from '../../../dist/src/package-api.js';
import { migrateDeploy } from '../../prisma/support/schema-engine.ts';

export default ppgGlobalSetup({
  prepare: async (url) => {
    await migrateDeploy({
      databaseUrl: url,
      migrationsDir: fileURLToPath(new URL('./prisma/migrations', import.meta.url)),
      schemaPath: fileURLToPath(new URL('./prisma/schema.prisma', import.meta.url)),
    });
  },
});
