/**
 * An upgrade that changes the object model: active intents stored under
 * another MODEL_VERSION get their objects and conflict keys derived again
 * (pggit.rederive_intents, run at the end of every install), so newcomers
 * find them by the keys of the model they compare with. The stale intents
 * are made by hand, as the table owner: the keys a sequence had under model
 * 2 (no table: key), and an older model_version.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_VERSION } from '../../src/detector/index.js';
import { install } from '../../src/install/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { brokenInvariants } from '../support/invariants.js';
import { mark, register, result } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const SEQ = 'public.orders_id_seq';
const OWNER = `ALTER TABLE ${SEQ} OWNER TO postgres`;

/** Registers a DROP SEQUENCE and stores it as model 2 stored it. */
async function staleDrop(feature: string): Promise<string> {
  const r = await register(db.pool, 'seq-dropper', feature, `DROP SEQUENCE ${SEQ}`);
  expect(r.conflicts).toEqual([]);
  const id = r.intent.id;
  await db.query(
    `UPDATE pggit.tb_pggit_intent
        SET model_version = 2, object_keys = array_remove(object_keys, $2::text)
      WHERE id = $1::text`,
    [id, `table:${SEQ}`],
  );
  return id;
}

const stored = async (id: string) =>
  (
    await db.query<{ model_version: number; keys: string[] }>(
      'SELECT model_version, object_keys AS keys FROM pggit.tb_pggit_intent WHERE id = $1',
      [id],
    )
  ).rows[0];

describe('rederive_intents', () => {
  it('gives stale intents the keys of this model, so a newcomer finds them', async () => {
    const a = await staleDrop('drop the order sequence');
    // the old keys hide it: the registry never compares the pair
    const before = await register(db.pool, 'owner-1', 'own the sequence', OWNER);
    expect(before.conflicts).toEqual([]);
    await mark(db.pool, 'abandoned', before.intent.id);

    const done = await result<{ rederived: number; model_version: number }>(
      db.pool,
      'SELECT pggit.rederive_intents() AS result',
    );
    expect(done).toEqual({ rederived: 1, model_version: MODEL_VERSION });
    const row = await stored(a);
    expect(row?.model_version).toBe(MODEL_VERSION);
    expect(row?.keys).toContain(`table:${SEQ}`);

    const after = await register(db.pool, 'owner-2', 'own the sequence again', OWNER);
    expect(after.conflicts.map((c) => [c.intent_b, c.conflict_type, c.severity])).toEqual([
      [a, 'dependency', 'error'],
    ]);
    // nothing left to do
    expect(
      await result<{ rederived: number }>(db.pool, 'SELECT pggit.rederive_intents() AS result'),
    ).toEqual({ rederived: 0, model_version: MODEL_VERSION });
    await mark(db.pool, 'abandoned', after.intent.id);
    await mark(db.pool, 'abandoned', a);
    expect(await brokenInvariants(db.pool)).toEqual({});
  });

  it('runs at the end of an install, and leaves finished intents as they were', async () => {
    const active = await staleDrop('drop it, then upgrade');
    const finished = await staleDrop('drop it, abandoned before the upgrade');
    await mark(db.pool, 'abandoned', finished);
    await install({ databaseUrl: db.url });
    expect((await stored(active))?.model_version).toBe(MODEL_VERSION);
    expect(await stored(finished)).toMatchObject({ model_version: 2 });
    await mark(db.pool, 'abandoned', active);
  });

  it('waits for a registration that holds a stripe it needs, then writes', async () => {
    const a = await staleDrop('drop it, under a concurrent registration');
    const holder = new pg.Client({ connectionString: db.url });
    const other = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await other.connect();
    try {
      await holder.query('BEGIN');
      const held = await register(holder, 'owner-3', 'own it, in an open transaction', OWNER);
      const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
        ?.pid;
      const running = other.query('SELECT pggit.rederive_intents() AS result');
      // it waits on the holder's stripe lock, and has written nothing
      let waiting = false;
      for (let i = 0; i < 100 && !waiting; i++) {
        const w = await db.query<{ t: string | null }>(
          'SELECT wait_event_type AS t FROM pg_stat_activity WHERE pid = $1',
          [pid],
        );
        waiting = w.rows[0]?.t === 'Lock';
        if (!waiting) await new Promise((r) => setTimeout(r, 50));
      }
      expect(waiting).toBe(true);
      expect((await stored(a))?.model_version).toBe(2);
      await holder.query('COMMIT');
      expect((await running).rows[0]?.result).toEqual({
        rederived: 1,
        model_version: MODEL_VERSION,
      });
      expect((await stored(a))?.keys).toContain(`table:${SEQ}`);
      await mark(db.pool, 'abandoned', held.intent.id);
      await mark(db.pool, 'abandoned', a);
    } finally {
      await holder.end();
      await other.end();
    }
  });
});
