/**
 * An intent's JSON (pggit_get_intent, pggit_register's `intent`, every
 * transition's result) is every column of tb_pggit_intent but objects,
 * model_version and seq, exactly as stored, with conflicts_with and expired.
 * It is built from a list of columns (src/registry/sql.ts): a column added to
 * the table and not to the list fails here.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INTENT_JSON_COLUMNS, INTENT_JSON_HIDDEN } from '../../src/registry/sql.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { register } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

it('lists every column of the table, in table order, shown or hidden', async () => {
  const r = await db.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = 'pggit.tb_pggit_intent'::regclass AND attnum > 0 AND NOT attisdropped
      ORDER BY attnum`,
  );
  const columns = r.rows.map((x) => x.name);
  expect(columns.filter((c) => !(INTENT_JSON_HIDDEN as readonly string[]).includes(c))).toEqual([
    ...INTENT_JSON_COLUMNS,
  ]);
  for (const hidden of INTENT_JSON_HIDDEN) expect(columns).toContain(hidden);
});

it('is the stored row without the hidden columns, values exact, with conflicts_with and expired', async () => {
  // numbers JS would round, and text that needs escaping
  const metadata = '{"ratio": 1.10, "big": 12345678901234567890, "note": "a \\"quoted\\" é"}';
  const first = await db.query<{ r: { intent: { id: string } } }>(
    `SELECT pggit_register(agent_id => 'json-a', feature_name => 'json one',
       schema_changes => 'ALTER TABLE json_t ADD COLUMN a int', metadata => $1::jsonb) AS r`,
    [metadata],
  );
  const a = first.rows[0]!.r.intent.id;
  const second = await register(
    db.pool,
    'json-b',
    'json two',
    'ALTER TABLE json_t ADD COLUMN a text',
  );
  const b = second.intent.id;
  for (const id of [a, b]) {
    const same = await db.query<{ same: boolean; shown: string; expected: string }>(
      `SELECT pggit_get_intent($1) = e AS same, pggit_get_intent($1)::text AS shown, e::text AS expected
         FROM (SELECT (to_jsonb(i.*) - $2::text[])
                      || jsonb_build_object(
                           'conflicts_with', (SELECT coalesce(jsonb_agg(o.id ORDER BY o.seq), '[]')
                                                FROM pggit.tb_pggit_intent o
                                               WHERE o.id IN (SELECT c.intent_b FROM pggit.tb_pggit_conflict c WHERE c.intent_a = i.id
                                                              UNION SELECT c.intent_a FROM pggit.tb_pggit_conflict c WHERE c.intent_b = i.id)),
                           'expired', i.lease_expires_at <= statement_timestamp()) AS e
                 FROM pggit.tb_pggit_intent i WHERE i.id = $1) x`,
      [id, [...INTENT_JSON_HIDDEN]],
    );
    expect(same.rows[0]!.shown).toBe(same.rows[0]!.expected);
    expect(same.rows[0]!.same).toBe(true);
  }
  // the registration's own result carries the same JSON
  expect(second.intent).toEqual(
    (await db.query('SELECT pggit_get_intent($1) AS j', [b])).rows[0]!.j,
  );
  const shown = (await db.query('SELECT pggit_get_intent($1)::text AS t', [a])).rows[0]!.t;
  expect(shown).toContain('"ratio": 1.10');
  expect(shown).toContain('"big": 12345678901234567890');
  expect(JSON.parse(shown).conflicts_with).toEqual([b]);
});

it("gives a registration's own result the conflicts_with intent_json derives, in registration order", async () => {
  // six earlier intents of six agents on one table, and a seventh that meets
  // them all: ids are random, so registration order is not id order
  const earlier: string[] = [];
  for (let k = 0; k < 6; k++) {
    const r = await register(
      db.pool,
      `order-${k}`,
      `order ${k}`,
      `ALTER TABLE order_t ADD COLUMN c${k} int`,
    );
    earlier.push(r.intent.id);
  }
  const last = await db.query<{ id: string; shown: string }>(
    `SELECT r #>> '{intent,id}' AS id, (r -> 'intent')::text AS shown
       FROM pggit_register(agent_id => 'order-last', feature_name => 'order last',
                           schema_changes => 'ALTER TABLE order_t ADD COLUMN last int') AS r`,
  );
  const { id, shown } = last.rows[0]!;
  expect(JSON.parse(shown).conflicts_with).toEqual(earlier);
  // byte for byte what pggit_get_intent shows for it afterwards
  const got = await db.query<{ t: string }>('SELECT pggit_get_intent($1)::text AS t', [id]);
  expect(shown).toBe(got.rows[0]!.t);
});
