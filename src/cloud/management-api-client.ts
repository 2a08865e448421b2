import type { CloudEndpoints } from './cloud-endpoints.js';
import {
  parseConnection,
  parseCreatedProject,
  parseListedDatabase,
  parsePage,
  parseRegions,
  pickConnectionString,
  type CreatedProject,
  type ListedDatabase,
  type Region,
} from './api-responses.js';
import { sendRequest, type HttpResponse } from './http-request.js';
import { isObject, ManagementApiError, toManagementApiError } from './management-api-error.js';
import type { TokenSource } from './token-source.js';

const SERVICE = 'the Prisma Management API';
/** The documented default page size; we ask for it explicitly so paging does not depend on server defaults. */
const PAGE_LIMIT = 100;

/**
 * A small client for the Prisma Postgres Management API: `baseUrl` plus `/v1/...` paths, JSON bodies,
 * a Bearer token that is refreshed once and the call retried once on a 401 (stored logins only).
 * Every non-2xx answer throws ManagementApiError (status, our code, the API's own `apiCode`, message,
 * hint); network failures throw NETWORK_ERROR / TIMEOUT.
 */
export class ManagementApiClient {
  constructor(
    private readonly endpoints: CloudEndpoints,
    private readonly tokens: TokenSource,
  ) {}

  /** `GET /v1/regions/postgres`: every region with its status (not paginated). */
  async listPostgresRegions(): Promise<Region[]> {
    return parseRegions(await this.call('GET', '/v1/regions/postgres'));
  }

  /** `POST /v1/projects` with `createDatabase: true`: the project and its default database, with credentials. */
  async createProject(input: { name: string; region: string }): Promise<CreatedProject> {
    const response = await this.exchange('POST', '/v1/projects', { createDatabase: true, name: input.name, region: input.region });
    try {
      return parseCreatedProject(response.json);
    } catch (error) {
      // A 2xx we cannot read may still have created the project: keep the body (it may hold the only copy of the URL).
      if (!(error instanceof ManagementApiError)) throw error;
      throw new ManagementApiError(error.code, error.message, { status: response.status, hint: error.hint, apiCode: error.apiCode, details: response.text });
    }
  }

  /** `GET /v1/workspaces`, every page. */
  listWorkspaces(): Promise<unknown[]> {
    return this.listAll('/v1/workspaces');
  }

  /** `GET /v1/projects`, every page. */
  listProjects(): Promise<unknown[]> {
    return this.listAll('/v1/projects');
  }

  /** `GET /v1/projects/{id}`: true when it exists, false on a 404 (deleted, or never in this workspace). */
  async projectExists(projectId: string): Promise<boolean> {
    try {
      await this.call('GET', `/v1/projects/${encodeURIComponent(projectId)}`);
      return true;
    } catch (error) {
      if (error instanceof ManagementApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** `GET /v1/databases?projectId=`, every page: the databases of one project (list view, no secrets). */
  async listDatabases(projectId: string): Promise<ListedDatabase[]> {
    return (await this.listAll('/v1/databases', { projectId })).map(parseListedDatabase);
  }

  /**
   * `POST /v1/databases/{id}/connections {name}`: new credentials for an existing database (the API
   * never shows existing ones again), as Prisma's `postgres link` does. Returns the connection string.
   */
  async createConnection(databaseId: string, name: string): Promise<string> {
    const json = await this.call('POST', `/v1/databases/${encodeURIComponent(databaseId)}/connections`, { name });
    const data = isObject(json) && isObject(json.data) ? json.data : undefined;
    const connection = data === undefined ? undefined : parseConnection(data);
    const url = connection && pickConnectionString({ connections: [connection], connectionString: null, directConnection: null });
    if (!url) {
      throw new ManagementApiError('INVALID_RESPONSE', 'unexpected response from the Prisma Management API: the new connection has no connection string', {
        status: 200,
        hint: 'try again; report it if it persists',
        details: json,
      });
    }
    return url;
  }

  /** `DELETE /v1/projects/{id}`; any 2xx is success (the spec says 204, the docs 200). */
  async deleteProject(projectId: string): Promise<void> {
    await this.call('DELETE', `/v1/projects/${encodeURIComponent(projectId)}`);
  }

  /** Follows `pagination.nextCursor` until `hasMore` is false. */
  async listAll(path: string, filter: Record<string, string> = {}): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ ...filter, limit: String(PAGE_LIMIT), ...(cursor ? { cursor } : {}) });
      const page = parsePage(await this.call('GET', `${path}?${query.toString()}`));
      items.push(...page.items);
      // A server that repeats a cursor would page forever; stop instead.
      cursor = page.hasMore && page.nextCursor !== cursor ? page.nextCursor : null;
    } while (cursor);
    return items;
  }

  /** One API call; returns the parsed JSON body (undefined for an empty 2xx). */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    return (await this.exchange(method, path, body)).json;
  }

  /** One API call with the 401 refresh and the status check; the whole 2xx response. */
  private async exchange(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<HttpResponse> {
    let response = await this.send(method, path, body);
    if (response.status === 401 && (await this.tokens.refresh())) response = await this.send(method, path, body);
    // A token the user set by hand is named, so they know which one to replace.
    if (response.status === 401 && this.tokens.kind !== 'login') throw rejectedToken(this.tokens.kind);
    if (response.status < 200 || response.status > 299) {
      throw toManagementApiError(response.status, response.json, response.text, response.headers.get('retry-after'), SERVICE);
    }
    return response;
  }

  private send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown): Promise<HttpResponse> {
    return sendRequest({
      method,
      url: `${this.endpoints.apiBaseUrl}${path}`,
      headers: {
        Authorization: `Bearer ${this.tokens.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: this.endpoints.timeoutMs,
      service: SERVICE,
    });
  }
}

function rejectedToken(kind: 'flag' | 'env'): ManagementApiError {
  const which = kind === 'env' ? 'PRISMA_SERVICE_TOKEN' : 'the --token value';
  const hint = {
    env: 'create a new service token (Console → Workspace Settings → Service Tokens) and set PRISMA_SERVICE_TOKEN to it, or unset it to use `ppg login`',
    flag: 'pass a valid service token, or leave --token out to use PRISMA_SERVICE_TOKEN or `ppg login`',
  }[kind];
  return new ManagementApiError('TOKEN_REJECTED', `${SERVICE} rejected ${which} (HTTP 401): it is invalid, expired or revoked`, { status: 401, hint });
}
