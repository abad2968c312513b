/**
 * `pggit install`: puts pggit into a database the user owns, or upgrades it
 * in place. graphile-migrate applies pggit's committed migrations (only those
 * not applied yet) and then the generated function SQL, with the schema names
 * filled in; pggit's ledger lives in pggit's own schema (ledger.ts), never in
 * the host's graphile_migrate.
 *
 *   await install({ databaseUrl, schema: 'pggit', apiSchema: 'public' });
 *
 * Two installs at once (two CI jobs, two agents starting together) take turns
 * on a lock and both succeed; the second finds nothing left to do but the
 * function SQL, which it applies again (CREATE OR REPLACE).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { withLedgerIn } from './ledger.js';

const require = createRequire(import.meta.url);

/** The package root: src/install and dist/install both sit two levels below it. */
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
export const MIGRATIONS_FOLDER = `${packageRoot}migrations`;
export const FUNCTIONS_SQL = 'generated/pggit-functions.sql';

export const packageVersion = (): string =>
  (JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string }).version;

export interface InstallOptions {
  databaseUrl: string;
  /** pggit's own schema: tables, internal functions, bundle, ledger. Default `pggit`. */
  schema?: string;
  /** Where the SQL API functions (`pggit_register`, ...) and views go. Default `public`. */
  apiSchema?: string;
  /** Print the SQL that would run, and change nothing. */
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Another folder of migrations (tests install older sets to prove upgrades). */
  migrationsFolder?: string;
  /** How long to wait for a concurrent graphile-migrate run on this database. Default 60 s. */
  lockTimeoutMs?: number;
}

export interface InstallResult {
  schema: string;
  apiSchema: string;
  /** Migration files applied by this run, in order. */
  applied: string[];
  version: string;
  /** The version installed before, or null for a new install. */
  previousVersion: string | null;
  /** With dryRun: the SQL that would run. */
  sql?: string;
}

/** A mistake in what was asked (a bad name or URL, a downgrade): nothing was changed. */
export class InstallError extends Error {
  override name = 'InstallError';
}

const PLAIN = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED_SCHEMAS = new Set(['public', 'information_schema', 'graphile_migrate']);

export function checkSchemaName(what: string, name: string, own: boolean): void {
  if (!PLAIN.test(name) || name.startsWith('pg_')) {
    throw new InstallError(
      `${what} must be a plain lower-case identifier (a-z, 0-9, _; at most 63; not pg_*), not ${JSON.stringify(name)}`,
    );
  }
  if (own && RESERVED_SCHEMAS.has(name)) {
    throw new InstallError(`${what} must be a schema of pggit's own, not ${name}`);
  }
}

export function checkDatabaseUrl(databaseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new InstallError(
      `not a database URL: ${JSON.stringify(databaseUrl)} (expected postgres://user@host:port/database)`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InstallError(`not a postgres:// URL: ${JSON.stringify(databaseUrl)}`);
  }
  if (url.pathname.replace(/^\//, '') === '') {
    throw new InstallError(`the database URL names no database: ${JSON.stringify(databaseUrl)}`);
  }
  return url;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

interface Installed {
  /** Files recorded in pggit's ledger, in order. */
  ledger: string[];
  version: string | null;
  apiSchema: string | null;
}

/** What is installed in `schema`, or null when the schema does not exist. */
async function inspect(client: pg.Client, schema: string): Promise<Installed | null> {
  const exists = await client.query(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS schema,
            to_regclass(format('%I.migrations', $1::text)) IS NOT NULL AS ledger,
            to_regclass(format('%I.tb_pggit_settings', $1::text)) IS NOT NULL AS settings,
            (SELECT count(*)::int FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1) AS relations`,
    [schema],
  );
  const e = exists.rows[0] as {
    schema: boolean;
    ledger: boolean;
    settings: boolean;
    relations: number;
  };
  if (!e.schema) return null;
  if (!e.ledger) {
    if (e.relations > 0) {
      throw new InstallError(
        `schema ${schema} exists and holds objects that are not pggit's: choose another --schema`,
      );
    }
    return { ledger: [], version: null, apiSchema: null };
  }
  const ledger = (
    await client.query(`SELECT filename FROM ${schema}.migrations ORDER BY filename`)
  ).rows.map((r: { filename: string }) => r.filename);
  if (!e.settings) return { ledger, version: null, apiSchema: null };
  const s = await client.query(
    `SELECT max(value) FILTER (WHERE key = 'version') AS version,
            max(value) FILTER (WHERE key = 'api_schema') AS api_schema
       FROM ${schema}.tb_pggit_settings`,
  );
  return { ledger, version: s.rows[0].version ?? null, apiSchema: s.rows[0].api_schema ?? null };
}

// graphile-migrate 1.4.1, as pinned in package.json.
interface GraphileMigrate {
  migrate(settings: object, shadow?: boolean, forceActions?: boolean): Promise<void>;
  Logger: new (factory: () => (level: string, message: string) => void) => object;
}
const gm = () => require('graphile-migrate') as GraphileMigrate;
const gmMigration = () =>
  require('graphile-migrate/dist/migration.js') as {
    getAllMigrations(settings: object): Promise<{ filename: string; body: string }[]>;
    compilePlaceholders(settings: object, content: string): string;
  };
/**
 * graphile-migrate keeps each connection pool for 200 ms after a run, with an
 * error handler that calls process.exit(1): a connection of that pool ended
 * meanwhile by the server (a restart, pg_terminate_backend, DROP DATABASE ...
 * WITH (FORCE)) would end the process that called install(). Its pools are
 * closed as soon as the run is over.
 */
const gmPools = () =>
  require('graphile-migrate/dist/pgReal.js') as {
    clearAllPools(): void;
  };
const gmSettings = () =>
  require('graphile-migrate/dist/settings.js') as {
    parseSettings(settings: object): Promise<object>;
  };

function settingsFor(
  url: string,
  schema: string,
  apiSchema: string,
  folder: string,
  log: (line: string) => void,
) {
  const { Logger } = gm();
  return {
    connectionString: url,
    migrationsFolder: folder,
    placeholders: { ':PGGIT_SCHEMA': schema, ':PGGIT_API_SCHEMA': apiSchema },
    afterAllMigrations: [FUNCTIONS_SQL],
    // pggit's own install and upgrade are never drift: the owner turns the
    // guard off for its own sessions (only the owner's override counts)
    pgSettings: { 'pggit.drift_mode': 'off' },
    logger: new Logger(() => (level, message) => {
      if (level !== 'debug') log(message);
    }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function install(options: InstallOptions): Promise<InstallResult> {
  const schema = options.schema ?? 'pggit';
  const apiSchema = options.apiSchema ?? 'public';
  const log = options.log ?? (() => {});
  const folder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const version = packageVersion();
  checkSchemaName('--schema', schema, true);
  checkSchemaName('--api-schema', apiSchema, false);
  checkDatabaseUrl(options.databaseUrl);

  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'pggit install',
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    // One install at a time per database and schema: the second waits, then
    // finds the first's work done. (graphile-migrate's own lock only lets a
    // concurrent run fail.)
    await client.query('SELECT pg_catalog.pg_advisory_lock(1885825396, hashtext($1::text))', [
      `install:${schema}`,
    ]);
    const before = await inspect(client, schema);
    if (before?.apiSchema != null && before.apiSchema !== apiSchema) {
      throw new InstallError(
        `pggit is installed here with --api-schema ${before.apiSchema}; run the install with that schema`,
      );
    }
    if (before?.version != null && compareVersions(before.version, version) > 0) {
      throw new InstallError(
        `pggit ${before.version} is installed here, newer than this package (${version}): refusing to downgrade`,
      );
    }
    const previousVersion = before?.version ?? null;

    if (options.dryRun) {
      const settings = await gmSettings().parseSettings(
        settingsFor(options.databaseUrl, schema, apiSchema, folder, log),
      );
      const done = new Set(before?.ledger ?? []);
      const pending = (await gmMigration().getAllMigrations(settings)).filter(
        (m) => !done.has(m.filename),
      );
      const compile = (sql: string) => gmMigration().compilePlaceholders(settings, sql);
      const sql = [
        ...pending.map((m) => `-- migration ${m.filename}\n${compile(m.body)}`),
        `-- ${FUNCTIONS_SQL}\n${compile(readFileSync(`${folder}/${FUNCTIONS_SQL}`, 'utf8'))}`,
      ].join('\n');
      return {
        schema,
        apiSchema,
        applied: pending.map((m) => m.filename),
        version,
        previousVersion,
        sql,
      };
    }

    const deadline = Date.now() + (options.lockTimeoutMs ?? 60_000);
    await withLedgerIn(options.databaseUrl, schema, async (url) => {
      for (;;) {
        try {
          await gm().migrate(settingsFor(url, schema, apiSchema, folder, log), false, true);
          return;
        } catch (err) {
          // the host's own graphile-migrate is running on this database
          if (!/Failed to get exclusive lock/.test(String(err)) || Date.now() > deadline) throw err;
          log('another graphile-migrate run holds the migration lock; waiting');
          await sleep(250);
        } finally {
          gmPools().clearAllPools();
        }
      }
    });
    const after = (await inspect(client, schema)) as Installed;
    const had = new Set(before?.ledger ?? []);
    return {
      schema,
      apiSchema,
      applied: after.ledger.filter((f) => !had.has(f)),
      version,
      previousVersion,
    };
  } finally {
    await client.end();
  }
}
