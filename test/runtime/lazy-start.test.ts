/**
 * extension: V8 starts lazily, in the backend that first runs plv8 code, and
 * never in the postmaster (plv8_compat's own contract). Observed from /proc
 * on the local cluster: whether libnode is mapped, and whether the runtime's
 * watchdog thread (started with the isolate) exists. The library itself is in
 * the postmaster only when shared_preload_libraries names it (the checkout's
 * cluster does: scripts/local-db.sh), and then in every backend from the
 * start; V8 still starts only at a backend's first call.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension } from './kind.js';

let db: TestDatabase;
let local = false;
let preloaded = false;
beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  const r = await db.query(
    "SELECT pg_backend_pid() AS pid, current_setting('data_directory') AS dir",
  );
  // only when the server runs on this machine (not in a container) can we look into /proc
  local =
    existsSync(`/proc/${r.rows[0]!.pid}`) && existsSync(join(r.rows[0]!.dir, 'postmaster.pid'));
  const p = await db.query<{ p: string }>(
    "SELECT current_setting('shared_preload_libraries') AS p",
  );
  preloaded = /\bplv8_compat\b/.test(p.rows[0]!.p);
});
afterAll(async () => {
  await db?.close();
});

const maps = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8');
const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).length;

extension('lazy start', () => {
  it('the postmaster never starts V8, and holds the library only when it preloads it', async (ctx) => {
    if (!local) ctx.skip();
    const dir = (await db.query("SELECT current_setting('data_directory') AS dir")).rows[0]!.dir;
    const postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // plenty of plv8 calls have run in backends by now
    await db.query('DO $$ 1 $$ LANGUAGE plv8');
    if (preloaded)
      expect(maps(postmaster)).toMatch(
        /plv8_compat\.so[\s\S]*libnode\.so|libnode\.so[\s\S]*plv8_compat\.so/,
      );
    else expect(maps(postmaster)).not.toMatch(/libnode\.so|plv8_compat\.so/);
    expect(threads(postmaster)).toBe(1);
  });

  it('a backend starts V8 on its first plv8 call, not before', async (ctx) => {
    if (!local) ctx.skip();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await c.query('SELECT count(*) FROM pg_class');
      // preloaded, the backend inherits the library linked; otherwise it has none yet
      if (preloaded) expect(maps(pid)).toMatch(/libnode\.so/);
      else expect(maps(pid)).not.toMatch(/libnode\.so/);
      expect(threads(pid)).toBe(1);
      await c.query('DO $$ 1 $$ LANGUAGE plv8');
      expect(maps(pid)).toMatch(/libnode\.so/);
      expect(threads(pid)).toBe(2); // the backend plus the runtime's watchdog thread
    } finally {
      await c.end();
    }
  });
});
