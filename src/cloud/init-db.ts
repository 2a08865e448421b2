import { basename } from 'node:path';
import { PpgError } from '../ppg-error.js';
import { checkEnvWritable, readEnvFile, updateEnvFile, type EnvFileUpdate } from '../env/env-file.js';
import { writeFileAtomic } from '../atomic-write.js';
import { pickConnectionString, type CreatedProject, type ListedProject, type Region } from './api-responses.js';
import { resolveEndpoints } from './cloud-endpoints.js';
import { projectOfUrl, readCloudLinks, rememberCloudLink } from './cloud-links.js';
import { describeHost, isPrismaPostgresUrl, redactUrls } from './connection-url.js';
import { cloudMarkerLabel, currentDatabaseUrl, listCloudCandidates, LOCAL_MARKER, restoreLocal, switchOptions } from './env-switch.js';
import { projectEnvLocation } from './env-location.js';
import { isGitIgnored } from './gitignore-check.js';
import { createLinkConnection, findProject, listProjects, pickDatabase } from './link-project.js';
import { ManagementApiClient } from './management-api-client.js';
import { ManagementApiError } from './management-api-error.js';
import { CloudRecoveryError } from './recovery-error.js';
import { resolveTokenSource } from './token-source.js';

export { LOCAL_MARKER } from './env-switch.js';
const DEFAULT_REGION = 'us-east-1';

export interface InitDbOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  token?: string;
  region?: string;
  name?: string;
  force?: boolean;
  /** Link this existing project (id or name) instead of creating one. */
  project?: string;
  /** Link an existing project chosen from the list (a prompt); used when no `project` is given. */
  chooseProject?: (projects: ListedProject[]) => Promise<ListedProject>;
  /** Asked before anything is created; returning false aborts with ABORTED. Absent = no question. */
  confirm?: (plan: { name: string; region: string }) => Promise<boolean>;
}

interface Switched {
  envPath: string;
  env: EnvFileUpdate;
  previousHost: string | undefined;
  /** True when the replaced value was a Prisma Postgres URL (`--force`). */
  previousIsCloud: boolean;
  /** True when the previous value was kept as a marker comment. */
  keptPrevious: boolean;
  /** False when no .gitignore in the project folder ignores `.env` (it now holds a password). */
  envIgnored: boolean;
  newHost: string;
  projectId: string;
}

export type InitDbResult =
  | { status: 'already-linked'; envPath: string; host: string }
  | (Switched & { status: 'switched-back' })
  | (Switched & { status: 'linked'; projectName: string; databaseId: string })
  | (Switched & { status: 'switched'; projectName: string; databaseId: string; region: string });

/**
 * `ppg init --db`: points DATABASE_URL in the project's `.env` (the project root `ppg dev` uses) at
 * Prisma Postgres, keeping the replaced value as a marker comment.
 *
 * Switching is idempotent: when `.env` keeps the URL of a cloud project this folder used before (a
 * marker left by `ppg init --local`, `ppg dev --env` or `--force`) and that project still exists,
 * DATABASE_URL goes back to it and nothing is created. Otherwise a project is created.
 *
 * Order matters: everything that can fail without side effects (already linked, `.env` writable,
 * token, region) is checked before the project is created. After it exists, a failure is a
 * CloudRecoveryError carrying the project id and the connection string, which the API shows only once.
 */
export async function initDb(options: InitDbOptions): Promise<InitDbResult> {
  const { envPath, projectDir } = projectEnvLocation(options.cwd);
  const text = await readEnvFile(envPath);
  const current = currentDatabaseUrl(text);
  const links = await readCloudLinks(options.env, projectDir);
  const currentProject = current === undefined ? undefined : projectOfUrl(links, current);
  const onCloud = current !== undefined && isPrismaPostgresUrl(current);
  // With --project, only that project counts as "already linked" (a link is asked for explicitly).
  if (onCloud && !options.force && (options.project === undefined || options.project === currentProject)) {
    return { status: 'already-linked', envPath, host: describeHost(current) };
  }
  await checkEnvWritable(envPath);
  const endpoints = resolveEndpoints(options.env);
  const client = new ManagementApiClient(endpoints, await resolveTokenSource(options.token, options.env, endpoints));
  // The label for the value being replaced: a cloud URL keeps the name of its project.
  const replacedLabel = onCloud
      ? cloudMarkerLabel(currentProject, `ppg init --db${options.force ? ' --force' : ''}`)
      : LOCAL_MARKER;
  const base = async (update: EnvFileUpdate, url: string, projectId: string): Promise<Switched> => ({
    envPath,
    env: update,
    previousHost: current === undefined ? undefined : describeHost(current),
    previousIsCloud: current !== undefined && isPrismaPostgresUrl(current),
    keptPrevious: update.changes[0]?.action === 'updated',
    envIgnored: await isGitIgnored(projectDir, '.env'),
    newHost: describeHost(url),
    projectId,
  });

  if (options.project !== undefined || options.chooseProject !== undefined) {
    const project = options.project !== undefined ? await findProject(client, options.project) : await (options.chooseProject as NonNullable<InitDbOptions['chooseProject']>)(await listProjects(client));
    if (project.id === currentProject) return { status: 'already-linked', envPath, host: describeHost(current) };
    // A URL this folder already keeps for that project is reused: no new credentials.
    const kept = listCloudCandidates(text ?? '').find((c) => (c.projectId ?? projectOfUrl(links, c.url)) === project.id);
    if (kept) {
      const written = await writeSwitch(envPath, { raw: kept.raw }, replacedLabel);
      return { status: 'switched-back', ...(await base(written, kept.url, project.id)) };
    }
    const database = await pickDatabase(client, project);
    const url = await createLinkConnection(client, database);
    await rememberCloudLink(options.env, projectDir, { projectId: project.id, databaseId: database.id }, url);
    const written = await writeOrRecover(envPath, url, replacedLabel, project.id, `new credentials for project ${project.id} were created`, 'another connection');
    return { status: 'linked', ...(await base(written, url, project.id)), projectName: project.name, databaseId: database.id };
  }

  if (!options.force && text !== undefined) {
    for (const candidate of listCloudCandidates(text)) {
      const projectId = candidate.projectId ?? projectOfUrl(links, candidate.url);
      // A URL we cannot tie to a project cannot be checked; it stays where it is, as a comment.
      if (projectId === undefined || !(await client.projectExists(projectId))) continue;
      const written = await writeSwitch(envPath, { raw: candidate.raw }, replacedLabel);
      await rememberCloudLink(options.env, projectDir, { projectId }, candidate.url);
      return { status: 'switched-back', ...(await base(written, candidate.url, projectId)) };
    }
  }

  const region = checkRegion(options.region ?? DEFAULT_REGION, await client.listPostgresRegions());
  const name = options.name ?? (basename(projectDir) || 'My Prisma Project');
  if (options.confirm && !(await options.confirm({ name, region }))) {
    throw new PpgError('ABORTED', 'nothing was created', { hint: 'run `ppg init --db --yes` to skip the question' });
  }
  const project = await createProject(client, name, region);
  const database = project.database;
  const link = `run \`ppg init --db --project ${project.id}\`: it connects to this project instead of creating another`;
  if (!database) {
    throw new CloudRecoveryError('MISSING_DATABASE', `project ${project.id} was created without a database; .env is unchanged`, `add a database to it in https://console.prisma.io, then ${link}`, {
      projectId: project.id,
    });
  }
  const url = pickConnectionString(database);
  if (!url) {
    const why = database.status === 'provisioning' ? 'is still provisioning and' : `(status ${database.status})`;
    throw new CloudRecoveryError(
      'MISSING_CONNECTION_STRING',
      `database ${database.id} in project ${project.id} ${why} came without a connection string; .env is unchanged`,
      `once it is ready, ${link}`,
      { projectId: project.id },
    );
  }
  await rememberCloudLink(options.env, projectDir, { projectId: project.id, databaseId: database.id }, url);
  const written = await writeOrRecover(envPath, url, replacedLabel, project.id, `project ${project.id} was created`, 'a second project');
  return {
    status: 'switched',
    ...(await base(written, url, project.id)),
    projectName: project.name,
    databaseId: database.id,
    region: database.regionId ?? region,
  };
}

/** The write after something was created in the cloud: a failure carries the only copy of the URL. */
async function writeOrRecover(envPath: string, url: string, replacedLabel: string, projectId: string, what: string, again: string): Promise<EnvFileUpdate> {
  try {
    return await writeSwitch(envPath, url, replacedLabel);
  } catch (error) {
    throw new CloudRecoveryError(
      'ENV_WRITE_FAILED',
      `${what} but ${(error as Error).message}`,
      `its DATABASE_URL is printed above (the API shows it only once): put it in .env by hand; do not run \`ppg init --db\` again, that would create ${again}`,
      { projectId, connectionString: url },
      error,
    );
  }
}

/** One `.env` write of the switch; a new file is 0600 (it holds a password). */
function writeSwitch(envPath: string, value: string | { raw: string }, replacedLabel: string): Promise<EnvFileUpdate> {
  return updateEnvFile(envPath, { DATABASE_URL: value }, { ...switchOptions(value, replacedLabel), secret: true });
}

/**
 * `POST /v1/projects`. A timeout or a 2xx we cannot read leaves the outcome unknown: the project may
 * exist, so the error says to look (`ppg cloud ls`) instead of retrying, and salvages what it can.
 */
async function createProject(client: ManagementApiClient, name: string, region: string): Promise<CreatedProject> {
  try {
    return await client.createProject({ name, region });
  } catch (error) {
    const unreadable2xx = error instanceof ManagementApiError && error.status >= 200 && error.status < 300;
    if (!(error instanceof PpgError) || !(error.code === 'TIMEOUT' || unreadable2xx)) throw error;
    const salvage = unreadable2xx && typeof error.details === 'string' ? error.details : '';
    const projectId = /"id"\s*:\s*"(proj_[^"]+|[a-z0-9]{20,})"/.exec(salvage)?.[1];
    const connectionString = /(postgres(?:ql)?:\/\/[^"\s]+)/.exec(salvage)?.[1];
    throw new CloudRecoveryError(
      'CREATE_OUTCOME_UNKNOWN',
      `${redactUrls(error.message)}; the project "${name}" may have been created`,
      'run `ppg cloud ls` to see whether it exists before trying again (then `ppg init --db --project <id>` connects to it)',
      { ...(projectId ? { projectId } : {}), ...(connectionString ? { connectionString } : {}) },
      error,
    );
  }
}

/** Rejects a region that the API does not list, or lists as unavailable, before anything is created. */
export function checkRegion(region: string, regions: Region[]): string {
  const available = regions.filter((r) => r.status === 'available').map((r) => r.id);
  const found = regions.find((r) => r.id === region);
  const hint = `choose one of: ${available.join(', ')}`;
  if (!found) throw new PpgError('INVALID_REGION', `unknown region "${region}"`, { hint });
  if (found.status !== 'available') throw new PpgError('REGION_UNAVAILABLE', `region "${region}" is currently unavailable`, { hint });
  return region;
}

export interface InitLocalResult {
  envPath: string;
  localHost: string;
  cloudHost: string | undefined;
}

/**
 * `ppg init --local`: puts back the DATABASE_URL that `ppg init --db` commented out, byte for byte,
 * and keeps the cloud URL as a marker comment naming its project (the API shows credentials only
 * once; `ppg init --db` uses the project id to switch back). Fails with `no_local_url` when `.env`
 * holds no such marker.
 */
export async function initLocal(options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<InitLocalResult> {
  const { envPath, projectDir } = projectEnvLocation(options.cwd);
  const text = await readEnvFile(envPath);
  const cloud = currentDatabaseUrl(text);
  const projectId = cloud === undefined ? undefined : projectOfUrl(await readCloudLinks(options.env, projectDir), cloud);
  const label = cloud !== undefined && isPrismaPostgresUrl(cloud) ? cloudMarkerLabel(projectId, 'ppg init --local') : 'before ppg init --local';
  const merged = text === undefined ? undefined : restoreLocal(text, label);
  if (merged === undefined) {
    throw new PpgError('NO_LOCAL_URL', `${envPath} has no local DATABASE_URL saved by \`ppg init --db\``, {
      hint: 'start a local database with `ppg dev` and put its URL in DATABASE_URL',
    });
  }
  await writeFileAtomic(envPath, merged.text);
  return { envPath, localHost: describeHost(currentDatabaseUrl(merged.text)), cloudHost: cloud === undefined ? undefined : describeHost(cloud) };
}
