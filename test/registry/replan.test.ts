/**
 * A backend's prepared plans follow the table they run on. PostgreSQL keeps
 * a generic plan until something invalidates it; prepared on a fresh
 * install's empty intent table, the candidate query scanned the lease index
 * with the keys as a filter, and a backend that started there read every
 * active intent at every registration from then on (0.61 ms a registration
 * at 2,000 intents against 0.03 ms by the key index, pg_stat_statements).
 * The registry prepares its statements again after 64, 128, ... uses and
 * after a minute (src/registry/context.ts, replanDue).
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPLAN_AGE_MS, REPLAN_FIRST_USES, replanDue } from '../../src/registry/context.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { register } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

it('the schedule: after 64, 128, 256, ... uses, and at the first use after a minute', () => {
  const due = (uses: number, age = 0) =>
    replanDue({ uses, preparedAt: 1_000_000 }, 1_000_000 + age);
  const at: number[] = [];
  for (let uses = 0; uses <= 1024; uses++) if (due(uses)) at.push(uses);
  expect(at).toEqual([64, 128, 256, 512, 1024]);
  expect(REPLAN_FIRST_USES).toBe(64);
  expect(due(3, REPLAN_AGE_MS - 1)).toBe(false);
  expect(due(3, REPLAN_AGE_MS)).toBe(true);
});

/** The tables that grow with the number of intents. */
const GROWING = ['tb_pggit_intent', 'tb_pggit_conflict', 'tb_pggit_intent_history'];

/**
 * Rows of a table read so far by this backend (heap tuples returned by
 * sequential scans and fetched by bitmap scans count on the table, those
 * fetched through an index scan on the index), and scans of the key index.
 */
const READS = `SELECT t.name,
         pg_stat_get_xact_tuples_returned(t.oid) + pg_stat_get_xact_tuples_fetched(t.oid)
           + coalesce((SELECT sum(pg_stat_get_xact_tuples_fetched(x.indexrelid)) FROM pg_index x
                        WHERE x.indrelid = t.oid), 0) AS n
    FROM (SELECT name, ('pggit.' || name)::regclass::oid AS oid FROM unnest($1::text[]) AS name) t
  UNION ALL
  SELECT 'key index scans', pg_stat_get_xact_numscans('pggit.tb_pggit_intent_active_keys_idx'::regclass)`;

/** What one registration of this backend read, in a transaction of its own. */
async function readsOfOneRegistration(c: pg.Client, i: number) {
  const now = async () =>
    new Map(
      (await c.query<{ name: string; n: string }>(READS, [GROWING])).rows.map((r) => [
        r.name,
        Number(r.n),
      ]),
    );
  await c.query('BEGIN');
  try {
    const before = await now();
    await register(c, 'early-agent', `early ${i}`, `ALTER TABLE early_${i} ADD COLUMN c integer`);
    const after = await now();
    return Object.fromEntries([...after].map(([k, v]) => [k, v - before.get(k)!]));
  } finally {
    await c.query('COMMIT');
  }
}

it('a backend that started on an empty intent table finds candidates by key once the table is large', async () => {
  const early = new pg.Client({ connectionString: db.url });
  await early.connect();
  try {
    expect(
      (await early.query('SELECT count(*)::int AS n FROM pggit.tb_pggit_intent')).rows[0].n,
    ).toBe(0);
    // its plans are prepared here, on the empty table
    await readsOfOneRegistration(early, 0);
    // meanwhile other agents register 1,500 intents on other tables
    const others = new pg.Client({ connectionString: db.url });
    await others.connect();
    try {
      for (let i = 0; i < 1500; i++) {
        await register(
          others,
          `other-${i}`,
          `other ${i}`,
          `ALTER TABLE other_${i} ADD COLUMN c integer`,
        );
      }
    } finally {
      await others.end();
    }
    // a registration's own writes and look-ups read a handful of rows; a scan
    // of the active intents (or of the history) reads all 1,500 or more
    for (let i = 1; i <= REPLAN_FIRST_USES; i++) await readsOfOneRegistration(early, i);
    // past its first re-plan: every statement prepared again on the table as it is now
    const last = await readsOfOneRegistration(early, REPLAN_FIRST_USES + 1);
    expect(last['key index scans']).toBeGreaterThanOrEqual(1);
    for (const table of GROWING) expect(last[table], table).toBeLessThan(100);
  } finally {
    await early.end();
  }
}, 120_000);
