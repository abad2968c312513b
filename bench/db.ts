/**
 * The benchmark's databases: a migrated template made by scripts/local-db.sh
 * on the project-local cluster (never the server of PGGIT_DATABASE_URL or
 * DATABASE_URL), and clones of it, one per use, dropped at the end. With
 * PGGIT_PG_ROOT set, local-db.sh runs the private PostgreSQL copy of that
 * folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const TEMPLATE = 'pggit_bench_template';

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function connect(
  url: string,
  name = 'pggit bench',
  options?: string,
): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: name, options });
  await c.connect();
  return c;
}

export async function once<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = await connect(url);
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * local-db.sh's environment: always the project-local cluster. With
 * PGGIT_DATABASE_URL or DATABASE_URL it would install pggit into that
 * database and hand it to us as the template, which we may drop.
 */
function benchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PGGIT_DB_NAME: TEMPLATE };
  delete env.PGGIT_DATABASE_URL;
  delete env.DATABASE_URL;
  return env;
}

export class BenchServer {
  private readonly clones = new Set<string>();

  private constructor(
    /** URL of the template database (pggit installed, no intents). */
    readonly templateUrl: string,
    /** Database names of this run start with it. */
    readonly prefix: string,
  ) {}

  get adminUrl(): string {
    return withDatabase(this.templateUrl, 'postgres');
  }

  /**
   * local-db.sh installs what is missing, starts the cluster and installs
   * (or upgrades in place) pggit in the template database.
   */
  static async start(prefix: string, log: (s: string) => void): Promise<BenchServer> {
    const t0 = performance.now();
    const url = () =>
      execFileSync('bash', [join(root, 'scripts/local-db.sh'), 'url'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: benchEnv(),
      })
        .trim()
        .split('\n')
        .pop() as string;
    let templateUrl = url();
    if (
      !/^postgres(ql)?:\/\//.test(templateUrl) ||
      new URL(templateUrl).pathname !== `/${TEMPLATE}`
    ) {
      throw new Error(`scripts/local-db.sh url printed no URL of ${TEMPLATE}: ${templateUrl}`);
    }
    // The template is only ever cloned, never written to; should it hold
    // anything (a run interrupted while it was being made), it is made afresh.
    const [{ n }] = (await once<{ n: number }>(
      templateUrl,
      'SELECT (SELECT count(*) FROM pggit.tb_pggit_intent)::int + (SELECT count(*) FROM pggit.tb_pggit_conflict)::int AS n',
    )) as [{ n: number }];
    if (n > 0) {
      log(`template ${TEMPLATE} holds rows: making it afresh`);
      await once(withDatabase(templateUrl, 'postgres'), `DROP DATABASE ${TEMPLATE} WITH (FORCE)`);
      templateUrl = url();
    }
    log(`server and template ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const server = new BenchServer(templateUrl, prefix);
    await server.dropLeftovers();
    return server;
  }

  url(db: string): string {
    return withDatabase(this.templateUrl, db);
  }

  /** A new database `<prefix><name>`, a copy of the template (or of another database of ours). */
  async clone(name: string, from: string = TEMPLATE): Promise<string> {
    const db = `${this.prefix}${name}`;
    if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`not a plain database name: ${db}`);
    await once(this.adminUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    for (let attempt = 0; ; attempt++) {
      try {
        await once(this.adminUrl, `CREATE DATABASE ${db} TEMPLATE ${from}`);
        break;
      } catch (err) {
        // another session is still on the template (a concurrent install): wait
        if ((err as { code?: string }).code !== '55006' || attempt > 40) throw err;
        await sleep(250);
      }
    }
    this.clones.add(db);
    return this.url(db);
  }

  async drop(db: string): Promise<void> {
    await once(this.adminUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    this.clones.delete(db);
  }

  async dropAll(): Promise<void> {
    for (const db of [...this.clones]) await this.drop(db);
  }

  /** Databases of an earlier run of the same mode that ended before it could drop them. */
  private async dropLeftovers(): Promise<void> {
    const rows = await once<{ datname: string }>(
      this.adminUrl,
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2',
      [this.prefix, TEMPLATE],
    );
    for (const r of rows) await this.drop(r.datname);
  }
}

/** pgbench of the server's major version: PGGIT_PG_ROOT's copy, the system's, or PATH's. */
export function findPgbench(major: number): string | null {
  const candidates = [
    process.env.PGGIT_PG_ROOT &&
      join(process.env.PGGIT_PG_ROOT, `usr/lib/postgresql/${major}/bin/pgbench`),
    `/usr/lib/postgresql/${major}/bin/pgbench`,
  ].filter((x): x is string => typeof x === 'string' && x !== '');
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
