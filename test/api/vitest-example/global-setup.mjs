import pg from 'pg';
import { ppgGlobalSetup } from '../../../dist/src/package-api.js';

// In a Prisma project, prepare would run `prisma migrate deploy` (and a seed) with DATABASE_URL = url.
export default ppgGlobalSetup({
  prepare: async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("create table todos (title text); insert into todos values ('seeded')");
    await client.end();
  },
});
