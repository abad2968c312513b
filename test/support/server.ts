/** Small helpers over a server URL, shared by the global set-up and each test file. */
import pg from 'pg';

/** The same server, another database (and optionally another role). */
export function withDatabase(url: string, database: string, user?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user !== undefined) u.username = user;
  return u.toString();
}

/** Runs one statement on its own connection (CREATE/DROP DATABASE, roles). */
export async function runOnce(
  url: string,
  sql: string,
  params?: unknown[],
): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}
