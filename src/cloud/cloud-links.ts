import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { resolveStateRoot } from '../state/state-paths.js';

/**
 * Which Prisma Postgres projects a project folder was switched to, so that `ppg init --local` can
 * name the project in the marker it leaves and `ppg init --db` can go back to it. A link names the
 * connection by its user (not a secret) and host; the password stays in `.env` only.
 * Stored in `<state>/cloud-links/<hash of the folder>.json`; reads and writes are best effort, since
 * the record only improves a later switch and must never fail the one in progress.
 */
export interface CloudLink {
  projectId: string;
  databaseId?: string;
  user: string;
  host: string;
}

interface LinkFile {
  schemaVersion: 1;
  projectDir: string;
  links: CloudLink[];
}

function linkFilePath(env: NodeJS.ProcessEnv, projectDir: string): string {
  const id = createHash('sha256').update(projectDir).digest('hex').slice(0, 16);
  return join(resolveStateRoot(env), 'cloud-links', `${id}.json`);
}

export async function readCloudLinks(env: NodeJS.ProcessEnv, projectDir: string): Promise<CloudLink[]> {
  try {
    const parsed = JSON.parse(await readFile(linkFilePath(env, projectDir), 'utf8')) as Partial<LinkFile>;
    return parsed.schemaVersion === 1 && parsed.projectDir === projectDir && Array.isArray(parsed.links) ? parsed.links : [];
  } catch {
    return [];
  }
}

/** Adds (or moves to the end) the link for `url`. Returns false when the record could not be written. */
export async function rememberCloudLink(env: NodeJS.ProcessEnv, projectDir: string, link: { projectId: string; databaseId?: string }, url: string): Promise<boolean> {
  const identity = connectionIdentity(url);
  if (!identity) return false;
  const links = (await readCloudLinks(env, projectDir)).filter((l) => !(l.user === identity.user && l.host === identity.host));
  links.push({ ...link, ...identity });
  const path = linkFilePath(env, projectDir);
  try {
    await mkdir(join(path, '..'), { recursive: true });
    const file: LinkFile = { schemaVersion: 1, projectDir, links };
    await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    return true;
  } catch {
    return false;
  }
}

/** The project a connection URL belongs to, by its user and host, when this folder recorded it. */
export function projectOfUrl(links: CloudLink[], url: string): string | undefined {
  const identity = connectionIdentity(url);
  if (!identity) return undefined;
  // One connection's direct and pooled URLs share the user, which is unique per connection.
  return links.filter((l) => l.user === identity.user).pop()?.projectId;
}

function connectionIdentity(url: string): { user: string; host: string } | undefined {
  try {
    const parsed = new URL(url);
    return parsed.username ? { user: decodeURIComponent(parsed.username), host: parsed.host } : undefined;
  } catch {
    return undefined;
  }
}
