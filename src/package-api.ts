/**
 * What `import … from 'ppg-dev'` gives: the create-db library (as the create-db package exports it) and
 * the local dev server API. The one public entry point; internal modules import each other directly.
 */
export * from './cloud/create-db.js';
export { getDevServer, startDevServer, type DevServer, type DevServerOptions, type DevServerUrls } from './api/dev-server.js';
export { closeTestDatabasePools, createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './api/test-database.js';
export { ppgGlobalSetup, type PpgProvided, type VitestSetupOptions } from './api/vitest-global-setup.js';
