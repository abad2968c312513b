/**
 * `pggit install` into databases that are someone else's: its own schema and
 * ledger, a host that uses graphile-migrate itself (in either order), upgrades
 * in place, concurrent installs, dry runs and the refusals. Each test makes
 * its own empty database on the test cluster.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { InstallError, install, MIGRATIONS_FOLDER } from '../../src/install/index.js';
import { rewriteLedgerSql } from '../../src/install/ledger.js';
import { runOnce, withDatabase } from '../support/server.js';

const require = createRequire(import.meta.url);
const { calculateHash } = require('graphile-migrate/dist/hash.js') as {
  calculateHash(body: string, previous: string | null): string;
};
const gm = require('graphile-migrate') as {
  migrate(settings: object, shadow?: boolean, forceActions?: boolean): Promise<void>;
};
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

const adminUrl = inject('pggitAdminUrl');
const made: string[] = [];

async function emptyDatabase(): Promise<string> {
  const name = `pggit_install_${randomBytes(5).toString('hex')}`;
  await runOnce(adminUrl, `CREATE DATABASE ${name}`);
  made.push(name);
  return withDatabase(adminUrl, name);
}

afterAll(async () => {
  for (const name of made) {
    await runOnce(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
});

async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
) {
  return (await runOnce(url, sql, params)).rows as T[];
}

/** A migrations folder holding committed migrations with graphile-migrate's hash chain. */
function migrationsFolder(bodies: string[], from?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pggit-migrations-'));
  if (from !== undefined) cpSync(from, dir, { recursive: true });
  const committed = join(dir, 'committed');
  mkdirSync(committed, { recursive: true });
  const existing = readdirSync(committed).sort();
  let previous: string | null = null;
  for (const f of existing) {
    const m = /^--! Hash: (\S+)$/m.exec(readFileSync(join(committed, f), 'utf8'));
    previous = m?.[1] ?? previous;
  }
  bodies.forEach((raw, i) => {
    const body = `${raw.trim()}\n`;
    const hash = calculateHash(body, previous);
    const n = String(existing.length + i + 1).padStart(6, '0');
    writeFileSync(
      join(committed, `${n}.sql`),
      `--! Previous: ${previous ?? '-'}\n--! Hash: ${hash}\n\n${body}`,
    );
    previous = hash;
  });
  return dir;
}

/** The host application's own graphile-migrate run, ledger in graphile_migrate as usual. */
async function hostMigrate(url: string, folder: string) {
  await gm.migrate({ connectionString: url, migrationsFolder: folder, logger: quietLogger() });
}

function quietLogger() {
  const { Logger } = require('graphile-migrate') as {
    Logger: new (f: () => () => void) => object;
  };
  return new Logger(() => () => {});
}

const HOST_APP = [
  'CREATE TABLE app_users (id serial PRIMARY KEY, email text NOT NULL);',
  'ALTER TABLE app_users ADD COLUMN name text;',
];

const ledgers = async (url: string) => ({
  host: (
    await query<{ filename: string }>(
      url,
      "SELECT filename FROM graphile_migrate.migrations WHERE to_regclass('graphile_migrate.migrations') IS NOT NULL ORDER BY 1",
    ).catch(() => [])
  ).map((r) => r.filename),
  pggit: (
    await query<{ filename: string }>(url, 'SELECT filename FROM pggit.migrations ORDER BY 1')
  ).map((r) => r.filename),
});

describe('pggit install', () => {
  it('keeps everything in its own schema, with its own ledger, and the API works from a default search_path', async () => {
    const url = await emptyDatabase();
    const r = await install({ databaseUrl: url });
    expect(r).toMatchObject({ schema: 'pggit', apiSchema: 'public', previousVersion: null });
    expect(r.applied.length).toBeGreaterThan(0);
    // no graphile_migrate schema was created in the host
    expect(
      await query(url, "SELECT 1 FROM pg_namespace WHERE nspname = 'graphile_migrate'"),
    ).toEqual([]);
    // in public: only the API functions and the two views
    const inPublic = await query<{ name: string; kind: string }>(
      url,
      `SELECT p.proname AS name, 'function' AS kind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
       UNION ALL
       SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
    );
    for (const o of inPublic) expect(o.name, JSON.stringify(o)).toMatch(/^pggit_/);
    expect(
      inPublic
        .filter((o) => o.kind === 'v')
        .map((o) => o.name)
        .sort(),
    ).toEqual(['pggit_intents', 'pggit_open_conflicts']);
    // an agent role with the default search_path registers through the API
    const role = `agent_${randomBytes(4).toString('hex')}`;
    await query(url, `CREATE ROLE ${role} LOGIN IN ROLE pggit_agent`);
    try {
      const out = await query<{ r: { intent: { status: string; branch_name: string } } }>(
        withDatabase(url, new URL(url).pathname.slice(1), role),
        "SELECT pggit_register('a1', 'first feature', 'CREATE TABLE t1 (id int)') AS r",
      );
      expect(out[0]?.r.intent).toMatchObject({
        status: 'registered',
        branch_name: 'feature/first_feature',
      });
    } finally {
      await query(url, `DROP OWNED BY ${role}`);
      await query(url, `DROP ROLE ${role}`);
    }
  });

  it('closes its connections: the server ending connections right after install does not end the caller', async () => {
    const url = await emptyDatabase();
    const name = new URL(url).pathname.slice(1);
    // graphile-migrate's pools call process.exit(1) when an idle connection errors
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      await install({ databaseUrl: url });
      // the server ends every other connection to the database at once
      await query(
        adminUrl,
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await new Promise((r) => setTimeout(r, 400)); // past graphile-migrate's 200 ms keep-alive
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
  });

  it('installs into the schemas chosen, and refuses another API schema on a later run', async () => {
    const url = await emptyDatabase();
    await query(url, 'CREATE SCHEMA tools');
    await install({ databaseUrl: url, schema: 'coord', apiSchema: 'tools' });
    const v = await query<{ v: { schema: string; api_schema: string } }>(
      url,
      'SELECT tools.pggit_version() AS v',
    );
    expect(v[0]?.v).toMatchObject({ schema: 'coord', api_schema: 'tools' });
    expect(
      await query(
        url,
        "SELECT 1 FROM pg_proc WHERE proname = 'pggit_register' AND pronamespace = 'public'::regnamespace",
      ),
    ).toEqual([]);
    const reg = await query<{ r: { intent: { id: string } } }>(
      url,
      "SELECT tools.pggit_register('a', 'f', 'CREATE TABLE x (id int)') AS r",
    );
    expect(reg[0]?.r.intent.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await query(url, 'SELECT count(*)::int AS n FROM coord.tb_pggit_intent')).toEqual([
      { n: 1 },
    ]);
    await expect(install({ databaseUrl: url, schema: 'coord' })).rejects.toThrow(
      /installed here with --api-schema tools/,
    );
  });

  it('pggit installed first: the host application then migrates all of its own history', async () => {
    const url = await emptyDatabase();
    await install({ databaseUrl: url });
    await hostMigrate(url, migrationsFolder(HOST_APP));
    expect(await ledgers(url)).toEqual({
      host: ['000001.sql', '000002.sql'],
      pggit: readdirSync(join(MIGRATIONS_FOLDER, 'committed')).map((f) => `${f.slice(0, 6)}.sql`),
    });
    expect(
      await query(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'app_users' ORDER BY 1",
      ),
    ).toEqual([{ column_name: 'email' }, { column_name: 'id' }, { column_name: 'name' }]);
  });

  it('the host application migrated first: pggit then installs all of its own history', async () => {
    const url = await emptyDatabase();
    await hostMigrate(url, migrationsFolder(HOST_APP));
    const r = await install({ databaseUrl: url });
    const { host, pggit } = await ledgers(url);
    expect(host).toEqual(['000001.sql', '000002.sql']);
    expect(r.applied).toEqual(pggit);
    expect(pggit).toContain('000001.sql');
    expect(
      await query(url, 'SELECT to_regclass($1) IS NOT NULL AS ok', ['pggit.tb_pggit_intent']),
    ).toEqual([{ ok: true }]);
    // and the host's next migration still runs
    const more = migrationsFolder([...HOST_APP, 'ALTER TABLE app_users ADD COLUMN age int;']);
    await hostMigrate(url, more);
    expect((await ledgers(url)).host).toEqual(['000001.sql', '000002.sql', '000003.sql']);
  });

  it('upgrades in place: a newer package applies only what is new, and a second run nothing', async () => {
    const url = await emptyDatabase();
    const first = await install({ databaseUrl: url });
    const newer = migrationsFolder(
      ["COMMENT ON TABLE :PGGIT_SCHEMA.tb_pggit_intent IS 'intents (upgraded)';"],
      MIGRATIONS_FOLDER,
    );
    const second = await install({ databaseUrl: url, migrationsFolder: newer });
    const last = `${String(first.applied.length + 1).padStart(6, '0')}.sql`;
    expect(second.applied).toEqual([last]);
    expect(second.previousVersion).toBe(second.version);
    const third = await install({ databaseUrl: url, migrationsFolder: newer });
    expect(third.applied).toEqual([]);
    expect(
      await query(url, "SELECT obj_description('pggit.tb_pggit_intent'::regclass) AS c"),
    ).toEqual([{ c: 'intents (upgraded)' }]);
  });

  it('two installs at once both succeed and leave one correct install', async () => {
    const url = await emptyDatabase();
    const [a, b] = await Promise.all([
      install({ databaseUrl: url }),
      install({ databaseUrl: url }),
    ]);
    expect([...a.applied, ...b.applied].sort()).toEqual((await ledgers(url)).pggit);
    // and as two processes, as two CI jobs would run them
    const url2 = await emptyDatabase();
    const cli = () =>
      run('npx', ['--no-install', 'tsx', 'scripts/install-local.ts', url2], { cwd: root });
    await Promise.all([cli(), cli()]);
    expect((await ledgers(url2)).pggit.length).toBeGreaterThan(0);
    const v = await query<{ v: { version: string } }>(url2, 'SELECT pggit_version() AS v');
    expect(v[0]?.v.version).toBe(a.version);
  });

  it('--dry-run prints the SQL with the names filled in, and changes nothing', async () => {
    const url = await emptyDatabase();
    const r = await install({ databaseUrl: url, schema: 'dry', dryRun: true });
    expect(r.sql).toContain('CREATE TABLE dry.tb_pggit_intent');
    expect(r.sql).toContain('CREATE OR REPLACE FUNCTION public.pggit_register(');
    expect(r.sql).not.toMatch(/:PGGIT_/);
    expect(
      await query(
        url,
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('dry', 'graphile_migrate')",
      ),
    ).toEqual([]);
  });

  it('refuses bad names and URLs, a schema that is not pggit’s, and a downgrade, changing nothing', async () => {
    const url = await emptyDatabase();
    await expect(install({ databaseUrl: url, schema: 'Bad-Name' })).rejects.toBeInstanceOf(
      InstallError,
    );
    await expect(install({ databaseUrl: url, schema: 'public' })).rejects.toThrow(/own/);
    await expect(install({ databaseUrl: url, apiSchema: 'pg_catalog' })).rejects.toBeInstanceOf(
      InstallError,
    );
    await expect(install({ databaseUrl: 'not-a-url' })).rejects.toThrow(/not a database URL/);
    await query(url, 'CREATE SCHEMA taken; CREATE TABLE taken.mine (id int)');
    await expect(install({ databaseUrl: url, schema: 'taken' })).rejects.toThrow(/not pggit's/);
    await install({ databaseUrl: url });
    await query(url, "UPDATE pggit.tb_pggit_settings SET value = '99.0.0' WHERE key = 'version'");
    await expect(install({ databaseUrl: url })).rejects.toThrow(
      /99\.0\.0 is installed here, newer/,
    );
  });

  it('the migrations never name graphile_migrate, so the ledger rename touches only graphile-migrate’s own SQL', () => {
    const dir = join(MIGRATIONS_FOLDER, 'committed');
    for (const f of readdirSync(dir)) {
      expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/graphile_migrate/);
    }
    expect(
      rewriteLedgerSql('insert into graphile_migrate.migrations(hash) values ($1)', 'pggit'),
    ).toBe('insert into pggit.migrations(hash) values ($1)');
    expect(
      rewriteLedgerSql("select oid from pg_namespace where nspname = 'graphile_migrate';", 'x'),
    ).toBe("select oid from pg_namespace where nspname = 'x';");
  });
});
