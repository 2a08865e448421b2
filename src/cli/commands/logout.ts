import type { Command } from 'commander';
import { writeLine, type CliIo } from '../cli-io.js';

/** `ppg logout`: forgets the stored Prisma login. Service tokens in the environment are not affected. */
export function register(program: Command, io: CliIo): void {
  program
    .command('logout')
    .description('remove the stored Prisma login')
    .action(async () => {
      const { credentialsPath } = await import('../../cloud/cloud-endpoints.js');
      const { removeStoredLogin } = await import('../../cloud/credentials-store.js');
      const path = credentialsPath(io.env);
      const removed = await removeStoredLogin(path);
      writeLine(io.stderr, removed ? `Logged out; removed ${path}.` : 'Not logged in; nothing to remove.');
    });
}
