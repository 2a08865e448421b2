import fc from 'fast-check';
import { propertyRuns } from '../support/property-runs.js';
import { describe, expect, it } from 'vitest';
import { cloudMarkerLabel, listCloudCandidates, LOCAL_MARKER, restoreLocal, switchDatabaseUrl } from '../../src/cloud/env-switch.js';
import { splitLines } from '../../src/env/env-lines.js';
import { readEnvVar } from '../../src/env/env-merge.js';

/**
 * Generated `.env` files (the input space is too large for examples): any mix of comments, blank
 * lines, other keys in every quoting style, duplicate and odd DATABASE_URL lines, LF or CRLF, with
 * or without a final newline. The switch local → cloud → local → cloud → local must keep every byte
 * that is not DATABASE_URL's, keep every replaced value, and reach the same text on every lap.
 */

const CLOUD = 'postgres://u_1:sk_1@db.prisma.io:5432/postgres?sslmode=require';
const CLOUD_2 = 'postgres://u_2:sk_2@db.prisma.io:5432/postgres?sslmode=require';
const TO_LOCAL = cloudMarkerLabel('proj_1', 'ppg init --local');

const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '#', '=', '"', "'", '`', '\\', '$', '/', ':', '@', '?', 'é', '\t') });
const quoted = (value: string) =>
  fc.constantFrom(value, `"${value.replace(/"/g, '')}"`, `'${value.replace(/'/g, '')}'`, `\`${value.replace(/`/g, '')}\``);
const otherKey = fc.constantFrom('A', 'PORT', 'DATABASE_URL_2', 'SHADOW_DATABASE_URL', 'export B', ' C');
const line = fc.oneof(
  text.filter((t) => !t.trimStart().startsWith('# DATABASE_URL')).map((t) => `# ${t}`),
  fc.constant(''),
  fc.tuple(otherKey, text).chain(([key, value]) => quoted(value).map((v) => `${key}=${v}`)),
  text.map((t) => `  weird ${t}`),
);
const localValue = fc.oneof(
  fc.constant('postgres://postgres:postgres@localhost:51214/template1?sslmode=disable'),
  text.filter((t) => !t.includes('db.prisma.io')),
);
/** A double-quoted value spanning lines, as dotenv allows. */
const multiLine = fc.tuple(text, text).map(([a, b]) => `"${a.replace(/["\\]/g, '')}\n${b.replace(/["\\]/g, '')}"`);
const databaseLine = fc
  .tuple(fc.oneof(localValue.chain(quoted), multiLine), fc.constantFrom('', ' # local', '   '))
  .map(([value, suffix]) => `DATABASE_URL=${value}${suffix}`);
const envText = fc
  .record({
    before: fc.array(line, { maxLength: 6 }),
    database: databaseLine,
    extraDuplicate: fc.option(databaseLine),
    after: fc.array(line, { maxLength: 6 }),
    eol: fc.constantFrom('\n', '\r\n'),
    finalNewline: fc.boolean(),
  })
  .map(({ before, database, extraDuplicate, after, eol, finalNewline }) => {
    const lines = [...before, ...(extraDuplicate ? [extraDuplicate] : []), database, ...after];
    return lines.join(eol) + (finalNewline ? eol : '');
  });

/** The text without the marker lines a switch added (those naming `label`). */
function withoutMarkers(value: string, label: string): string {
  return splitLines(value)
    .filter((l) => !l.startsWith(`# DATABASE_URL (${label}): `))
    .join('');
}

describe('switching DATABASE_URL between local and cloud (generated .env files)', () => {
  it('every lap gives the same bytes; the local value comes back exactly; nothing else changes', () => {
    fc.assert(
      fc.property(envText, (original) => {
        const local = readEnvVar(original, 'DATABASE_URL');
        // An unclosed quote above can swallow the key (as in dotenv): then there is nothing to switch back to.
        fc.pre(local !== undefined);
        const onCloud = switchDatabaseUrl(original, CLOUD, LOCAL_MARKER).text;
        expect(readEnvVar(onCloud, 'DATABASE_URL')).toBe(CLOUD);
        const onLocal = restoreLocal(onCloud, TO_LOCAL)?.text as string;
        expect(readEnvVar(onLocal, 'DATABASE_URL')).toBe(local);
        // Going local again only added the cloud marker: the rest is the original, byte for byte.
        expect(withoutMarkers(onLocal, TO_LOCAL)).toBe(original);
        const [candidate] = listCloudCandidates(onLocal);
        expect(candidate).toMatchObject({ url: CLOUD, projectId: 'proj_1' });
        const back = switchDatabaseUrl(onLocal, { raw: candidate!.raw }, LOCAL_MARKER).text;
        expect(back).toBe(onCloud);
        expect(restoreLocal(back, TO_LOCAL)?.text).toBe(onLocal);
      }),
      propertyRuns(300),
    );
  });

  it('a second cloud database never pushes the first one out', () => {
    fc.assert(
      fc.property(envText, (original) => {
        fc.pre(readEnvVar(original, 'DATABASE_URL') !== undefined);
        const first = restoreLocal(switchDatabaseUrl(original, CLOUD, LOCAL_MARKER).text, TO_LOCAL)?.text as string;
        const second = switchDatabaseUrl(first, CLOUD_2, LOCAL_MARKER).text;
        const forced = switchDatabaseUrl(second, CLOUD, cloudMarkerLabel('proj_2', 'ppg init --db --force')).text;
        const urls = listCloudCandidates(restoreLocal(forced, TO_LOCAL)?.text as string).map((c) => c.url);
        expect(urls.sort()).toEqual([CLOUD, CLOUD_2].sort());
      }),
      propertyRuns(200),
    );
  });
});
