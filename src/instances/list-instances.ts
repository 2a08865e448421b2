import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isPpgError } from '../ppg-error.js';
import { inspectInstance, listInstanceNames } from '../state/inspect-instance.js';
import type { InstanceStatus } from '../state/instance-status.js';
import { prismaUrlsOf } from './record-urls.js';
import { instancePaths } from '../state/state-paths.js';

/** One row of `ppg dev ls --json`: a stable shape for scripts (add fields, never rename). */
export interface InstanceRow {
  name: string;
  status: InstanceStatus;
  port: number | null;
  url: string | null;
  projectDir: string | null;
  pid: number | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  dataBytes: number;
  detail: string;
  /** Prisma's companions: the HTTP endpoint and the shadow database server (null before their first start). */
  httpPort: number | null;
  shadowPort: number | null;
  /** `prisma+postgres://localhost:<httpPort>/?api_key=…`, as `ppg dev` prints it. */
  prismaUrl: string | null;
}

export interface InstanceListing {
  rows: InstanceRow[];
  /** Instances whose record could not be read; listed on stderr, never guessed into a row. */
  problems: { name: string; message: string; hint: string | undefined }[];
}

/**
 * Bytes under `dir` (0 when missing). Synchronous on purpose: a data folder holds ~1000 small
 * files, and one promise per stat made `ls` three times slower than this plain walk.
 */
function folderSize(dir: string): number {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderSize(full);
    else {
      try {
        total += lstatSync(full).size;
      } catch {
        // Removed meanwhile (PGlite rotates WAL segments).
      }
    }
  }
  return total;
}

/** Every instance with its derived status, in name order. Inspects all of them in parallel. Never loads PGlite. */
export async function listInstances(root: string, now = Date.now()): Promise<InstanceListing> {
  const names = await listInstanceNames(root);
  const listing: InstanceListing = { rows: [], problems: [] };
  const results = await Promise.all(
    names.map(async (name) => {
      const paths = instancePaths(root, name);
      try {
        return { kind: 'row' as const, view: await inspectInstance(paths), dataBytes: 0 };
      } catch (error) {
        if (!isPpgError(error)) throw error;
        return { kind: 'problem' as const, problem: { name, message: error.message, hint: error.hint } };
      }
    }),
  );
  for (const result of results) {
    if (result.kind === 'problem') {
      listing.problems.push(result.problem);
      continue;
    }
    const view = result.view;
    // Sized after every probe has answered, so the synchronous walk delays none of them.
    const dataBytes = folderSize(view.paths.data);
    const record = view.record;
    const live = view.status === 'running' || view.status === 'starting';
    listing.rows.push({
      name: view.paths.name,
      status: view.status,
      port: record?.port ?? null,
      url: record?.url ?? null,
      projectDir: record?.projectDir ?? null,
      pid: live ? (record?.pid ?? null) : null,
      startedAt: live ? (record?.startedAt ?? null) : null,
      uptimeSeconds: live && record?.startedAt ? Math.max(0, Math.round((now - Date.parse(record.startedAt)) / 1000)) : null,
      dataBytes,
      detail: view.reason,
      httpPort: record?.httpPort ?? null,
      shadowPort: record?.shadowPort ?? null,
      prismaUrl: record ? (prismaUrlsOf(record)?.prismaPostgresUrl ?? null) : null,
    });
  }
  return listing;
}
