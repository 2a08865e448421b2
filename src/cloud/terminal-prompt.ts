import { createInterface } from 'node:readline/promises';
import type { Writable } from 'node:stream';
import { PpgError } from '../ppg-error.js';
import type { ListedProject } from './api-responses.js';
import type { Region } from './create-db-types.js';

/**
 * Minimal prompts for the cloud commands: the question goes to `output` (the command's stderr: stdout
 * stays data) and the answer is one line from `input` (the command's stdin, injected like its output so
 * tests can answer in-process and a script can pipe answers in). End of input is an ABORTED error.
 */
async function askLine(question: string, output: Writable, input: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input, output, terminal: false });
  try {
    output.write(question);
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(undefined));
    });
    if (answer === undefined) throw new PpgError('ABORTED', 'no answer given (end of input)', { hint: 'answer the question, or pass the value as a flag' });
    return answer.trim();
  } finally {
    rl.close();
  }
}

/** "Continue? [Y/n]": empty or y/yes is yes. */
export async function askYesNo(question: string, output: Writable, input: NodeJS.ReadableStream): Promise<boolean> {
  const answer = (await askLine(`${question} [Y/n] `, output, input)).toLowerCase();
  return answer === '' || answer === 'y' || answer === 'yes';
}

/** "Delete …? [y/N]": only y/yes is yes (the safe answer is the default). */
export async function askConfirm(question: string, output: Writable, input: NodeJS.ReadableStream): Promise<boolean> {
  const answer = (await askLine(`${question} [y/N] `, output, input)).toLowerCase();
  return answer === 'y' || answer === 'yes';
}

/** A numbered region list; accepts the number or the region id. */
export async function pickRegionFromList(regions: Region[], output: Writable, input: NodeJS.ReadableStream): Promise<string> {
  if (regions.length === 0) throw new PpgError('NO_REGIONS', 'the service lists no available region', { hint: 'try again later or visit https://www.prisma-status.com/' });
  output.write('Choose a region:\n');
  regions.forEach((region, index) => output.write(`  ${index + 1}) ${region.id}${region.name ? ` - ${region.name}` : ''}\n`));
  const answer = await askLine(`Region [1-${regions.length}]: `, output, input);
  const chosen = regions[Number(answer) - 1] ?? regions.find((region) => region.id === answer);
  if (!chosen) throw new PpgError('INVALID_REGION', `Invalid region choice: ${answer}`, { hint: `enter a number from 1 to ${regions.length}` });
  return chosen.id;
}

/** A numbered project list; accepts the number, the id or the name. */
export async function pickProjectFromList(projects: ListedProject[], output: Writable, input: NodeJS.ReadableStream): Promise<ListedProject> {
  if (projects.length === 0) throw new PpgError('PROJECT_NOT_FOUND', 'this workspace has no project to link', { hint: 'run `ppg init --db` without --project to create one' });
  output.write('Choose a project:\n');
  projects.forEach((project, index) => output.write(`  ${index + 1}) ${project.name} (${project.id})\n`));
  const answer = await askLine(`Project [1-${projects.length}]: `, output, input);
  const chosen = projects[Number(answer) - 1] ?? projects.find((p) => p.id === answer) ?? projects.find((p) => p.name === answer);
  if (!chosen) throw new PpgError('PROJECT_NOT_FOUND', `Invalid project choice: ${answer}`, { hint: `enter a number from 1 to ${projects.length}` });
  return chosen;
}
