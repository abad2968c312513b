/**
 * extension: V8 starts lazily, in the backend that first runs plv8 code, and
 * never in the postmaster (plv8_compat's own contract). Observed from /proc
 * on the local cluster: whether libnode is mapped, whether the runtime's
 * threads (its watchdog and V8's worker, started with the isolate) exist,
 * and that they block every signal PostgreSQL handles.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension } from './kind.js';

let db: TestDatabase;
let local = false;
beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  const r = await db.query(
    "SELECT pg_backend_pid() AS pid, current_setting('data_directory') AS dir",
  );
  // only when the server runs on this machine (not in a container) can we look into /proc
  local =
    existsSync(`/proc/${r.rows[0]!.pid}`) && existsSync(join(r.rows[0]!.dir, 'postmaster.pid'));
});
afterAll(async () => {
  await db?.close();
});

const maps = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8');
const threads = (pid: number) => readdirSync(`/proc/${pid}/task`).length;
/** The signal masks of a process's threads other than its main one, by thread id. */
const otherThreadMasks = (pid: number) =>
  readdirSync(`/proc/${pid}/task`)
    .filter((t) => Number(t) !== pid)
    .map((t) => {
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      return BigInt(`0x${/SigBlk:\s*([0-9a-f]+)/.exec(status)![1]}`);
    });
/** The signals PostgreSQL's backends handle (linux numbering); bit n-1 of a mask is signal n. */
const PG_SIGNALS = [1, 2, 3, 10, 12, 13, 14, 15, 17, 23]; // HUP INT QUIT USR1 USR2 PIPE ALRM TERM CHLD URG

extension('lazy start', () => {
  it('the postmaster never loads libnode or starts V8', async (ctx) => {
    if (!local) ctx.skip();
    const dir = (await db.query("SELECT current_setting('data_directory') AS dir")).rows[0]!.dir;
    const postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // plenty of plv8 calls have run in backends by now
    await db.query('DO $$ 1 $$ LANGUAGE plv8');
    expect(maps(postmaster)).not.toMatch(/libnode\.so|plv8_compat\.so/);
    expect(threads(postmaster)).toBe(1);
  });

  it('a backend starts V8 on its first plv8 call, not before', async (ctx) => {
    if (!local) ctx.skip();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await c.query('SELECT count(*) FROM pg_class');
      expect(maps(pid)).not.toMatch(/libnode\.so/);
      expect(threads(pid)).toBe(1);
      await c.query('DO $$ 1 $$ LANGUAGE plv8');
      expect(maps(pid)).toMatch(/libnode\.so/);
      // the backend, the runtime's watchdog and V8's one worker (compiles, GC)
      expect(threads(pid)).toBe(3);
    } finally {
      await c.end();
    }
  });

  it('only the backend’s own thread receives signals: the runtime’s threads block them all', async (ctx) => {
    if (!local) ctx.skip();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      // a call that compiles and collects, so that the worker has run tasks
      await c.query(
        "DO $$ let a = []; for (let i = 0; i < 200000; i++) a.push({ i, s: 'x' + i }); $$ LANGUAGE plv8",
      );
      const masks = otherThreadMasks(pid);
      expect(masks).toHaveLength(2);
      for (const mask of masks) {
        for (const sig of PG_SIGNALS) expect((mask >> BigInt(sig - 1)) & 1n).toBe(1n);
      }
      // and a cancel still stops running JS, through the backend's handler
      const cancel = setTimeout(() => {
        void db.query('SELECT pg_cancel_backend($1)', [pid]);
      }, 300);
      await expect(c.query('DO $$ while (true) {} $$ LANGUAGE plv8')).rejects.toMatchObject({
        code: '57014',
      });
      clearTimeout(cancel);
    } finally {
      await c.end();
    }
  });
});
