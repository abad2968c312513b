/**
 * Faults in the middle of a registration: a statement timeout, a cancel, a
 * lock timeout while waiting for a stripe, and a backend killed with SIGKILL
 * (on a cluster of its own: the postmaster then restarts every backend).
 * Each leaves nothing partial behind: the same rows as before, and every
 * invariant.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts, register } from '../registry/helpers.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { brokenInvariants } from '../support/invariants.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // A test-only pause inside the registration, after it has read the active
  // intents and locked its stripes: the branch counter's insert sleeps.
  await db.query(`CREATE FUNCTION test_pause() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN IF NEW.slug LIKE 'fault%' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`);
  await db.query(`CREATE TRIGGER test_pause BEFORE INSERT OR UPDATE ON pggit.tb_pggit_branch_counter
    FOR EACH ROW EXECUTE FUNCTION test_pause()`);
});
afterAll(async () => {
  await db?.close();
});

async function connect(url = db.url): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

async function waitUntilSleeping(watcher: pg.Pool | pg.Client, pid: number) {
  for (let i = 0; i < 200; i++) {
    const r = await watcher.query(
      "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
      [pid],
    );
    if (r.rowCount) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`backend ${pid} never reached the pause`);
}

describe('interrupted registrations leave nothing behind', () => {
  it('statement_timeout in the middle of a registration', async () => {
    await register(db.pool, 'fault-a', 'before timeout', 'ALTER TABLE fault_t ADD COLUMN a int');
    const before = await counts(db.pool);
    const c = await connect();
    try {
      await c.query("SET statement_timeout = '500ms'");
      const e = await register(
        c,
        'fault-b',
        'fault timeout',
        'ALTER TABLE fault_t ADD COLUMN a int',
      ).catch((x: pg.DatabaseError) => x);
      // our runtime says 57014; real PLV8 may report the interrupt as XX000
      expect(['57014', 'XX000']).toContain((e as pg.DatabaseError).code);
      expect((e as pg.DatabaseError).message).toMatch(/statement timeout|interrupted/);
    } finally {
      await c.end();
    }
    expect(await counts(db.pool)).toEqual(before);
    expect(await brokenInvariants(db.pool)).toEqual({});
  });

  it('pg_cancel_backend in the middle of a registration', async () => {
    const before = await counts(db.pool);
    const c = await connect();
    try {
      const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const doomed = register(
        c,
        'fault-c',
        'fault cancel',
        'ALTER TABLE fault_t ADD COLUMN a int',
      ).catch((x: pg.DatabaseError) => x);
      await waitUntilSleeping(db.pool, pid);
      await db.query('SELECT pg_cancel_backend($1)', [pid]);
      const e = (await doomed) as pg.DatabaseError;
      expect(['57014', 'XX000']).toContain(e.code);
    } finally {
      await c.end();
    }
    expect(await counts(db.pool)).toEqual(before);
    expect(await brokenInvariants(db.pool)).toEqual({});
  });

  it('lock_timeout while another registration holds the stripe: 55P03, and nothing written', async () => {
    const holder = await connect();
    const c = await connect();
    try {
      await holder.query('BEGIN');
      await register(
        holder,
        'lock-holder',
        'holding the table',
        'ALTER TABLE fault_lock ADD COLUMN a int',
      );
      const before = await counts(db.pool);
      await c.query("SET lock_timeout = '300ms'");
      const e = await register(
        c,
        'lock-waiter',
        'waiting',
        'ALTER TABLE fault_lock ADD COLUMN b int',
      ).catch((x: pg.DatabaseError) => x);
      expect((e as pg.DatabaseError).code).toBe('55P03');
      expect((e as pg.DatabaseError).message).toMatch(/lock timeout/);
      await holder.query('ROLLBACK');
      expect(await counts(db.pool)).toEqual(before);
    } finally {
      await Promise.all([holder.end(), c.end()]);
    }
    expect(await brokenInvariants(db.pool)).toEqual({});
  });
});

describe('a backend killed with SIGKILL in the middle of a registration', () => {
  it('takes the cluster through recovery, after which nothing partial is there', async (ctx) => {
    if (process.env.PGGIT_DATABASE_URL || process.env.PGGIT_TEST_CONTAINER) {
      ctx.skip(); // needs a cluster of its own on this machine
    }
    const state = mkdtempSync(join(tmpdir(), 'pggit-faults-'));
    chmodSync(state, 0o755);
    const local = (args: string[]) =>
      execFileSync('bash', [join(root, 'scripts/local-db.sh'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, PGGIT_DATABASE_URL: '', DATABASE_URL: '', PGGIT_STATE_DIR: state },
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    try {
      const url = local(['url']);
      const admin = await connect(url);
      // the local cluster runs with synchronous_commit off: what this test
      // commits before the crash must be on disk before the crash
      await admin.query('SET synchronous_commit = on');
      await admin.query(`CREATE FUNCTION test_pause() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN IF NEW.slug LIKE 'fault%' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`);
      await admin.query(`CREATE TRIGGER test_pause BEFORE INSERT OR UPDATE ON pggit.tb_pggit_branch_counter
        FOR EACH ROW EXECUTE FUNCTION test_pause()`);
      await register(admin, 'kill-a', 'kill one', 'ALTER TABLE kill_t ADD COLUMN a int');
      const before = await counts(admin);
      const victim = await connect(url);
      const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const doomed = register(
        victim,
        'kill-b',
        'fault kill',
        'ALTER TABLE kill_t ADD COLUMN a int',
      ).catch((x: Error) => x);
      await waitUntilSleeping(admin, pid);
      process.kill(pid, 'SIGKILL');
      expect(await doomed).toBeInstanceOf(Error);
      await admin.end().catch(() => {});
      await victim.end().catch(() => {});
      // the postmaster restarts the backends and recovers; wait for it
      let after: pg.Client | undefined;
      for (let i = 0; i < 100 && after === undefined; i++) {
        after = await connect(url).catch(async () => {
          await new Promise((res) => setTimeout(res, 200));
          return undefined;
        });
      }
      const c = after as pg.Client;
      try {
        expect(await counts(c)).toEqual(before);
        expect(
          (await c.query("SELECT 1 FROM pggit.tb_pggit_intent WHERE agent_id = 'kill-b'")).rowCount,
        ).toBe(0);
        expect(await brokenInvariants(c)).toEqual({});
        // and it works again
        const again = await register(
          c,
          'kill-c',
          'after recovery',
          'ALTER TABLE kill_u ADD COLUMN a int',
        );
        expect(again.intent.status).toBe('registered');
      } finally {
        await c.end();
      }
    } finally {
      try {
        local(['stop']);
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    }
  }, 180_000);
});
