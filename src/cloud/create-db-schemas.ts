import { REGION_IDS, type RegionId } from './create-db-types.js';

/**
 * create-db 1.2.x exports its zod schemas `RegionSchema`, `CreateFlags` and `RegionsFlags`. We have no
 * zod dependency (and add none for three small schemas), so these are hand-written objects with the
 * part of zod's interface callers use: `parse` (returns the value or throws), `safeParse`
 * (`{success, data}` or `{success, error}`), and `options` on the enum.
 */

export interface SafeParseResult<T> {
  success: boolean;
  data?: T;
  error?: Error;
}

export interface Schema<T> {
  parse(value: unknown): T;
  safeParse(value: unknown): SafeParseResult<T>;
}

function schema<T>(check: (value: unknown) => T): Schema<T> {
  return {
    parse: check,
    safeParse(value) {
      try {
        return { success: true, data: check(value) };
      } catch (error) {
        return { success: false, error: error as Error };
      }
    },
  };
}

/** `z.enum([...region ids])`. */
export const RegionSchema: Schema<RegionId> & { options: readonly RegionId[] } = {
  ...schema((value) => {
    if (typeof value === 'string' && (REGION_IDS as readonly string[]).includes(value)) return value as RegionId;
    throw new Error(`Invalid enum value. Expected ${REGION_IDS.map((id) => `'${id}'`).join(' | ')}, received '${String(value)}'`);
  }),
  options: REGION_IDS,
};

/** The flags of `create-db [create]`, as create-db's `CreateFlags` object schema (all optional). */
export interface CreateFlagsInput {
  region?: RegionId;
  interactive?: boolean;
  json?: boolean;
  env?: string;
  ttl?: string;
  copy?: boolean;
  quiet?: boolean;
  open?: boolean;
  userAgent?: string;
}

/** The flags of `create-db regions`. */
export interface RegionsFlagsInput {
  json?: boolean;
}

const BOOLEAN_FLAGS = ['interactive', 'json', 'copy', 'quiet', 'open'] as const;
const STRING_FLAGS = ['env', 'ttl', 'userAgent'] as const;

export const CreateFlags: Schema<CreateFlagsInput> = schema((value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('Expected object');
  const input = value as Record<string, unknown>;
  const out: CreateFlagsInput = {};
  if (input.region !== undefined) out.region = RegionSchema.parse(input.region);
  for (const key of BOOLEAN_FLAGS) {
    if (input[key] === undefined) continue;
    if (typeof input[key] !== 'boolean') throw new Error(`${key}: Expected boolean, received ${typeof input[key]}`);
    out[key] = input[key];
  }
  for (const key of STRING_FLAGS) {
    if (input[key] === undefined) continue;
    if (typeof input[key] !== 'string') throw new Error(`${key}: Expected string, received ${typeof input[key]}`);
    out[key] = input[key];
  }
  return out;
});

export const RegionsFlags: Schema<RegionsFlagsInput> = schema((value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('Expected object');
  const json = (value as Record<string, unknown>).json;
  if (json !== undefined && typeof json !== 'boolean') throw new Error(`json: Expected boolean, received ${typeof json}`);
  return json === undefined ? {} : { json };
});
