import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askConfirm, askYesNo, pickProjectFromList, pickRegionFromList } from '../../src/cloud/terminal-prompt.js';

/** The prompts read the stream they are given (the command's injected stdin), never process.stdin. */

const answering = (...lines: string[]): Readable => Readable.from(lines.map((line) => `${line}\n`));

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { stream, text: () => text };
}

describe('terminal prompts', () => {
  it.each([
    ['y', true],
    ['YES', true],
    ['', false],
    ['n', false],
  ])('askConfirm answers %j with %s ([y/N]: the safe answer is the default)', async (line, expected) => {
    const out = output();
    expect(await askConfirm('Delete it?', out.stream, answering(line))).toBe(expected);
    expect(out.text()).toBe('Delete it? [y/N] ');
  });

  it.each([
    ['', true],
    ['yes', true],
    ['no', false],
  ])('askYesNo answers %j with %s ([Y/n])', async (line, expected) => {
    expect(await askYesNo('Create it?', output().stream, answering(line))).toBe(expected);
  });

  it('end of input is an ABORTED error, not a hang on process.stdin', async () => {
    await expect(askConfirm('Delete it?', output().stream, answering())).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('the pickers take a number or a name from the injected input', async () => {
    const regions = [{ id: 'us-east-1', status: 'available' }, { id: 'eu-central-1', name: 'Frankfurt', status: 'available' }];
    expect(await pickRegionFromList(regions, output().stream, answering('2'))).toBe('eu-central-1');
    const projects = ['a', 'b'].map((id) => ({ id: `proj_${id}`, name: id.toUpperCase(), region: null, createdAt: null }));
    expect((await pickProjectFromList(projects, output().stream, answering('B'))).id).toBe('proj_b');
  });
});
