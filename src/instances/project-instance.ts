import { PpgError } from '../ppg-error.js';
import { assertValidName, nameFromProjectDir } from '../state/instance-name.js';
import { readRecord } from '../state/instance-record.js';
import { findProjectDir } from '../state/project-dir.js';
import { instancePaths } from '../state/state-paths.js';

export interface ProjectInstance {
  name: string;
  projectDir: string;
}

/**
 * Which instance `ppg dev` means here: `--name` when given, else the project folder's name. A
 * derived name already used by another project's instance is refused (two `app` folders must
 * not share one database by accident); an explicit `--name` is taken as meant.
 */
export async function resolveProjectInstance(root: string, cwd: string, explicitName?: string): Promise<ProjectInstance> {
  const projectDir = findProjectDir(cwd);
  if (explicitName !== undefined) {
    assertValidName(explicitName);
    return { name: explicitName, projectDir };
  }
  const name = nameFromProjectDir(projectDir);
  const record = await readRecord(instancePaths(root, name).record, name);
  if (record && record.projectDir !== projectDir) {
    throw new PpgError('NAME_TAKEN', `instance '${name}' belongs to another project (${record.projectDir})`, {
      hint: `use it anyway with --name ${name} (e.g. the project moved), or give this project its own: --name ${name}-2`,
    });
  }
  return { name, projectDir };
}
