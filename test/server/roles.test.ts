import pg from 'pg';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './async-checks.js';
import { useSharedServer } from './shared-server.js';
import { startTestServer } from './test-server.js';

/** Roles made with SQL log in with their own password and act with their own privileges. */
const shared = useSharedServer(startTestServer);

function urlAs(user: string, password: string, database = 'postgres'): string {
  const url = new URL(shared.srv.url);
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

async function connectAs(user: string, password: string, database?: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlAs(user, password, database) });
  await client.connect();
  return client;
}

describe('roles and passwords', () => {
  it("CREATE ROLE … LOGIN PASSWORD logs in by SCRAM with that password; a wrong one gets 28P01, an unknown role too", async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role alice login password 'wonderland'");
    const alice = await connectAs('alice', 'wonderland');
    try {
      expect((await alice.query('select current_user as who')).rows).toEqual([{ who: 'alice' }]);
    } finally {
      await alice.end();
    }
    expect((await rejectionOf(connectAs('alice', 'looking-glass'))).code).toBe('28P01');
    expect((await rejectionOf(connectAs('nobody', 'wonderland'))).code).toBe('28P01');
    // The configured user keeps working.
    expect((await admin.query('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
  });

  it('a role whose stored password is MD5 logs in by MD5 (as under pg_hba md5), with postgres.js and pg; a wrong password gets 28P01', async () => {
    const admin = await shared.bag.connect();
    await admin.query("set password_encryption = 'md5'");
    await admin.query("create role old_timer login password 'hash-me'");
    await admin.query('reset password_encryption');
    expect((await admin.query("select left(rolpassword, 3) as kind from pg_authid where rolname = 'old_timer'")).rows).toEqual([{ kind: 'md5' }]);
    const viaPg = await connectAs('old_timer', 'hash-me');
    try {
      expect((await viaPg.query('select current_user as who')).rows).toEqual([{ who: 'old_timer' }]);
    } finally {
      await viaPg.end();
    }
    const viaPostgresJs = postgres(urlAs('old_timer', 'hash-me'), { max: 1, onnotice: () => undefined });
    try {
      expect((await viaPostgresJs`select current_user as who`)[0]).toEqual({ who: 'old_timer' });
    } finally {
      await viaPostgresJs.end({ timeout: 5 });
    }
    expect((await rejectionOf(connectAs('old_timer', 'wrong'))).code).toBe('28P01');
    // SCRAM roles are unaffected.
    await admin.query("create role new_timer login password 'scram-me'");
    const scram = await connectAs('new_timer', 'scram-me');
    await scram.end();
  });

  it('a role made in the main database logs in to another database too (roles are cluster-wide in Postgres)', async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role erin login password 'e'");
    await admin.query('create database erins_db');
    const erin = await connectAs('erin', 'e', 'erins_db');
    try {
      expect((await erin.query('select current_database() as db')).rows).toEqual([{ db: 'erins_db' }]);
    } finally {
      await erin.end();
    }
    expect((await rejectionOf(connectAs('erin', 'wrong', 'erins_db'))).code).toBe('28P01');
  });

  it('a role without LOGIN cannot log in; ALTER ROLE … PASSWORD takes effect for the next login', async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role bob nologin password 'first'");
    expect((await rejectionOf(connectAs('bob', 'first'))).code).toBe('28P01');
    await admin.query("alter role bob login password 'second'");
    expect((await rejectionOf(connectAs('bob', 'first'))).code).toBe('28P01');
    const bob = await connectAs('bob', 'second');
    await bob.end();
  });

  it("a role created inside a transaction that rolls back cannot log in", async () => {
    const admin = await shared.bag.connect();
    await admin.query('begin');
    await admin.query("create role ghost login password 'boo'");
    await admin.query('rollback');
    expect((await rejectionOf(connectAs('ghost', 'boo'))).code).toBe('28P01');
  });

  it("each client's statements run with its own role's privileges and row-level security, alternating with a superuser on the same database", async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role carol login password 'c'");
    await admin.query('create table secrets (owner text, body text)');
    await admin.query("insert into secrets values ('carol', 'mine'), ('dave', 'not mine')");
    await admin.query('create table private_notes (body text)');
    await admin.query('alter table secrets enable row level security');
    await admin.query('create policy own_rows on secrets using (owner = current_user)');
    await admin.query('grant select on secrets to carol');
    const carol = await connectAs('carol', 'c');
    try {
      expect((await carol.query('select body from secrets')).rows).toEqual([{ body: 'mine' }]);
      expect((await admin.query('select count(*)::int as n from secrets')).rows).toEqual([{ n: 2 }]);
      expect((await rejectionOf(carol.query('select * from private_notes'))).code).toBe('42501');
      expect((await admin.query('select count(*)::int as n from private_notes')).rows).toEqual([{ n: 0 }]);
      expect((await carol.query('select body from secrets')).rows).toEqual([{ body: 'mine' }]);
    } finally {
      await carol.end();
    }
  });

  it("a role's client that changes its own settings still runs as its role afterwards (the settings read back keep the role)", async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role frank login password 'f'");
    const frank = await connectAs('frank', 'f');
    try {
      await frank.query("set search_path = public");
      await frank.query("select set_config('application_name', 'franks-app', false)");
      // Another client runs between frank's statements, so the engine switches settings both ways.
      expect((await admin.query('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
      expect((await frank.query('select current_user as who, current_setting($1) as app', ['application_name'])).rows).toEqual([{ who: 'frank', app: 'franks-app' }]);
      expect((await admin.query('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
    } finally {
      await frank.end();
    }
  });

  it('a role logs in as its own session user: session_user is the role, RESET ROLE comes back to it, SET ROLE postgres is denied (42501)', async () => {
    const admin = await shared.bag.connect();
    await admin.query("create role grace login password 'g'; create role auditors; grant auditors to grace");
    const grace = await connectAs('grace', 'g');
    try {
      expect((await grace.query('select session_user as s, current_user as c')).rows).toEqual([{ s: 'grace', c: 'grace' }]);
      await grace.query('set role auditors');
      expect((await admin.query('select session_user as s, current_user as c')).rows).toEqual([{ s: 'postgres', c: 'postgres' }]);
      expect((await grace.query('select session_user as s, current_user as c')).rows).toEqual([{ s: 'grace', c: 'auditors' }]);
      await grace.query('reset role');
      expect((await grace.query('select current_user as c')).rows).toEqual([{ c: 'grace' }]);
      expect((await rejectionOf(grace.query('set role postgres'))).code).toBe('42501');
      expect((await admin.query('select session_user as s, current_user as c')).rows).toEqual([{ s: 'postgres', c: 'postgres' }]);
      // A role change is visible to pg_authid readers only as the superuser: the server's own read of the
      // roles after this batch must not be refused, and grace's login keeps working.
      await admin.query("alter role grace password 'g2'");
      const again = await connectAs('grace', 'g2');
      await again.end();
    } finally {
      await grace.end();
    }
  });
});
