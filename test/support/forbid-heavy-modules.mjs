// Preloaded with `node --import` by tests that check the light commands (ls, stop, rm, logs)
// never load the serving path: resolving PGlite, pg-gateway or the wire server fails loudly.
import { register } from 'node:module';

const hooks = `
export async function resolve(specifier, context, next) {
  if (/@electric-sql\\/pglite|pg-gateway|\\/server\\/db-server\\.js$/.test(specifier)) {
    throw new Error('heavy module loaded by a light command: ' + specifier);
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);
