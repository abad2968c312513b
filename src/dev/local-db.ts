/**
 * The checkout's own local database (scripts/local-db.sh), for the demo, the
 * benchmarks and the tests. Never part of the npm package: an installed pggit
 * must not start a database (see src/client/config.ts).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The project-local database's URL (`bash scripts/local-db.sh url`, which
 * installs, starts and migrates it when needed); PGGIT_DB_NAME in `env` names
 * another database on the same cluster.
 */
export function localDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const out = execFileSync('bash', [`${repoRoot}scripts/local-db.sh`, 'url'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    const url = out.trim().split('\n').pop()?.trim() ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`scripts/local-db.sh url printed no postgres:// URL: ${JSON.stringify(out)}`);
    }
    return url;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(
      `no database: set PGGIT_DATABASE_URL (or DATABASE_URL), or make \`bash scripts/local-db.sh url\` work${stderr ? `\n${stderr}` : ''}`,
      { cause: err },
    );
  }
}

/**
 * A new, migrated database `name` on the local cluster, dropped first if it
 * exists (the demo and the benchmarks start from nothing each run).
 */
export async function freshLocalDatabase(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = new URL(localDatabaseUrl());
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
  return localDatabaseUrl({ ...process.env, PGGIT_DB_NAME: name });
}
