/**
 * plv8 runtime contract (plv8/README.md): running JS can always be stopped
 * (statement_timeout, pg_cancel_backend, pg_terminate_backend), and JS heap
 * exhaustion is a clean ERROR, never a backend crash.  These are properties
 * of plv8_compat (real PLV8 3.1 ignores cancellation in `while(true){}`), so
 * they are skipped when the server uses the real extension.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let compat = false;
const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  c.on('error', () => {}); // a terminated backend must not crash the runner
  await c.connect();
  clients.push(c);
  return c;
}

async function pidOf(c: pg.Client): Promise<number> {
  return (await c.query('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** Waits until backend `pid` is running `fragment`. */
async function waitRunning(pid: number, fragment: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await db.query(
      "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%' || $2 || '%'",
      [pid, fragment],
    );
    if (r.rowCount) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`backend ${pid} never ran ${fragment}`);
}

beforeAll(async () => {
  db = await createTestDatabase();
  const r = await db.query(
    "SELECT extname FROM pg_extension WHERE extname IN ('plv8', 'plv8_compat')",
  );
  compat = r.rows[0]?.extname === 'plv8_compat';
  await db.query(`
    CREATE FUNCTION rt_rel_loop() RETURNS int LANGUAGE plv8 AS $$ while (true) {} $$;
    CREATE FUNCTION rt_rel_loop_catching() RETURNS int LANGUAGE plv8 AS $$
      for (;;) { try { plv8.execute('SELECT pg_sleep(0.01)'); } catch (e) { /* swallow */ } }
    $$;
    CREATE FUNCTION rt_rel_ok(x int) RETURNS int LANGUAGE plv8 AS $$ return x + 1; $$;
    CREATE FUNCTION rt_rel_oom() RETURNS int LANGUAGE plv8 AS $$
      let a = []; while (true) a.push(new Array(1e6).fill(1));
    $$;
    CREATE FUNCTION rt_rel_oom_global() RETURNS int LANGUAGE plv8 AS $$
      globalThis.hog = []; while (true) globalThis.hog.push(new Array(1e6).fill(1));
    $$;
  `);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await db?.close();
});

describe('stopping running JavaScript', () => {
  it('statement_timeout stops while(true){} with 57014 and the connection keeps working', async (ctx) => {
    if (!compat) ctx.skip();
    const c = await connect();
    const pid = await pidOf(c);
    await c.query('SET statement_timeout = 200');
    // the loop is endless: only the timeout can end it, so 57014 proves it stopped
    await expect(c.query('SELECT rt_rel_loop()')).rejects.toMatchObject({ code: '57014' });
    await c.query('RESET statement_timeout');
    expect(await pidOf(c)).toBe(pid);
    expect((await c.query('SELECT rt_rel_ok(1) AS v')).rows[0]!.v).toBe(2);
    // and again: the isolate is reusable after a termination
    await c.query('SET statement_timeout = 100');
    await expect(c.query('SELECT rt_rel_loop()')).rejects.toMatchObject({ code: '57014' });
    await c.query('RESET statement_timeout');
    expect((await c.query('SELECT rt_rel_ok(2) AS v')).rows[0]!.v).toBe(3);
  });

  it('statement_timeout also stops JS that swallows the errors of plv8.execute', async (ctx) => {
    if (!compat) ctx.skip();
    const c = await connect();
    await c.query('SET statement_timeout = 300');
    await expect(c.query('SELECT rt_rel_loop_catching()')).rejects.toMatchObject({
      code: '57014',
    });
    await c.query('RESET statement_timeout');
    expect((await c.query('SELECT rt_rel_ok(5) AS v')).rows[0]!.v).toBe(6);
  });

  it('pg_cancel_backend from another connection stops it; the connection keeps working', async (ctx) => {
    if (!compat) ctx.skip();
    const c = await connect();
    const pid = await pidOf(c);
    const running = c.query('SELECT rt_rel_loop()');
    const outcome = running.then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    await waitRunning(pid, 'rt_rel_loop');
    const r = await db.query('SELECT pg_cancel_backend($1) AS ok', [pid]);
    expect(r.rows[0]!.ok).toBe(true);
    const err = await outcome;
    expect(err?.code).toBe('57014');
    expect(await pidOf(c)).toBe(pid);
    expect((await c.query('SELECT rt_rel_ok(10) AS v')).rows[0]!.v).toBe(11);
  });

  it('pg_terminate_backend from another connection ends that backend only', async (ctx) => {
    if (!compat) ctx.skip();
    const bystander = await connect();
    const bystanderPid = await pidOf(bystander);
    const c = await connect();
    const pid = await pidOf(c);
    const outcome = c.query('SELECT rt_rel_loop()').then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    await waitRunning(pid, 'rt_rel_loop');
    const r = await db.query('SELECT pg_terminate_backend($1, 5000) AS ok', [pid]);
    expect(r.rows[0]!.ok).toBe(true);
    const err = await outcome;
    expect(err).toBeInstanceOf(Error);
    // the backend is gone, the server did not restart: the bystander's session survives
    const gone = await db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [
      pid,
    ]);
    expect(gone.rows[0]!.n).toBe(0);
    expect(await pidOf(bystander)).toBe(bystanderPid);
    expect((await bystander.query('SELECT rt_rel_ok(20) AS v')).rows[0]!.v).toBe(21);
  });
});

describe('JS heap exhaustion', () => {
  it('is a clean out-of-memory ERROR (53200) and the backend keeps working', async (ctx) => {
    if (!compat) ctx.skip();
    const bystander = await connect();
    const bystanderPid = await pidOf(bystander);
    const c = await connect();
    const pid = await pidOf(c);
    await expect(c.query('SELECT rt_rel_oom()')).rejects.toMatchObject({ code: '53200' });
    expect(await pidOf(c)).toBe(pid);
    expect((await c.query('SELECT rt_rel_ok(30) AS v')).rows[0]!.v).toBe(31);
    // memory held by a global is released too (the isolate is recreated)
    await expect(c.query('SELECT rt_rel_oom_global()')).rejects.toMatchObject({ code: '53200' });
    expect((await c.query('SELECT rt_rel_ok(40) AS v')).rows[0]!.v).toBe(41);
    expect(await pidOf(bystander)).toBe(bystanderPid);
  });

  it('inside a transaction, the error aborts only that transaction', async (ctx) => {
    if (!compat) ctx.skip();
    const c = await connect();
    await c.query('BEGIN');
    await expect(c.query('SELECT rt_rel_oom()')).rejects.toMatchObject({ code: '53200' });
    await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('ROLLBACK');
    expect((await c.query('SELECT rt_rel_ok(50) AS v')).rows[0]!.v).toBe(51);
  });
});
