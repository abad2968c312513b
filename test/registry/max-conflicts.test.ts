/**
 * max_conflicts: pggit_register and pggit_check list at most that many
 * conflicts (errors kept before warnings, in the list's own order) and count
 * all of them; pggit_register records every one. Through the SQL functions,
 * on a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type Conflict, counts, expectSqlError, result } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // ten intents that share the table with the newcomer (a warning each), and
  // two that also add its column (a warning and an error each): 14 conflicts
  for (let i = 0; i < 12; i++) {
    const col = i < 10 ? `c_${i}` : 'dup';
    await db.query(
      'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3)',
      [`other-${i}`, `feature ${i}`, `ALTER TABLE busy ADD COLUMN ${col} int`],
    );
  }
});
afterAll(async () => {
  await db?.close();
});

const NEWCOMER = 'ALTER TABLE busy ADD COLUMN dup int';

interface Listed {
  conflicts: (Conflict & { intent_b: string })[];
  conflicts_detected?: number;
  conflicts_recorded?: number;
  conflicts_omitted: number;
}

const check = (max: string, agent = 'newcomer') =>
  result<Listed>(
    db.pool,
    `SELECT pggit_check(agent_id => $1, feature_name => 'new', schema_changes => $2${max}) AS result`,
    [agent, NEWCOMER],
  );

const key = (c: { intent_b: string; conflict_type: string }) => `${c.intent_b} ${c.conflict_type}`;

describe('pggit_check', () => {
  it('lists every conflict when they are fewer than the default (100)', async () => {
    const all = await check(', max_conflicts => NULL');
    const byDefault = await check('');
    expect(all.conflicts_detected).toBe(14);
    expect(all.conflicts).toHaveLength(14);
    expect(all.conflicts_omitted).toBe(0);
    expect(byDefault.conflicts.map(key)).toEqual(all.conflicts.map(key));
    expect(byDefault.conflicts_omitted).toBe(0);
  });

  it('keeps the errors before any warning, in the order of the whole list', async () => {
    const all = (await check(', max_conflicts => NULL')).conflicts;
    const three = await check(', max_conflicts => 3');
    expect(three.conflicts_detected).toBe(14);
    expect(three.conflicts_omitted).toBe(11);
    expect(three.conflicts.filter((c) => c.severity === 'error')).toHaveLength(2);
    const firstWarning = all.find((c) => c.severity === 'warning')!;
    const expected = all.filter((c) => c.severity === 'error' || c === firstWarning);
    // the same conflicts, advice and all: a check finds the ones it does not
    // list without advice, and writes it for those it lists
    expect(three.conflicts).toEqual(expected);
    expect(three.conflicts.every((c) => c.resolution_suggestions.length > 0)).toBe(true);

    const one = await check(', max_conflicts => 1');
    expect(one.conflicts.map(key)).toEqual([key(all.find((c) => c.severity === 'error')!)]);
    expect(one.conflicts_omitted).toBe(13);
  });

  it('counts without listing at 0', async () => {
    const none = await check(', max_conflicts => 0');
    expect(none.conflicts).toEqual([]);
    expect(none.conflicts_detected).toBe(14);
    expect(none.conflicts_omitted).toBe(14);
  });

  it('refuses a negative max_conflicts (22023)', async () => {
    await expectSqlError(
      check(', max_conflicts => -1'),
      '22023',
      /max_conflicts must be an integer of 0 or more, or NULL for all/,
    );
  });
});

describe('pggit_register', () => {
  it('records every conflict, lists max_conflicts of them, and counts the rest', async () => {
    const r = await result<Listed & { intent: { id: string; conflicts_with: string[] } }>(
      db.pool,
      `SELECT pggit_register(agent_id => 'reg-3', feature_name => 'reg', schema_changes => $1,
         max_conflicts => 3) AS result`,
      [NEWCOMER],
    );
    expect(r.conflicts_recorded).toBe(14);
    expect(r.conflicts_omitted).toBe(11);
    expect(r.intent.conflicts_with).toHaveLength(12);
    const stored = await db.query<Conflict & { id: number }>(
      'SELECT * FROM pggit.tb_pggit_conflict WHERE intent_a = $1 ORDER BY id',
      [r.intent.id],
    );
    expect(stored.rows).toHaveLength(14);
    // the two errors and the first warning by id, as the table holds them
    const firstWarning = stored.rows.find((c) => c.severity === 'warning')!;
    const expected = stored.rows.filter((c) => c.severity === 'error' || c === firstWarning);
    expect(r.conflicts.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    for (const c of r.conflicts) {
      const row = stored.rows.find((x) => x.id === c.id)!;
      expect(c.resolution_suggestions).toEqual(row.resolution_suggestions);
      expect(c.affected_objects).toEqual(row.affected_objects);
    }
    await db.query('SELECT pggit_mark_abandoned($1)', [r.intent.id]);
  });

  it('refuses a negative max_conflicts (22023) and writes nothing', async () => {
    const before = await counts(db.pool);
    await expectSqlError(
      db.query(
        `SELECT pggit_register(agent_id => 'reg-neg', feature_name => 'neg', schema_changes => $1,
           max_conflicts => -5)`,
        [NEWCOMER],
      ),
      '22023',
      /max_conflicts must be an integer of 0 or more/,
    );
    expect(await counts(db.pool)).toEqual(before);
  });

  it('lists 100 by default on a hot table, and records all of them', async () => {
    // 60 more intents on one table, each adding a column and a constraint:
    // a newcomer of the same shape meets each twice (table and constraint)
    for (let i = 0; i < 60; i++) {
      await db.query(
        'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3)',
        [
          `hot-${i}`,
          `hot ${i}`,
          `ALTER TABLE hot ADD COLUMN h_${i} int; ALTER TABLE hot ADD CONSTRAINT hot_${i}_check CHECK (h_${i} > 0)`,
        ],
      );
    }
    const ddl =
      'ALTER TABLE hot ADD COLUMN h_new int; ALTER TABLE hot ADD CONSTRAINT hot_new_check CHECK (h_new > 0)';
    const dry = await result<Listed>(
      db.pool,
      `SELECT pggit_check(agent_id => 'hot-new', feature_name => 'hot new', schema_changes => $1) AS result`,
      [ddl],
    );
    expect(dry.conflicts_detected).toBe(120);
    expect(dry.conflicts).toHaveLength(100);
    expect(dry.conflicts_omitted).toBe(20);
    const r = await result<Listed & { intent: { id: string } }>(
      db.pool,
      `SELECT pggit_register(agent_id => 'hot-new', feature_name => 'hot new', schema_changes => $1) AS result`,
      [ddl],
    );
    expect(r.conflicts_recorded).toBe(120);
    expect(r.conflicts).toHaveLength(100);
    expect(r.conflicts_omitted).toBe(20);
    const stored = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pggit.tb_pggit_conflict WHERE intent_a = $1',
      [r.intent.id],
    );
    expect(stored.rows[0]!.n).toBe(120);
    const all = await result<unknown[]>(db.pool, 'SELECT pggit_get_conflicts($1) AS result', [
      r.intent.id,
    ]);
    expect(all).toHaveLength(120);
  });
});
