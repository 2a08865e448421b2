import { PpgError } from '../ppg-error.js';
import type { ListedProject } from './api-responses.js';
import { resolveEndpoints } from './cloud-endpoints.js';
import { listProjects } from './link-project.js';
import { ManagementApiClient } from './management-api-client.js';
import { resolveTokenSource } from './token-source.js';

/**
 * `ppg cloud ls` and `ppg cloud rm`: the projects a token can see, and deleting one, so that
 * projects left behind by retries can be found and cleaned up.
 */

async function clientFor(env: NodeJS.ProcessEnv, token: string | undefined): Promise<ManagementApiClient> {
  const endpoints = resolveEndpoints(env);
  return new ManagementApiClient(endpoints, await resolveTokenSource(token, env, endpoints));
}

/** Every project, all pages. Fails like every Management API call (`missing_token`, HTTP errors). */
export async function listCloudProjects(options: { env: NodeJS.ProcessEnv; token?: string }): Promise<ListedProject[]> {
  return listProjects(await clientFor(options.env, options.token));
}

/**
 * Deletes a project and every database in it. `confirm` sees the project (name, region) first and
 * may say no (ABORTED, nothing deleted). Fails with PROJECT_NOT_FOUND for an id the API does not know.
 */
export async function removeCloudProject(options: {
  env: NodeJS.ProcessEnv;
  token?: string;
  projectId: string;
  confirm?: (project: ListedProject) => Promise<boolean>;
}): Promise<ListedProject> {
  const client = await clientFor(options.env, options.token);
  const project = (await listProjects(client)).find((p) => p.id === options.projectId);
  if (!project) {
    throw new PpgError('PROJECT_NOT_FOUND', `no project with the id "${options.projectId}" in this workspace`, { hint: 'run `ppg cloud ls` to see the ids' });
  }
  if (options.confirm && !(await options.confirm(project))) throw new PpgError('ABORTED', 'nothing was deleted', { hint: 'pass --yes to skip the question' });
  await client.deleteProject(project.id);
  return project;
}
