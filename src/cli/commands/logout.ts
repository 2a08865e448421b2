import type { Command } from 'commander';
import { credentialsPath } from '../../cloud/cloud-endpoints.js';
import { removeStoredLogin } from '../../cloud/credentials-store.js';
import { writeLine, type CliIo } from '../cli-io.js';

/** `ppg logout`: forgets the stored Prisma login. Service tokens in the environment are not affected. */
export function register(program: Command, io: CliIo): void {
  program
    .command('logout')
    .description('remove the stored Prisma login')
    .action(async () => {
      const path = credentialsPath(io.env);
      const removed = await removeStoredLogin(path);
      writeLine(io.stderr, removed ? `Logged out; removed ${path}.` : 'Not logged in; nothing to remove.');
    });
}
