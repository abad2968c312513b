/**
 * PostgreSQL's names for the objects it names itself, against pggit's, for
 * fast-check generated identifiers: long ones (truncated to 63 bytes),
 * multibyte ones (never cut inside a character), quoted ones with spaces,
 * quotes and mixed case, and look-alikes sharing a 60-byte prefix so that their
 * derived names collide and PostgreSQL de-duplicates them (`..._pkey1`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseScript } from '../../src/detector/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const CHARS = ['a', 'b', 'z', '_', '1', 'X', ' ', 'é', 'ß', '日', '"', 'ü', '€'];
const ident = (min: number, max: number) =>
  fc
    .array(fc.constantFrom(...CHARS), { minLength: min, maxLength: max })
    .map((cs) => cs.join(''))
    .filter((s) => s.trim() !== '');
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

const scenario = fc.record({
  base: ident(1, 70),
  suffixes: fc.uniqueArray(ident(1, 6), { minLength: 2, maxLength: 2 }),
  cols: fc.uniqueArray(ident(1, 70), {
    minLength: 3,
    maxLength: 3,
    selector: (s) => s.slice(0, 20),
  }),
});

let run = 0;

it('constraint, index and sequence names are the ones PostgreSQL chooses (property)', async () => {
  let compared = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async ({ base, suffixes, cols }) => {
      const schema = `naming_${run++}`;
      const [c1, c2, c3] = cols.map(quote) as [string, string, string];
      const tables = suffixes.map((s) => quote(`${base}${s}`));
      const sql: string[] = [`CREATE SCHEMA ${schema}`, `SET search_path TO ${schema}`];
      for (const t of tables) {
        sql.push(
          `CREATE TABLE ${t} (${c1} serial PRIMARY KEY, ${c2} int UNIQUE CHECK (${c2} > 0), ${c3} text, UNIQUE (${c2}, ${c3}), CHECK (${c2} < ${c1}))`,
          `CREATE INDEX ON ${t} (${c3}) INCLUDE (${c2})`,
          `CREATE INDEX ON ${t} ((${c2} + 1), lower(${c3}), ${c3})`,
          `ALTER TABLE ${t} ADD CHECK (${c3} <> ''), ADD FOREIGN KEY (${c2}) REFERENCES ${t} (${c1}), ADD UNIQUE (${c3})`,
        );
      }
      const client = await db.pool.connect();
      let ok = true;
      try {
        for (const s of sql) {
          try {
            await client.query(s);
          } catch {
            // identifiers PostgreSQL truncates to the same name: not a naming case
            ok = false;
            break;
          }
        }
        await client.query('SET search_path TO public');
        if (!ok) return;
        const got = await client.query<{ k: string }>(
          `SELECT 'constraint ' || conname AS k FROM pg_constraint WHERE connamespace = $1::regnamespace
           UNION ALL SELECT CASE relkind WHEN 'S' THEN 'sequence ' ELSE 'index ' END || relname
             FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('i', 'S')`,
          [schema],
        );
        const pgNames = got.rows.map((r) => r.k).sort();
        const ours = parseScript(sql.join(';\n'))
          .objects.filter(
            (o) => o.action === 'create' && ['constraint', 'index', 'sequence'].includes(o.kind),
          )
          .map((o) => `${o.kind} ${o.name}`)
          .sort();
        expect(ours).toEqual(pgNames);
        compared++;
      } finally {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
        client.release();
      }
    }),
    { seed: 61, numRuns: 80 },
  );
  expect(compared).toBeGreaterThan(50);
}, 120_000);
