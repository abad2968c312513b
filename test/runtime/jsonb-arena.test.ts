/**
 * extension: where plv8_compat keeps a JS → jsonb conversion's scratch memory
 * (plv8/README.md, "Costs"). Real PLV8 has no such arena; nothing here is a
 * recorded fact of it. What a conversion returns is covered by the fidelity
 * tests (types.test.ts, reference.test.ts); these assert that the kept arena
 * changes none of it:
 *
 * - a backend keeps one arena ("plv8 jsonb arena"), reset after each
 *   conversion, and leaves no per-conversion context behind;
 * - a conversion inside a conversion (a getter that runs plv8.execute with a
 *   jsonb parameter) gets a context of its own and both results are exact;
 * - after an error inside a conversion, caught in JS, and after a cancel in
 *   the middle of one, later conversions are exact and the arena is back to
 *   its kept size.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension } from './kind.js';

let db: TestDatabase;
let c: pg.Client;

/** The arena's first block: JSONB_ARENA_KEEP in plv8_compat.cpp. */
const KEEP = 2 * 1024 * 1024;

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  await db.query(`
    CREATE FUNCTION rt_arena_rows(n int) RETURNS jsonb LANGUAGE plv8 AS $$
      const out = [];
      for (let i = 0; i < n; i++)
        out.push({ id: i, agent: 'agent-' + i, objects: ['public.users', 'public.users.c_' + i],
                   advice: ['Coordinate with agent-' + i + ': both change public.users; ' + 'x'.repeat(200)] });
      return { n, out };
    $$;
    CREATE FUNCTION rt_arena_nested() RETURNS jsonb LANGUAGE plv8 AS $$
      const o = { a: 1 };
      Object.defineProperty(o, 'b', { enumerable: true, get() {
        return plv8.execute('SELECT $1::jsonb AS j', [{ inner: [1, 2, 3], s: 'y'.repeat(500) }])[0].j;
      } });
      return [o, { c: 'x'.repeat(1000) }];
    $$;
    CREATE FUNCTION rt_arena_after_error() RETURNS jsonb LANGUAGE plv8 AS $$
      let caught = null;
      try { plv8.execute('SELECT $1::jsonb AS j', [{ a: 'x\\u0000y' }]); }
      catch (e) { caught = e.message; }
      const again = plv8.execute('SELECT $1::jsonb AS j', [{ k: ['v', 2] }])[0].j;
      return { caught, again, list: [{ k: 'v' }, { k: 'w' }] };
    $$;
  `);
  c = new pg.Client({ connectionString: db.url });
  c.on('error', () => {});
  await c.connect();
});
afterAll(async () => {
  await c?.end();
  await db?.close();
});

/** The plv8 jsonb contexts of c's backend: the kept arena and any per-conversion one. */
async function contexts(): Promise<{ arena: number | null; others: number }> {
  const r = await c.query<{ name: string; total: number }>(
    `SELECT name, total_bytes::int AS total FROM pg_backend_memory_contexts
      WHERE name IN ('plv8 jsonb arena', 'plv8 jsonb')`,
  );
  return {
    arena: r.rows.find((x) => x.name === 'plv8 jsonb arena')?.total ?? null,
    others: r.rows.filter((x) => x.name === 'plv8 jsonb').length,
  };
}

extension('the JS → jsonb conversion arena', () => {
  it('is one per backend, reset to its kept size after every conversion, large or small', async () => {
    for (const n of [10, 600, 20_000, 600]) {
      const r = await c.query('SELECT rt_arena_rows($1) AS j', [n]);
      const j = r.rows[0].j;
      expect(j.n).toBe(n);
      expect(j.out).toHaveLength(n);
      expect(j.out[n - 1]).toEqual({
        id: n - 1,
        agent: `agent-${n - 1}`,
        objects: ['public.users', `public.users.c_${n - 1}`],
        advice: [`Coordinate with agent-${n - 1}: both change public.users; ${'x'.repeat(200)}`],
      });
      const m = await contexts();
      expect(m.others).toBe(0);
      // the kept block (and the context's header), never what a 20,000-row result needed
      expect(m.arena).toBeGreaterThanOrEqual(KEEP);
      expect(m.arena).toBeLessThan(KEEP + 64 * 1024);
    }
  });

  it('a conversion inside a conversion (a getter running plv8.execute) gives both exact results', async () => {
    const r = await c.query('SELECT rt_arena_nested() AS j');
    expect(r.rows[0].j).toEqual([
      { a: 1, b: { inner: [1, 2, 3], s: 'y'.repeat(500) } },
      { c: 'x'.repeat(1000) },
    ]);
    expect((await contexts()).others).toBe(0);
  });

  it('after an error inside a conversion, caught in JS, later conversions are exact', async () => {
    const r = await c.query('SELECT rt_arena_after_error() AS j');
    const j = r.rows[0].j;
    expect(j.caught).toBe('unsupported Unicode escape sequence');
    expect(j.again).toEqual({ k: ['v', 2] });
    expect(j.list).toEqual([{ k: 'v' }, { k: 'w' }]);
    // the next transaction starts with the arena at its kept size
    const next = await c.query('SELECT rt_arena_rows(600) AS j');
    expect(next.rows[0].j.out).toHaveLength(600);
    const m = await contexts();
    expect(m.others).toBe(0);
    expect(m.arena).toBeLessThan(KEEP + 64 * 1024);
  });

  it('after a cancel in the middle of a large conversion, the next one is exact', async () => {
    await c.query("SET statement_timeout = '150ms'");
    const err = await c.query('SELECT rt_arena_rows(2000000) AS j').then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    await c.query('RESET statement_timeout');
    // the timeout, or the heap limit first: either way an error
    expect(['57014', '53200']).toContain(err?.code);
    const r = await c.query('SELECT rt_arena_rows(600) AS j');
    expect(r.rows[0].j.out[599].agent).toBe('agent-599');
    const m = await contexts();
    expect(m.others).toBe(0);
    expect(m.arena).toBeLessThan(KEEP + 64 * 1024);
  });
});
