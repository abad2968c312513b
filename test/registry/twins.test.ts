/**
 * The views call three functions a migration defined (pggit.clock,
 * pggit.can_see, pggit.conflicts_with); pggit's own statements inline the
 * same expressions (sql.ts), so that no call crosses a rights boundary. Here
 * each pair must agree, in every state they depend on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canSeeSql, clockSql, conflictsWithSql } from '../../src/registry/sql.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { register } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const setting = (key: string, value: string) =>
  db.query('UPDATE pggit.tb_pggit_settings SET value = $2 WHERE key = $1', [key, value]);

it('clock: the same time, with the override off and on, with and without pggit.now', async () => {
  const c = await db.pool.connect();
  try {
    for (const override of ['off', 'on']) {
      await setting('clock_override', override);
      for (const now of ['', '2031-05-06T07:08:09Z']) {
        await c.query('SELECT set_config($1, $2, false)', ['pggit.now', now]);
        const r = await c.query(
          `SELECT pggit.clock() = ${clockSql('pggit')} AS same, pggit.clock() AS t`,
        );
        expect(r.rows[0].same, `${override} ${now}`).toBe(true);
      }
    }
  } finally {
    await setting('clock_override', 'off');
    c.release();
  }
});

it('can_see: the same answer for every agent, with isolation off and on', async () => {
  for (const isolation of ['off', 'on']) {
    await setting('agent_isolation', isolation);
    const r = await db.query(
      `SELECT a, pggit.can_see(a) = ${canSeeSql('pggit', 'a')} AS same
         FROM unnest(ARRAY['postgres', 'someone', '']) a`,
    );
    expect(
      r.rows.every((x) => x.same),
      isolation,
    ).toBe(true);
  }
  await setting('agent_isolation', 'off');
});

it('conflicts_with: the same ids in the same order', async () => {
  const a = await register(db.pool, 'tw-a', 'twin one', 'ALTER TABLE tw ADD COLUMN a int');
  await register(db.pool, 'tw-b', 'twin two', 'ALTER TABLE tw ADD COLUMN a int');
  await register(db.pool, 'tw-c', 'twin three', 'ALTER TABLE tw ADD COLUMN b int');
  const r = await db.query(
    `SELECT pggit.conflicts_with($1) AS f, ${conflictsWithSql('pggit', '$1::text')} AS e`,
    [a.intent.id],
  );
  expect(r.rows[0]!.f).toHaveLength(2);
  expect(r.rows[0]!.e).toEqual(r.rows[0]!.f);
});
