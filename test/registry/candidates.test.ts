/** Finding candidates uses the GIN index on object keys, not a scan of every active intent. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { statements } from '../../src/registry/sql.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { register } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

it('the candidate query is served by tb_pggit_intent_active_keys_idx', async () => {
  // 3,000 unrelated intents, so the planner has something to avoid scanning.
  await db.query(`INSERT INTO pggit.tb_pggit_intent (agent_id, feature_name, feature_key, branch_name, schema_changes, object_keys)
    SELECT 'bulk', 'f' || g, 'f' || g, 'feature/f' || g, '[]', ARRAY['table:public.t' || g]
      FROM generate_series(1, 3000) g`);
  await db.query('ANALYZE pggit.tb_pggit_intent');
  const target = await register(db.pool, 'idx-a', 'idx_one', 'ALTER TABLE idx_t ADD COLUMN a int');
  const { candidates } = statements('pggit');
  const plan = await db.query(`EXPLAIN (FORMAT JSON) ${candidates}`, [
    target.intent.object_keys,
    'idx-b',
  ]);
  const text = JSON.stringify(plan.rows[0]!['QUERY PLAN']);
  expect(text).toContain('tb_pggit_intent_active_keys_idx');
  expect(text).not.toContain('"Seq Scan"');
  const r = await db.query(candidates, [target.intent.object_keys, 'idx-b']);
  expect(r.rows.map((x) => x.id)).toEqual([target.intent.id]);
});
