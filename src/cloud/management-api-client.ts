import type { CloudEndpoints } from './cloud-endpoints.js';
import { parseCreatedProject, parsePage, parseRegions, type CreatedProject, type Region } from './api-responses.js';
import { sendRequest, type HttpResponse } from './http-request.js';
import { ManagementApiError, toManagementApiError } from './management-api-error.js';
import type { TokenSource } from './token-source.js';

const SERVICE = 'the Prisma Management API';
/** The documented default page size; we ask for it explicitly so paging does not depend on server defaults. */
const PAGE_LIMIT = 100;

/**
 * A small client for the Prisma Postgres Management API: `baseUrl` plus `/v1/...` paths, JSON bodies,
 * a Bearer token that is refreshed once and the call retried once on a 401 (stored logins only).
 * Every non-2xx answer throws ManagementApiError (status, the API's `code`, message, hint); network
 * failures throw `network_error` / `timeout`.
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
      throw new ManagementApiError(response.status, error.code, error.message, error.hint, response.text);
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

  /** `DELETE /v1/projects/{id}`; any 2xx is success (the spec says 204, the docs 200). */
  async deleteProject(projectId: string): Promise<void> {
    await this.call('DELETE', `/v1/projects/${encodeURIComponent(projectId)}`);
  }

  /** Follows `pagination.nextCursor` until `hasMore` is false. */
  async listAll(path: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(PAGE_LIMIT), ...(cursor ? { cursor } : {}) });
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
