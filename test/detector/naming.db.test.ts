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

/** Index expressions and CHECKs whose derived names depend on FigureColname and on the columns read. */
const SHAPES = [
  'CREATE INDEX ON s (lower(b))',
  'CREATE INDEX ON s ((a + 1))',
  'CREATE INDEX ON s ((b::int))',
  'CREATE INDEX ON s ((a::text), (a::bigint), (a::numeric(10, 2)), (a::double precision))',
  "CREATE INDEX ON s ((j->>'k'), (j->'k'), ((j->>'k')::int))",
  "CREATE INDEX ON s ((coalesce(b, '')), (nullif(b, '')), (greatest(a, 0)))",
  'CREATE INDEX ON s ((CASE WHEN a > 0 THEN b END), (CASE WHEN a > 0 THEN 1 ELSE a END))',
  'CREATE INDEX ON s ((ARRAY[a]), (ARRAY[a, 1]::bigint[]))',
  "CREATE INDEX ON s ((ts AT TIME ZONE 'UTC'), ((ts AT TIME ZONE 'UTC')::date))",
  "CREATE INDEX ON s (date_trunc('day', ts AT TIME ZONE 'UTC'))",
  'CREATE INDEX ON s ((b COLLATE "C"), b text_pattern_ops, upper(b) text_pattern_ops DESC)',
  'CREATE INDEX ON s ((a IS NULL), (NOT (a > 0)), (-a))',
  "CREATE INDEX ON s (to_tsvector('simple', b))",
  "CREATE INDEX ON s ((substring(b FROM 1 FOR 2)), (trim(BOTH ' ' FROM b)), (position('x' IN b)))",
  "CREATE INDEX ON s ((extract(year FROM tl)), (date_part('year', tl)))",
  'CREATE INDEX ON s (((r).x), ((r).y))',
  "CREATE INDEX ON s ((CAST(a AS text)), (b::varchar(10)), ('x'::text))",
  'CREATE INDEX ON s (a, a, a, b)',
  'ALTER TABLE s ADD CHECK (a > 0), ADD CHECK (a > value), ADD CHECK (char_length(b) < 10), ADD CHECK (true)',
  "ALTER TABLE s ADD CHECK ((b)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[]))",
  "ALTER TABLE s ADD CHECK (j ? 'k'), ADD CHECK (extract(year FROM ts) > 2000), ADD CHECK (ts > now() - interval '1 year')",
  "ALTER TABLE s ADD CHECK (b ~* '^[a-z]+$' AND b IS NOT NULL), ADD CHECK (\"time\" > '00:00'), ADD CHECK (value <> 0)",
  'ALTER TABLE s ADD CHECK (num_nonnulls(a, b) = 1), ADD CHECK ((r).x > 0), ADD CHECK (a BETWEEN 1 AND 10)',
];

it('index expression labels and CHECK names are the ones PostgreSQL chooses', async () => {
  const setup = [
    'CREATE SCHEMA shapes',
    'SET search_path TO shapes',
    'CREATE TYPE pt AS (x int, y int)',
    'CREATE TABLE s (a int, b text, j jsonb, ts timestamptz, tl timestamp, r pt, "time" time, value int)',
  ];
  const client = await db.pool.connect();
  try {
    for (const stmt of [...setup, ...SHAPES]) await client.query(stmt);
    await client.query('SET search_path TO public');
    const got = await client.query<{ k: string }>(
      `SELECT 'index ' || relname AS k FROM pg_class WHERE relnamespace = 'shapes'::regnamespace AND relkind = 'i'
       UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE conrelid = 'shapes.s'::regclass`,
    );
    // the same statements, each parsed alone: the table s is then unknown to pggit
    // (columns guessed from the expression), as in a real intent
    const alone = SHAPES.flatMap((sql) =>
      parseScript(sql, { defaultSchema: 'shapes' })
        .objects.filter(
          (o) => o.action === 'create' && (o.kind === 'index' || o.kind === 'constraint'),
        )
        .map((o) => `${o.kind} ${o.name}`),
    );
    // and as one script after the CREATE TABLE: the table is known
    const script = parseScript([...setup.slice(1), ...SHAPES].join(';\n'), {
      defaultSchema: 'shapes',
    })
      .objects.filter(
        (o) => o.action === 'create' && (o.kind === 'index' || o.kind === 'constraint'),
      )
      .map((o) => `${o.kind} ${o.name}`)
      .sort();
    const pg = got.rows.map((r) => r.k).sort();
    expect(script).toEqual(pg);
    // parsed alone, de-duplication has nothing to go on; the base names must still agree
    const base = (k: string) => k.replace(/\d+$/, '');
    expect([...new Set(alone.map(base))].sort()).toEqual([...new Set(pg.map(base))].sort());
  } finally {
    await client.query('DROP SCHEMA IF EXISTS shapes CASCADE').catch(() => {});
    client.release();
  }
});
