import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newRecord, parseRecord, readRecord, writeRecord } from '../../src/state/instance-record.js';

const FILE = '/state/instances/app/instance.json';
const valid = { ...newRecord('app', '/work/app'), pid: 42, port: 51214, url: 'postgres://x' };

describe('parseRecord', () => {
  it('accepts a valid record', () => {
    expect(parseRecord(JSON.stringify(valid), FILE, 'app')).toEqual(valid);
  });
  it.each([
    ['empty file', '', /empty file/],
    ['truncated JSON', JSON.stringify(valid).slice(0, 40), /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['no schemaVersion', JSON.stringify({ ...valid, schemaVersion: undefined }), /schemaVersion/],
    ['a string pid', JSON.stringify({ ...valid, pid: '42' }), /'pid'/],
    ['port out of range', JSON.stringify({ ...valid, port: 70000 }), /'port'/],
    ['missing projectDir', JSON.stringify({ ...valid, projectDir: undefined }), /'projectDir'/],
    ['another name', JSON.stringify({ ...valid, name: 'web' }), /does not match/],
  ])('refuses %s as RECORD_CORRUPT naming the file', (_label, text, detail) => {
    let caught: unknown;
    try {
      parseRecord(text, FILE, 'app');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'RECORD_CORRUPT', message: expect.stringContaining(FILE) });
    expect((caught as Error).message).toMatch(detail);
    expect((caught as { hint: string }).hint).toContain('.bak');
  });
  it('refuses a newer schema with RECORD_TOO_NEW', () => {
    expect(() => parseRecord(JSON.stringify({ ...valid, schemaVersion: 99 }), FILE, 'app')).toThrow(
      expect.objectContaining({ code: 'RECORD_TOO_NEW', hint: expect.stringContaining('upgrade') }),
    );
  });
});

describe('writeRecord / readRecord', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  it('round-trips atomically and leaves no temp file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ppg-record-'));
    const file = path.join(dir, 'instance.json');
    expect(await readRecord(file, 'app')).toBeUndefined();
    await writeRecord(file, valid);
    await writeRecord(file, { ...valid, pid: null });
    expect(await readRecord(file, 'app')).toEqual({ ...valid, pid: null });
    expect(await readdir(dir)).toEqual(['instance.json']);
    expect(JSON.parse(await readFile(file, 'utf8')).schemaVersion).toBe(1);
  });
});
