/**
 * Concurrent agents, on concurrent connections: registrations that share an
 * object serialise and never miss each other; those that share none do not
 * wait; branch names stay unique; a killed registration leaves nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { counts, mark, register } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** Resolves true when `promise` is still pending after `ms`. */
const stillPending = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), ms)),
  ]);

describe('16 concurrent connections, mutually conflicting intents', () => {
  it('record every conflicting pair exactly once and give unique branch names', async () => {
    const clients = await Promise.all(Array.from({ length: 16 }, connect));
    try {
      // Every agent adds the same column under the same feature name: each
      // pair conflicts on table, column and timing.
      const results = await Promise.all(
        clients.map((c, i) =>
          register(
            c,
            `race-agent-${i}`,
            'Shared Feature',
            'ALTER TABLE race ADD COLUMN shared int',
          ),
        ),
      );
      const ids = results.map((r) => r.intent.id);
      const branches = results.map((r) => r.intent.branch_name);
      expect(new Set(branches).size).toBe(16);
      expect(branches.sort()).toEqual([
        'feature/shared_feature',
        ...Array.from(
          { length: 15 },
          (_, i) => `feature/shared_feature_${String(i + 1).padStart(3, '0')}`,
        ),
      ]);

      const rows = await db.query<{ a: string; b: string; types: string[] }>(
        `SELECT least(intent_a, intent_b) AS a, greatest(intent_a, intent_b) AS b,
                array_agg(conflict_type ORDER BY conflict_type) AS types
           FROM pggit.tb_pggit_conflict GROUP BY 1, 2`,
      );
      expect(rows.rows).toHaveLength((16 * 15) / 2);
      for (const r of rows.rows) {
        expect(ids).toContain(r.a);
        expect(ids).toContain(r.b);
        expect(r.types).toEqual(['column', 'table', 'timing']);
      }
      // Exactly one intent was first and kept registered; the rest are conflicted.
      const statuses = await db.query(
        'SELECT status, count(*)::int AS n FROM pggit.tb_pggit_intent GROUP BY status ORDER BY status',
      );
      expect(statuses.rows).toEqual([
        { status: 'conflicted', n: 15 },
        { status: 'registered', n: 1 },
      ]);
      // Both sides know: every intent lists the 15 others.
      const withCounts = await db.query(
        "SELECT jsonb_array_length(pggit_get_intent(id)->'conflicts_with') AS n FROM pggit.tb_pggit_intent",
      );
      expect(withCounts.rows.every((r) => r.n === 15)).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});

describe('locking', () => {
  it('a registration on another table does not wait; one on the same table does, then sees it', async () => {
    const holder = await connect();
    const other = await connect();
    const same = await connect();
    try {
      await holder.query('BEGIN');
      await register(holder, 'lock-a', 'lock_one', 'ALTER TABLE lock_t ADD COLUMN a int');

      // No object in common: completes while the first transaction is open.
      const unrelated = register(
        other,
        'lock-b',
        'lock_two',
        'ALTER TABLE elsewhere ADD COLUMN b int',
      );
      expect(await stillPending(unrelated, 5_000)).toBe(false);
      expect((await unrelated).conflicts).toEqual([]);

      // Same table: waits on the key's stripe (a row lock of pggit's) until
      // the first commits...
      const samePid = (await same.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const blocked = register(
        same,
        'lock-c',
        'lock_three',
        'ALTER TABLE lock_t ADD COLUMN a text',
      );
      expect(await stillPending(blocked, 1_000)).toBe(true);
      const waiting = await db.query(
        `SELECT l.locktype, l.relation::regclass::text AS relation
           FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted`,
        [samePid],
      );
      // waiting for the holder's transaction, on a tuple of tb_pggit_lock; no advisory lock
      expect(waiting.rows.map((w) => w.locktype).sort()).toEqual(['transactionid']);
      const tuple = await db.query(
        "SELECT relation::regclass::text AS rel FROM pg_locks WHERE pid = $1 AND locktype = 'tuple'",
        [samePid],
      );
      expect(tuple.rows.map((t) => t.rel)).toEqual(['pggit.tb_pggit_lock']);
      // pg_locks is cluster-wide, and other test files share the cluster (an
      // install holds its own advisory lock): count only these sessions'.
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const advisory = await db.query(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND pid = ANY($1::int[])`,
        [[holderPid, samePid]],
      );
      expect(advisory.rows[0]!.n).toBe(0);
      await holder.query('COMMIT');
      // ...and then records the conflict with it.
      const r = await blocked;
      expect(r.intent.status).toBe('conflicted');
      expect(r.conflicts.map((c) => c.conflict_type).sort()).toEqual(['column', 'table']);
    } finally {
      await Promise.all([holder.end(), other.end(), same.end()]);
    }
  });

  it('abandoning waits for a registration that is recording a conflict with it, then releases it', async () => {
    // A test-only trigger pauses the registration after it has read the active
    // intents (it allocates its branch next): the window in which an abandon
    // that did not wait would leave it conflicted with an abandoned intent.
    await db.query(`CREATE FUNCTION test_pause() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN IF NEW.slug = 'aw_two' THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER test_pause BEFORE INSERT OR UPDATE ON pggit.tb_pggit_branch_counter
      FOR EACH ROW EXECUTE FUNCTION test_pause()`);
    const registering = await connect();
    try {
      const b = await register(db.pool, 'aw-b', 'aw_one', 'ALTER TABLE aw_t ADD COLUMN a int');
      const pid = (await registering.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const c = register(registering, 'aw-c', 'aw_two', 'ALTER TABLE aw_t ADD COLUMN a int');
      for (let i = 0; i < 100; i++) {
        const r = await db.query(
          "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
          [pid],
        );
        if (r.rowCount) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const abandoned = await mark(db.pool, 'abandoned', b.intent.id, 'dropped');
      expect(abandoned.status).toBe('abandoned');
      const registered = await c;
      // the conflict recorded concurrently was seen by the abandon, resolved and released
      expect(registered.conflicts.map((x) => x.conflict_type).sort()).toEqual(['column', 'table']);
      const after = await db.query('SELECT status FROM pggit.tb_pggit_intent WHERE id = $1', [
        registered.intent.id,
      ]);
      expect(after.rows).toEqual([{ status: 'registered' }]);
      const open = await db.query(
        'SELECT count(*)::int AS n FROM pggit.tb_pggit_conflict WHERE intent_a = $1 AND NOT reviewed',
        [registered.intent.id],
      );
      expect(open.rows[0]!.n).toBe(0);
    } finally {
      await registering.end();
      await db.query('DROP TRIGGER test_pause ON pggit.tb_pggit_branch_counter');
    }
  });

  it('a resolution and a merge that clear the last two conflicts concurrently release the intent', async () => {
    // C conflicts with A (on t.x) and with B (on u.y). One transaction resolves
    // the conflicts with A while another merges B: each alone leaves one
    // conflict open, so unless the second waits for the first, neither sees
    // C clear and C stays conflicted for ever.
    const a = await register(db.pool, 'ws-a', 'ws_one', 'ALTER TABLE ws_t ADD COLUMN x int');
    const b = await register(db.pool, 'ws-b', 'ws_two', 'ALTER TABLE ws_u ADD COLUMN y int');
    const c = await register(
      db.pool,
      'ws-c',
      'ws_three',
      'ALTER TABLE ws_t ADD COLUMN x int; ALTER TABLE ws_u ADD COLUMN y int',
    );
    expect(c.intent.status).toBe('conflicted');
    await mark(db.pool, 'in_progress', b.intent.id);
    await mark(db.pool, 'completed', b.intent.id);
    const resolver = await connect();
    const merger = await connect();
    try {
      await resolver.query('BEGIN');
      for (const conflict of c.conflicts.filter((x) => x.intent_b === a.intent.id)) {
        await resolver.query('SELECT pggit_resolve_conflict($1, $2)', [conflict.id, 'agreed']);
      }
      await merger.query('BEGIN');
      const merged = mark(merger, 'merged', b.intent.id);
      await new Promise((r) => setTimeout(r, 500));
      await resolver.query('COMMIT');
      expect((await merged).status).toBe('merged');
      await merger.query('COMMIT');
      const after = await db.query('SELECT status FROM pggit.tb_pggit_intent WHERE id = $1', [
        c.intent.id,
      ]);
      expect(after.rows).toEqual([{ status: 'registered' }]);
    } finally {
      await Promise.all([resolver.end(), merger.end()]);
    }
  });

  it('a registration refuses REPEATABLE READ, whose snapshot could miss a concurrent intent', async () => {
    const c = await connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const e = await register(c, 'rr-agent', 'rr', 'CREATE TABLE rr (id int)').catch((x) => x);
      expect(e.code).toBe('25000');
      expect(e.message).toMatch(/needs READ COMMITTED isolation, not REPEATABLE READ/);
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
  });
});

describe('a backend killed in the middle of a registration', () => {
  it('leaves nothing partial behind', async () => {
    // A test-only trigger makes the registration sleep after it has written
    // the intent, its history row and the branch counter.
    await db.query(`CREATE FUNCTION test_stall() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER test_stall BEFORE INSERT ON pggit.tb_pggit_conflict
      FOR EACH ROW EXECUTE FUNCTION test_stall()`);
    try {
      await register(db.pool, 'kill-a', 'kill_one', 'ALTER TABLE kill_t ADD COLUMN a int');
      const before = await counts(db.pool);
      const victim = await connect();
      const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const doomed = register(
        victim,
        'kill-b',
        'kill_two',
        'ALTER TABLE kill_t ADD COLUMN a int',
      ).catch((e) => e);
      // wait until it sleeps inside the conflict insert
      for (let i = 0; i < 100; i++) {
        const r = await db.query(
          "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
          [pid],
        );
        if (r.rowCount) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const killed = await db.query('SELECT pg_terminate_backend($1) AS ok', [pid]);
      expect(killed.rows[0]!.ok).toBe(true);
      const error = await doomed;
      expect(error).toBeInstanceOf(Error);
      await victim.end().catch(() => {});
      expect(await counts(db.pool)).toEqual(before);
      const leftover = await db.query(
        "SELECT 1 FROM pggit.tb_pggit_intent WHERE agent_id = 'kill-b'",
      );
      expect(leftover.rowCount).toBe(0);
    } finally {
      await db.query('DROP TRIGGER test_stall ON pggit.tb_pggit_conflict');
    }
  });
});
