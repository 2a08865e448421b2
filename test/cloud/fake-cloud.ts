import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The one fake in the test suite: a real HTTP server on 127.0.0.1, port 0, serving the three cloud
 * surfaces (Management API, OAuth, create-db worker) from JSON fixtures in fixtures/cloud, recording
 * every request for exact assertions. `scenario` switches the failure being injected.
 */

export type Scenario =
  | 'success'
  | 'invalid_grant'
  | 'ratelimit'
  | 'ratelimit-programmatic'
  | 'apierror'
  | 'badjson'
  | 'badjson-2xx'
  | 'provisioning'
  | 'region-unavailable'
  | 'timeout'
  | 'health-slow'
  | 'create-timeout'
  | 'regions-5xx'
  | 'create-5xx';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

const FIXTURES = new URL('../../fixtures/cloud/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixture(name)) as T;
}

export const SERVICE_TOKEN = 'svc_test';
const FIXTURE_PROJECT_IDS = ['proj_a', 'proj_b'];
export const ACCESS_TOKEN = fixtureJson<{ access_token: string }>('oauth.token.200.json').access_token;
export const REFRESHED_TOKEN = fixtureJson<{ access_token: string }>('oauth.token.refreshed.200.json').access_token;
export const DIRECT_URL = 'postgres://u_test:sk_test@db.prisma.io:5432/postgres?sslmode=require';

export class FakeCloud {
  readonly requests: RecordedRequest[] = [];
  scenario: Scenario = 'success';
  /** Bearer tokens the Management API accepts; the expired token in auth.expired.json is not one of them. */
  readonly acceptedTokens = new Set([SERVICE_TOKEN, ACCESS_TOKEN, REFRESHED_TOKEN]);
  /** Every project that exists (list view, keyed by id): the two listed in the fixtures, then those made by `POST /v1/projects`. */
  readonly projects = new Map<string, Record<string, unknown>>(
    ['projects.list.page1.json', 'projects.list.page2.json'].flatMap((name) => fixtureJson<{ data: Array<Record<string, unknown>> }>(name).data.map((p) => [p.id as string, p] as const)),
  );
  /** Runs after a project is created and before the answer is sent (to break something in between). */
  onProjectCreated: (() => Promise<void> | void) | undefined;
  /** A refresh waits for this before it is answered (to make two refreshes overlap). */
  refreshGate: Promise<void> | undefined;
  /** Refresh tokens already used: like the real server, each one works once. */
  private readonly usedRefreshTokens = new Set<string>();
  private readonly challenges = new Map<string, string>();
  private created = 0;
  private connections = 0;
  private readonly waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeCloud> {
    let fake: FakeCloud | undefined;
    const server = createServer((request, response) => {
      void fake!.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeCloud(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** Resolves once `condition` holds, re-checked after every request (no polling, no sleeps). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (condition()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Requests to one surface, without the method/path noise of the others. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', this.url);
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    for (const check of this.waiters.splice(0)) check();
    if (this.scenario === 'timeout') return; // never answer: the client's timeout must fire
    if (url.pathname.startsWith('/v1/')) return this.managementApi(recorded, response);
    if (url.pathname === '/authorize') return this.authorize(recorded, response);
    if (url.pathname === '/token') return this.token(recorded, response);
    return this.worker(recorded, response);
  }

  private managementApi(request: RecordedRequest, response: ServerResponse): void | Promise<void> {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !this.acceptedTokens.has(token)) return sendFile(response, 401, 'error.401.json');
    const route = `${request.method} ${request.path}`;
    if (route === 'GET /v1/regions/postgres') {
      return sendFile(response, 200, this.scenario === 'region-unavailable' ? 'regions.postgres.unavailable.json' : 'regions.postgres.json');
    }
    if (route === 'GET /v1/workspaces') return sendFile(response, 200, 'workspaces.list.json');
    if (route === 'GET /v1/projects') return this.listProjects(request, response);
    if (route === 'POST /v1/projects') return this.createProject(request, response, true);
    if (route === 'GET /v1/databases') return this.listDatabases(request, response);
    const databaseId = /^\/v1\/databases\/([^/]+)\/connections$/.exec(request.path)?.[1];
    if (databaseId !== undefined && request.method === 'POST') return this.createConnection(databaseId, response);
    const projectId = /^\/v1\/projects\/([^/]+)$/.exec(request.path)?.[1];
    if (projectId !== undefined && request.method === 'GET' && this.projects.has(projectId)) return send(response, 200, JSON.stringify({ data: this.projects.get(projectId) }), 'application/json');
    if (projectId !== undefined && request.method === 'DELETE' && this.projects.delete(projectId)) return send(response, 204, '', undefined);
    return sendFile(response, 404, 'error.404.json');
  }

  /** `GET /v1/databases?projectId=`: the fixture's (proj_a: a failed one and the ready default; proj_b: none), a minted project's default. */
  private listDatabases(request: RecordedRequest, response: ServerResponse): void {
    const projectId = request.query.projectId;
    const listed = fixtureJson<{ data: Array<{ project: { id: string } }> }>('databases.list.json');
    const data: unknown[] = listed.data.filter((d) => d.project.id === projectId);
    const minted = projectId === undefined || FIXTURE_PROJECT_IDS.includes(projectId) ? undefined : this.projects.get(projectId);
    if (minted) data.push({ id: String(minted.id).replace('proj_', 'db_'), type: 'database', name: minted.name, status: 'ready', isDefault: true, connections: [], project: { id: minted.id } });
    send(response, 200, JSON.stringify({ data, pagination: { nextCursor: null, hasMore: false } }), 'application/json');
  }

  /** `POST /v1/databases/{id}/connections`: fresh credentials each time (u_link1, u_link2, ...), 200 as the real API. */
  private createConnection(databaseId: string, response: ServerResponse): void {
    this.connections += 1;
    const text = fixture('connection.create.200.json').replace(/link1/g, `link${this.connections}`).replace(/"db_a"/g, JSON.stringify(databaseId));
    send(response, 200, text, 'application/json');
  }

  /** The fixture pages (without deleted projects), with the projects created in this run appended to the last page. */
  private listProjects(request: RecordedRequest, response: ServerResponse): void {
    const lastPage = request.query.cursor === 'cur_page2';
    const page = fixtureJson<{ data: Array<{ id: string }> }>(lastPage ? 'projects.list.page2.json' : 'projects.list.page1.json');
    page.data = page.data.filter((p) => this.projects.has(p.id));
    if (lastPage) page.data.push(...([...this.projects.values()].filter((p) => !FIXTURE_PROJECT_IDS.includes(p.id as string)) as Array<{ id: string }>));
    send(response, 200, JSON.stringify(page), 'application/json');
  }

  /**
   * The Management API mints a new project each time: the first is the fixture as is (proj_test1,
   * u_test:sk_test), the n-th has every id and credential suffixed with n (proj_test2, u_test2:sk_test2).
   * The create-db worker answers with the fixture unchanged.
   */
  private async createProject(request: RecordedRequest, response: ServerResponse, mint = false): Promise<void> {
    // The project is made, but the answer never comes (the client's timeout fires after creation).
    if (this.scenario === 'create-timeout' && mint) {
      this.created += 1;
      return;
    }
    if (this.scenario === 'apierror') return sendFile(response, 400, 'error.400.json');
    if (this.scenario === 'badjson') return send(response, 400, '<html><body>Bad Request</body></html>', 'text/html');
    if (this.scenario === 'ratelimit') return sendFile(response, 429, 'createdb.429.json');
    if (this.scenario === 'ratelimit-programmatic') return sendFile(response, 429, 'createdb.429.programmatic.json', { 'Retry-After': '60' });
    let text = fixture(this.scenario === 'provisioning' ? 'project.create.provisioning.201.json' : 'project.create.201.json');
    if (mint) {
      const n = this.created + 1;
      this.created = n;
      if (n > 1) text = text.replace(/\b(proj|db|con)_test1\b/g, `$1_test${n}`).replace(/u_test:sk_test@/g, `u_test${n}:sk_test${n}@`).replace('"user":"u_test"', `"user":"u_test${n}"`).replace(/"pass":"sk_test"/g, `"pass":"sk_test${n}"`);
      // The project gets the requested name, as the real API does.
      const parsed = JSON.parse(text) as { data: Record<string, unknown> };
      const requested = (JSON.parse(request.body || '{}') as { name?: string }).name;
      if (requested) parsed.data.name = requested;
      text = JSON.stringify(parsed);
      const { database: _database, ...project } = parsed.data;
      this.projects.set(project.id as string, project);
    }
    await this.onProjectCreated?.();
    if (this.scenario === 'badjson-2xx') return send(response, 201, text.slice(0, -40), 'application/json');
    send(response, 201, text, 'application/json');
  }

  /** Validates the PKCE request and redirects back with a code, as auth.prisma.io does. */
  private authorize(request: RecordedRequest, response: ServerResponse): void {
    const q = request.query;
    if (q.response_type !== 'code' || q.code_challenge_method !== 'S256' || !q.redirect_uri || !q.code_challenge || !q.state) {
      return send(response, 400, 'bad authorize request', 'text/plain');
    }
    const code = `code_${this.challenges.size + 1}`;
    this.challenges.set(code, q.code_challenge);
    response.writeHead(302, { Location: `${q.redirect_uri}?code=${code}&state=${encodeURIComponent(q.state)}` }).end();
  }

  private async token(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') === 'authorization_code') {
      const challenge = this.challenges.get(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (this.scenario === 'invalid_grant' || !challenge || createHash('sha256').update(verifier).digest('base64url') !== challenge) {
        return sendFile(response, 400, 'oauth.token.invalid_grant.400.json');
      }
      return sendFile(response, 200, 'oauth.token.200.json');
    }
    if (form.get('grant_type') === 'refresh_token') {
      await this.refreshGate;
      const refreshToken = form.get('refresh_token') ?? '';
      const known = refreshToken === 'rt_test' || refreshToken === 'rt_test2';
      if (this.scenario === 'invalid_grant' || !known || this.usedRefreshTokens.has(refreshToken)) return sendFile(response, 400, 'oauth.token.invalid_grant.400.json');
      this.usedRefreshTokens.add(refreshToken);
      return sendFile(response, 200, 'oauth.token.refreshed.200.json');
    }
    return sendFile(response, 400, 'oauth.token.invalid_grant.400.json');
  }

  /** The create-db worker: /health, /regions, /create (validating the body as the worker does). */
  private worker(request: RecordedRequest, response: ServerResponse): void | Promise<void> {
    const route = `${request.method} ${request.path}`;
    if (route === 'GET /health') return this.scenario === 'health-slow' ? undefined : sendFile(response, 200, 'createdb.health.json');
    if (route === 'GET /regions' && this.scenario === 'regions-5xx') return send(response, 503, 'upstream connect error', 'text/plain');
    if (route === 'GET /regions') return sendFile(response, 200, this.scenario === 'region-unavailable' ? 'regions.postgres.unavailable.json' : 'regions.postgres.json');
    if (route !== 'POST /create') return sendFile(response, 404, 'error.404.json');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      return send(response, 400, 'Invalid JSON body', 'text/plain');
    }
    if (!body.region || !body.name) return send(response, 400, fixture('error.400.txt'), 'text/plain');
    if (body.ttlMs !== undefined && (typeof body.ttlMs !== 'number' || body.ttlMs < 1_800_000 || body.ttlMs > 86_400_000)) {
      return send(response, 400, 'Invalid ttlMs in request body', 'text/plain');
    }
    if (this.scenario === 'badjson') return send(response, 400, fixture('error.400.txt'), 'text/plain');
    if (this.scenario === 'create-5xx') return send(response, 500, JSON.stringify({ error: { message: 'Internal server error' } }), 'application/json');
    return this.createProject(request, response);
  }
}

function send(response: ServerResponse, status: number, body: string, contentType: string | undefined, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...(contentType ? { 'Content-Type': contentType } : {}), ...headers }).end(body);
}

function sendFile(response: ServerResponse, status: number, name: string, headers: Record<string, string> = {}): void {
  send(response, status, fixture(name), 'application/json', headers);
}

/** A URL on which nothing listens (the "server down" scenario): bind port 0, note it, close it. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
