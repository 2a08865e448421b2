import { startDevServer, type DevServerOptions } from './dev-server.js';
import { closeTestDatabasePools } from './test-database.js';

/**
 * A vitest `globalSetup` that serves a throwaway ppg-dev server for the whole run, prepares a template
 * database once (migrations, seed), and provides its URL and name to the test files, which then take
 * their own copy with `createTestDatabase({ template: inject('ppgTemplate'), url: inject('ppgUrl') })`.
 */
export interface VitestSetupOptions {
  /** Name of the template database. Default `test_template`. */
  template?: string;
  /** Fills the template, e.g. `prisma migrate deploy` with DATABASE_URL set to `url`. */
  prepare?: (url: string) => Promise<void>;
  /** Passed to startDevServer; `persistence` defaults to `memory`, `port` to any free one. */
  server?: DevServerOptions;
}

/** What the setup provides (declare it in vitest's ProvidedContext to type `inject`). */
export interface PpgProvided {
  ppgUrl: string;
  ppgTemplate: string;
}

interface GlobalSetupContext {
  provide<K extends keyof PpgProvided>(key: K, value: PpgProvided[K]): void;
}

export function ppgGlobalSetup(options: VitestSetupOptions = {}): (context: GlobalSetupContext) => Promise<() => Promise<void>> {
  return async ({ provide }) => {
    const template = options.template ?? 'test_template';
    const server = await startDevServer({ persistence: 'memory', port: 0, ...options.server });
    try {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${template.replace(/"/g, '""')}"`);
      } finally {
        await admin.end();
      }
      const templateUrl = new URL(server.url);
      templateUrl.pathname = `/${encodeURIComponent(template)}`;
      await options.prepare?.(templateUrl.toString());
    } catch (error) {
      await server.close();
      throw error;
    }
    provide('ppgUrl', server.url);
    provide('ppgTemplate', template);
    return async () => {
      await closeTestDatabasePools();
      await server.close();
    };
  };
}
