/**
 * Leases: intents of agents that stop heartbeating expire, stop counting for
 * detection at once, and are swept to abandoned. Time is moved with pggit's
 * clock override (the owner allows it; a session sets pggit.now), never with
 * sleeps.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { brokenInvariants } from '../support/invariants.js';
import { expectSqlError, getIntent, historyOf, register, result } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.query("UPDATE pggit.tb_pggit_settings SET value = 'on' WHERE key = 'clock_override'");
});
afterAll(async () => {
  await db?.close();
});

/** A connection whose pggit clock reads `at` (an ISO time). */
async function at(time: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query('SELECT set_config($1, $2, false)', ['pggit.now', time]);
  return c;
}

const T0 = '2031-01-01T00:00:00Z';
const plus = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const unique = () => randomBytes(4).toString('hex');

describe('leases', () => {
  it('an intent gets the default lease, or its own; the clock override moves time', async () => {
    const c = await at(T0);
    try {
      const a = await register(c, 'l-a', `lease default ${unique()}`, 'CREATE TABLE l_a (id int)');
      expect(a.intent).toMatchObject({ lease_seconds: 86400, expired: false });
      const lease = a.intent as unknown as { lease_expires_at: string };
      expect(Date.parse(lease.lease_expires_at)).toBe(Date.parse(plus(86400)));
      const b = await result<{ intent: { lease_seconds: number; lease_expires_at: string } }>(
        c,
        "SELECT pggit_register('l-b', $1, 'CREATE TABLE l_b (id int)', lease_seconds => 60) AS result",
        [`lease own ${unique()}`],
      );
      expect(b.intent.lease_seconds).toBe(60);
      expect(Date.parse(b.intent.lease_expires_at)).toBe(Date.parse(plus(60)));
    } finally {
      await c.end();
    }
  });

  it('an expired intent no longer conflicts, and a heartbeat keeps one alive', async () => {
    const n = unique();
    const c = await at(T0);
    const later = await at(plus(120));
    try {
      const dead = await result<{ intent: { id: string } }>(
        c,
        "SELECT pggit_register('l-dead', $1, $2, lease_seconds => 60) AS result",
        [`dead ${n}`, `ALTER TABLE l_${n} ADD COLUMN a int`],
      );
      const alive = await result<{ intent: { id: string } }>(
        c,
        "SELECT pggit_register('l-alive', $1, $2, lease_seconds => 60) AS result",
        [`alive ${n}`, `ALTER TABLE l_${n} ADD COLUMN b int`],
      );
      // at +30 s the live one heartbeats; the dead one does not
      const mid = await at(plus(30));
      await result(mid, 'SELECT pggit_heartbeat($1) AS result', [alive.intent.id]);
      await mid.end();
      // at +120 s: the dead one's lease ran out at +60, the live one's runs to +90... renewed to +90
      const check = await result<{ conflicts: { with_agent: string }[] }>(
        later,
        "SELECT pggit_check('l-new', 'newcomer', $1) AS result",
        [`ALTER TABLE l_${n} ADD COLUMN a int`],
      );
      expect(check.conflicts.map((x) => x.with_agent)).toEqual([]);
      // renew the live one at +80 for an hour: at +120 it conflicts, the dead one never does
      const renew = await at(plus(80));
      await result(renew, 'SELECT pggit_heartbeat($1, 3600) AS result', [alive.intent.id]);
      await renew.end();
      const again = await result<{ conflicts: { with_agent: string; conflict_type: string }[] }>(
        later,
        "SELECT pggit_check('l-new', 'newcomer', $1) AS result",
        [`ALTER TABLE l_${n} ADD COLUMN a int; ALTER TABLE l_${n} ADD COLUMN b int`],
      );
      expect([...new Set(again.conflicts.map((x) => x.with_agent))]).toEqual(['l-alive']);
      // the expired one may not be renewed nor started, only abandoned
      await expectSqlError(
        result(later, 'SELECT pggit_heartbeat($1) AS result', [dead.intent.id]),
        '55000',
        /lease of intent .* expired at/,
      );
      await expectSqlError(
        result(later, 'SELECT pggit_mark_in_progress($1) AS result', [dead.intent.id]),
        '55000',
        /its lease expired/,
      );
      const abandoned = await result<{ status: string }>(
        later,
        'SELECT pggit_mark_abandoned($1) AS result',
        [dead.intent.id],
      );
      expect(abandoned.status).toBe('abandoned');
    } finally {
      await Promise.all([c.end(), later.end()]);
    }
  });

  it('an expired or merged intent has no open conflicts, in the list as in the view', async () => {
    const n = unique();
    const c = await at(T0);
    const later = await at(plus(120));
    // what pggit_list_intents and pggit_intents say of the agents' intents
    const counts = async (conn: pg.Client, agents: string[]) => {
      const listed: Record<string, unknown> = {};
      for (const agent of agents) {
        const [i] = await result<{ open_conflicts: number; open_errors: number }[]>(
          conn,
          'SELECT pggit_list_intents(agent_id => $1) AS result',
          [agent],
        );
        listed[agent] = [i!.open_conflicts, i!.open_errors];
      }
      const view = await conn.query(
        'SELECT agent_id, open_conflicts, open_errors FROM pggit_intents WHERE agent_id = ANY($1)',
        [agents],
      );
      const shown = Object.fromEntries(
        view.rows.map((r) => [r.agent_id, [r.open_conflicts, r.open_errors]]),
      );
      return { listed, shown };
    };
    try {
      const agents = [`o-short-${n}`, `o-long-${n}`, `o-merged-${n}`, `o-left-${n}`];
      const [short, long, merged, left] = agents as [string, string, string, string];
      const declare = (agent: string, ddl: string, lease: number) =>
        result<{ intent: { id: string } }>(
          c,
          'SELECT pggit_register($1, $2, $3, lease_seconds => $4) AS result',
          [agent, `${agent} feature`, ddl, lease],
        );
      await declare(short, `ALTER TABLE o_${n} ADD COLUMN a int`, 60);
      await declare(long, `ALTER TABLE o_${n} ADD COLUMN a text`, 3600);
      const m = await declare(merged, `ALTER TABLE om_${n} ADD COLUMN a int`, 3600);
      await declare(left, `ALTER TABLE om_${n} ADD COLUMN b int`, 3600);
      // all live: a table and a column conflict (error) each side, a table conflict each side
      const before = await counts(c, agents);
      expect(before.listed).toEqual({
        [short]: [2, 1],
        [long]: [2, 1],
        [merged]: [1, 0],
        [left]: [1, 0],
      });
      expect(before.shown).toEqual(before.listed);
      for (const step of ['in_progress', 'completed', 'merged']) {
        await result(c, `SELECT pggit_mark_${step}($1) AS result`, [m.intent.id]);
      }
      // at +120 s the short lease has run out (not swept: still registered), one intent merged
      const after = await counts(later, agents);
      expect(after.listed).toEqual({
        [short]: [0, 0],
        [long]: [0, 0],
        [merged]: [0, 0],
        [left]: [0, 0],
      });
      expect(after.shown).toEqual(after.listed);
    } finally {
      await Promise.all([c.end(), later.end()]);
    }
  });

  it('moving an intent renews its lease', async () => {
    const c = await at(T0);
    const r = await register(c, 'l-move', `moves ${unique()}`, 'CREATE TABLE l_move (id int)');
    await c.end();
    const later = await at(plus(40_000));
    try {
      const moved = await result<{ lease_expires_at: string }>(
        later,
        'SELECT pggit_mark_in_progress($1) AS result',
        [r.intent.id],
      );
      expect(Date.parse(moved.lease_expires_at)).toBe(Date.parse(plus(40_000 + 86400)));
    } finally {
      await later.end();
    }
  });

  it('a sweep abandons expired intents, says why, and releases their conflicts', async () => {
    const n = unique();
    const c = await at(T0);
    const first = await result<{ intent: { id: string } }>(
      c,
      "SELECT pggit_register('s-first', $1, $2, lease_seconds => 10) AS result",
      [`first ${n}`, `ALTER TABLE s_${n} ADD COLUMN a int`],
    );
    const second = await register(
      c,
      's-second',
      `second ${n}`,
      `ALTER TABLE s_${n} ADD COLUMN a int`,
    );
    expect(second.intent.status).toBe('conflicted');
    await c.end();
    const later = await at(plus(60));
    try {
      const swept = await result<{ swept: number; intents: string[] }>(
        later,
        'SELECT pggit_sweep() AS result',
      );
      expect(swept.intents).toContain(first.intent.id);
      expect(swept.intents).not.toContain(second.intent.id);
      expect((await getIntent(db.pool, first.intent.id))?.status).toBe('abandoned');
      expect((await getIntent(db.pool, second.intent.id))?.status).toBe('registered');
      const h = await historyOf(db.pool, first.intent.id);
      expect(h.at(-1)).toMatchObject({
        old_status: 'registered',
        new_status: 'abandoned',
        reason: 'lease expired',
        changed_by: 'pggit',
      });
      expect((await historyOf(db.pool, second.intent.id)).at(-1)).toMatchObject({
        old_status: 'conflicted',
        new_status: 'registered',
        reason: 'conflicting intents were abandoned: lease expired',
      });
    } finally {
      await later.end();
    }
  });

  it('two concurrent sweeps never abandon an intent twice', async () => {
    const c = await at(T0);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await result<{ intent: { id: string } }>(
        c,
        'SELECT pggit_register($1, $2, $3, lease_seconds => 5) AS result',
        [
          `cs-${i % 4}`,
          `concurrent sweep ${unique()}`,
          `ALTER TABLE cs_${i % 3} ADD COLUMN c${i} int`,
        ],
      );
      ids.push(r.intent.id);
    }
    await c.end();
    const sweepers = await Promise.all([at(plus(100)), at(plus(100)), at(plus(100))]);
    try {
      const results = await Promise.all(
        sweepers.map((s) => result<{ intents: string[] }>(s, 'SELECT pggit_sweep() AS result')),
      );
      const all = results.flatMap((r) => r.intents).filter((id) => ids.includes(id));
      expect(all.sort()).toEqual([...ids].sort());
      expect(new Set(all).size).toBe(ids.length);
      const abandons = await db.query(
        "SELECT intent_id, count(*)::int AS n FROM pggit.tb_pggit_intent_history WHERE intent_id = ANY($1) AND new_status = 'abandoned' GROUP BY 1",
        [ids],
      );
      expect(abandons.rows.every((r) => r.n === 1)).toBe(true);
      expect(abandons.rowCount).toBe(ids.length);
    } finally {
      await Promise.all(sweepers.map((s) => s.end()));
    }
    expect(await brokenInvariants(db.pool)).toEqual({});
  });

  it('only the owner can let time move: with the override off, pggit.now is ignored', async () => {
    await db.query("UPDATE pggit.tb_pggit_settings SET value = 'off' WHERE key = 'clock_override'");
    try {
      const c = await at('2099-01-01T00:00:00Z');
      try {
        const now = await c.query('SELECT pggit.clock() AS t, now() AS n');
        expect(Math.abs(Date.parse(now.rows[0].t) - Date.parse(now.rows[0].n))).toBeLessThan(
          60_000,
        );
      } finally {
        await c.end();
      }
    } finally {
      await db.query(
        "UPDATE pggit.tb_pggit_settings SET value = 'on' WHERE key = 'clock_override'",
      );
    }
  });

  it('refuses a bad lease with 22023', async () => {
    for (const bad of [0, -5, 31_536_001]) {
      await expectSqlError(
        db.query(
          "SELECT pggit_register('l-bad', 'bad lease', 'CREATE TABLE lb (id int)', lease_seconds => $1)",
          [bad],
        ),
        '22023',
        /lease_seconds must be an integer from 1 to 31536000/,
      );
    }
  });
});
