import { hostname } from 'node:os';
import { PpgError } from '../ppg-error.js';
import { parseListedProject, type ListedDatabase, type ListedProject } from './api-responses.js';
import type { ManagementApiClient } from './management-api-client.js';

/**
 * `ppg init --db --project <id|name>`: connect a folder to a database that already exists, as
 * Prisma's `postgres link` does, instead of creating a project.
 */

/** Every project the token can see, in the API's order. */
export async function listProjects(client: ManagementApiClient): Promise<ListedProject[]> {
  return (await client.listProjects()).map(parseListedProject);
}

/**
 * The project whose id is `idOrName`, else the one project with that name. Fails with
 * PROJECT_NOT_FOUND, or PROJECT_AMBIGUOUS when several projects share the name (ids are listed).
 */
export async function findProject(client: ManagementApiClient, idOrName: string): Promise<ListedProject> {
  const projects = await listProjects(client);
  const byId = projects.find((p) => p.id === idOrName);
  if (byId) return byId;
  const byName = projects.filter((p) => p.name === idOrName);
  if (byName.length === 1) return byName[0] as ListedProject;
  if (byName.length > 1) {
    throw new PpgError('PROJECT_AMBIGUOUS', `${byName.length} projects are named "${idOrName}": ${byName.map((p) => p.id).join(', ')}`, {
      hint: 'pass the project id instead: ppg init --db --project <id>',
    });
  }
  throw new PpgError('PROJECT_NOT_FOUND', `no project with the id or name "${idOrName}" in this workspace`, { hint: 'run `ppg cloud ls` to see your projects' });
}

/** The project's default database when it is ready, else its first ready one. Fails with `no_ready_database`. */
export async function pickDatabase(client: ManagementApiClient, project: ListedProject): Promise<ListedDatabase> {
  const ready = (await client.listDatabases(project.id)).filter((d) => d.status === 'ready');
  const chosen = ready.find((d) => d.isDefault) ?? ready[0];
  if (!chosen) {
    throw new PpgError('NO_READY_DATABASE', `project ${project.id} ("${project.name}") has no database that is ready`, {
      hint: 'create one in https://console.prisma.io or wait until it is ready, then run the command again',
    });
  }
  return chosen;
}

/** New credentials on the database, named after this machine (Prisma's link uses `dev-<hostname>`). */
export function createLinkConnection(client: ManagementApiClient, database: ListedDatabase): Promise<string> {
  return client.createConnection(database.id, `ppg-dev-${hostname()}`);
}
