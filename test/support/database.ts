/**
 * One database per test file, cloned from the migrated template (as
 * graphile-worker does), so files run in parallel without sharing state.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { runOnce, withDatabase } from './server.js';

export interface TestDatabase {
  /** Connection URL of this file's database, as the superuser. */
  url: string;
  /** The database's name. */
  name: string;
  pool: pg.Pool;
  query: <R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ) => Promise<pg.QueryResult<R>>;
  /** A URL for another role (trust authentication on the local cluster). */
  urlFor: (role: string) => string;
  /** Runs SQL on the cluster's `postgres` database (roles, other databases). */
  admin: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;
  close: () => Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pggitAdminUrl');
  const template = inject('pggitTemplate');
  const name = `pggit_test_${randomBytes(6).toString('hex')}`;
  const admin = (sql: string, params?: unknown[]) => runOnce(adminUrl, sql, params);
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = withDatabase(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  pool.on('error', () => {}); // terminated backends in tests must not crash the runner
  return {
    url,
    name,
    pool,
    query: (sql, params) => pool.query(sql, params),
    urlFor: (role) => withDatabase(adminUrl, name, role),
    admin,
    close: async () => {
      await pool.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
