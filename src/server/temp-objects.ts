import { firstError } from './backend-output.js';
import type { Engine } from './engine.js';

/**
 * Temporary objects per client on a shared engine. Postgres gives each backend its own pg_temp; here all
 * clients share the engine's one session, so only the client that runs has its temp objects under their
 * own names. When the engine passes to another client, the objects in place are renamed aside
 * (`ppg_temp_<pid>_<oid>`, original names kept in `pg_temp.ppg_temp_names`) and the next client's own are
 * renamed back. Renaming invalidates cached plans that use them, so a prepared statement is analysed again
 * against its own client's objects. Clients that never mention temporary objects cost nothing: with no
 * such client on the engine, no switch runs.
 *
 * Edge cases (README, known differences): temp functions are not set aside; a DISCARD ALL is only allowed
 * when the client is alone on the engine (statement-rewrite.ts), so it reaches nobody else's objects; an
 * engine restart (cancel of a running statement) loses every client's temp objects, as before.
 */

/** The reserved prefix: objects named so are the server's or set aside, never a client's in place. */
const RESERVED = '^ppg_temp_';

/** The client's objects in place (relations, standalone composite/enum/domain/range types), with the command words that rename and drop each. */
const IN_PLACE_SQL = `
  SELECT c.oid, c.relname::text AS name,
         CASE WHEN c.relkind = 'c' THEN 'TYPE' ELSE 'TABLE' END AS alter_kind,
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
           WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END AS drop_kind
    FROM pg_catalog.pg_class c
   WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() AND c.relname !~ '${RESERVED}'
  UNION ALL
  SELECT t.oid, t.typname::text, CASE WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE 'TYPE' END, CASE WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE 'TYPE' END
    FROM pg_catalog.pg_type t
   WHERE t.typnamespace = pg_catalog.pg_my_temp_schema() AND t.typrelid = 0 AND t.typname !~ '${RESERVED}'
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type b WHERE b.typarray = t.oid)
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range rg WHERE rg.rngmultitypid = t.oid)`;

/**
 * The functions and the name table, made in the engine's session next to the other server functions
 * (pglite-open.ts installs them at open and after a DISCARD). They run as their owner, the superuser: the
 * switch runs under whichever client's role was last in place, and the objects belong to several roles.
 */
export const TEMP_OBJECTS_SQL = `
CREATE TEMP TABLE IF NOT EXISTS ppg_temp_names (relid oid NOT NULL, owner int NOT NULL, name name NOT NULL, alter_kind text NOT NULL, drop_kind text NOT NULL);
CREATE OR REPLACE FUNCTION pg_temp.ppg_temp_switch(away int, back int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $ppg$
DECLARE r record;
BEGIN
  IF away IS NOT NULL THEN
    FOR r IN ${IN_PLACE_SQL} LOOP
      EXECUTE format('ALTER %s pg_temp.%I RENAME TO %I', r.alter_kind, r.name, 'ppg_temp_' || away || '_' || r.oid);
      INSERT INTO pg_temp.ppg_temp_names VALUES (r.oid, away, r.name, r.alter_kind, r.drop_kind);
    END LOOP;
  END IF;
  IF back IS NOT NULL THEN
    FOR r IN DELETE FROM pg_temp.ppg_temp_names n WHERE n.owner = back RETURNING n.* LOOP
      -- A CASCADE of someone's DROP may have taken it meanwhile (ALTER TYPE has no IF EXISTS).
      CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = r.relid UNION ALL SELECT 1 FROM pg_catalog.pg_type WHERE oid = r.relid);
      EXECUTE format('ALTER %s pg_temp.%I RENAME TO %I', r.alter_kind, 'ppg_temp_' || back || '_' || r.relid, r.name);
    END LOOP;
  END IF;
END $ppg$;
CREATE OR REPLACE FUNCTION pg_temp.ppg_temp_drop(owner int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $ppg$
DECLARE r record;
BEGIN
  IF owner IS NULL THEN
    FOR r IN ${IN_PLACE_SQL} LOOP
      EXECUTE format('DROP %s IF EXISTS pg_temp.%I CASCADE', r.drop_kind, r.name);
    END LOOP;
  ELSE
    FOR r IN DELETE FROM pg_temp.ppg_temp_names n WHERE n.owner = ppg_temp_drop.owner RETURNING n.* LOOP
      EXECUTE format('DROP %s IF EXISTS pg_temp.%I CASCADE', r.drop_kind, 'ppg_temp_' || owner || '_' || r.relid);
    END LOOP;
  END IF;
END $ppg$`;

/** What DISCARD TEMP of a client runs instead: its own objects (in place while it runs) dropped, nobody else's. */
export const DISCARD_OWN_TEMP_SQL = 'DO $ppg$BEGIN PERFORM pg_temp.ppg_temp_drop(NULL); END$ppg$';

const TEMP_WORDS = /\btemp(?:orary)?\b|\bpg_temp\b/i;

/** The SQL may make or use temporary objects (cheap text check; a false alarm only costs switches). */
export function mentionsTemp(sql: string): boolean {
  return TEMP_WORDS.test(sql);
}

export interface TempUser {
  readonly pid: number;
}

/**
 * The switch that puts `next`'s objects in place, given whose are in place now (`current`); null when
 * nothing has to move, which is always the case while no client of the engine uses temp objects.
 */
export function tempSwitchSql(current: number | null, next: number | null): string | null {
  if (current === next || (current === null && next === null)) return null;
  return `SELECT pg_temp.ppg_temp_switch(${current ?? 'NULL'}, ${next ?? 'NULL'})`;
}

const users = new WeakSet<TempUser>();

/** `session` ran SQL that mentions temporary objects: from now on its objects are switched in and out. */
export function markTempUser(session: TempUser): void {
  users.add(session);
}

export function usesTemp(session: TempUser): boolean {
  return users.has(session);
}

/** Puts `session`'s temp objects in place, and everybody else's aside. Must be called by the engine's owner. */
export async function switchTempObjects<S extends TempUser>(engine: Engine<S>, session: S, log: (line: string) => void): Promise<void> {
  const next = usesTemp(session) ? session : null;
  const sql = tempSwitchSql(engine.tempObjectsOwner?.pid ?? null, next?.pid ?? null);
  if (!sql) return;
  const error = firstError(await engine.execQuery(sql));
  if (error) log(`could not switch temporary objects to session ${session.pid}: ${error.get('M')}`);
  engine.setTempObjectsOwner(next);
}

/** Drops a departed client's temp objects, in place or set aside. Must be called by the engine's owner. */
export async function dropTempObjectsOf<S extends TempUser>(engine: Engine<S>, session: S): Promise<void> {
  if (!usesTemp(session)) return;
  const inPlace = engine.tempObjectsOwner === session;
  await engine.execQuery(`SELECT pg_temp.ppg_temp_drop(${inPlace ? 'NULL' : session.pid})`);
  if (inPlace) engine.setTempObjectsOwner(null);
}
