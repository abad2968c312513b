/**
 * Prepared plans and cursors, set-returning functions, the window API.
 *
 * fidelity: api.sql q1–q3 as recorded on real PLV8 3.1.10 / 3.2.2.
 * extension: the rest, as upstream plv8_func.cc and plv8.cc define it (not
 * recorded), and plv8_compat's own rules where it is stricter (plv8/README.md).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;

async function one<T = unknown>(sql: string, params: unknown[] = []): Promise<T> {
  const r = await db.query(sql, params);
  return Object.values(r.rows[0] ?? {})[0] as T;
}

async function sqlError(sql: string): Promise<Error & { code?: string }> {
  try {
    await db.query(sql);
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error(`expected an error from: ${sql}`);
}

let seq = 0;
async function fn(body: string, returns = 'jsonb', args = '', attrs = ''): Promise<string> {
  const name = `rt_api_${++seq}`;
  await db.query(
    `CREATE FUNCTION ${name}(${args}) RETURNS ${returns} LANGUAGE plv8 ${attrs} AS $body$ ${body} $body$`,
  );
  return name;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  await db.query(`
    CREATE TABLE rt_api_t (id int PRIMARY KEY, name text, n int8);
    INSERT INTO rt_api_t SELECT i, 'name ' || i, i * 10000000000 FROM generate_series(1, 10) i;
  `);
});
afterAll(async () => {
  await db?.close();
});

fidelity('the documented API (api.sql q1–q3)', () => {
  it('q1: plv8.prepare with types; execute, cursor/fetch/close, free', async () => {
    const f = await fn(
      `var p = plv8.prepare('select $1::int + 1 as n, $2::jsonb as j', ['int', 'jsonb']);
       var r = p.execute([41, {a: [1]}]); var c = p.cursor([1, [2]]); var row = c.fetch(); c.close(); p.free();
       return [typeof p, r[0].n, JSON.stringify(r[0].j), row.n, JSON.stringify(row.j)].join(' ');`,
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('object 42 {"a":[1]} 2 [2]');
  });

  it('q2: plv8.get_window_object is a function', async () => {
    const f = await fn('return typeof plv8.get_window_object;', 'text');
    expect(await one(`SELECT ${f}()`)).toBe('function');
  });

  it('q3: RETURNS SETOF int with plv8.return_next', async () => {
    const f = await fn('plv8.return_next(1); plv8.return_next(2);', 'SETOF int');
    expect(await one(`SELECT string_agg(x::text, ',') FROM ${f}() x`)).toBe('1,2');
  });
});

extension('prepared plans (upstream plv8_func.cc)', () => {
  it('a plan is kept across calls of the backend until free(); int8 results are BigInt', async () => {
    const prep = await fn(
      "globalThis.rtPlan = plv8.prepare('SELECT id, name, n FROM rt_api_t WHERE id = $1', ['int']); return 'ok';",
      'text',
    );
    const use = await fn(
      'const r = globalThis.rtPlan.execute([id])[0]; return [r.id, r.name, typeof r.n, String(r.n)].join(" ");',
      'text',
      'id int',
    );
    const free = await fn('return globalThis.rtPlan.free();', 'int');
    const after = await fn(
      'try { globalThis.rtPlan.execute([1]); return "ran"; } catch (e) { return e.message; }',
      'text',
    );
    const c = await db.pool.connect();
    try {
      await c.query(`SELECT ${prep}()`);
      expect((await c.query(`SELECT ${use}(3) AS v`)).rows[0].v).toBe(
        '3 name 3 bigint 30000000000',
      );
      expect((await c.query(`SELECT ${use}(4) AS v`)).rows[0].v).toBe(
        '4 name 4 bigint 40000000000',
      );
      // in a later transaction too
      await c.query('BEGIN');
      expect((await c.query(`SELECT ${use}(5) AS v`)).rows[0].v).toBe(
        '5 name 5 bigint 50000000000',
      );
      await c.query('COMMIT');
      expect((await c.query(`SELECT ${free}() AS v`)).rows[0].v).toBe(0);
      expect((await c.query(`SELECT ${after}() AS v`)).rows[0].v).toBe('plan unexpectedly null');
    } finally {
      c.release();
    }
  });

  it('without types the parser infers them; parameters may also be given as arguments', async () => {
    const f = await fn(
      `const p = plv8.prepare('SELECT $1 + 1 AS a, $2::text AS b');
       const r = [p.execute([1, 'x'])[0], p.execute(2, 'y')[0]];
       p.free(); return r;`,
    );
    expect(await one(`SELECT ${f}()`)).toEqual([
      { a: 2, b: 'x' },
      { a: 3, b: 'y' },
    ]);
  });

  it('writes through a plan return a count; an SQL error is catchable and rolls back only that execute', async () => {
    await db.query('CREATE TABLE rt_api_w (v int CHECK (v < 10))');
    const f = await fn(
      `const p = plv8.prepare('INSERT INTO rt_api_w VALUES ($1)', ['int']);
       const out = [p.execute([1])];
       try { p.execute([20]); } catch (e) { out.push(e.sqlerrcode); }
       out.push(plv8.execute('SELECT count(*)::int AS n FROM rt_api_w')[0].n);
       p.free(); return out;`,
    );
    expect(await one(`SELECT ${f}()`)).toEqual([1, '23514', 1]);
  });

  it('a wrong number of parameters, or an unknown type, is an Error', async () => {
    const f = await fn(
      `const out = [];
       const p = plv8.prepare('SELECT $1::int AS v', ['int']);
       try { p.execute([1, 2]); } catch (e) { out.push(e.message); }
       try { p.cursor([]); } catch (e) { out.push(e.message); }
       p.free();
       try { plv8.prepare('SELECT 1', ['no_such_type']); } catch (e) { out.push(e.sqlerrcode); }
       try { plv8.prepare('SELEC 1'); } catch (e) { out.push(e.sqlerrcode); }
       return out;`,
    );
    expect(await one(`SELECT ${f}()`)).toEqual([
      'plan expected 1 argument(s), given is 2',
      'plan expected 1 argument(s), given is 0',
      '42704',
      '42601',
    ]);
  });

  it('plans of a STABLE function run read-only', async () => {
    const f = await fn(
      "const p = plv8.prepare('INSERT INTO rt_api_w VALUES (1)'); try { p.execute(); return 'wrote'; } catch (e) { return e.sqlerrcode; } finally { p.free(); }",
      'text',
      '',
      'STABLE',
    );
    expect(await one(`SELECT ${f}()`)).toBe('0A000');
  });
});

extension('cursors (upstream plv8_func.cc)', () => {
  it('fetch() gives one row or undefined; fetch(n) an array, or undefined at the end', async () => {
    const f = await fn(
      `const p = plv8.prepare('SELECT id FROM rt_api_t WHERE id <= $1 ORDER BY id', ['int']);
       const c = p.cursor([5]);
       const out = [c.fetch().id, c.fetch(3).map(r => r.id), c.fetch(10).map(r => r.id), c.fetch(), c.fetch(2)];
       c.close(); p.free();
       return JSON.stringify(out);`,
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('[1,[2,3,4],[5],null,null]');
  });

  it('move skips rows; negative counts go backward on a scrollable cursor', async () => {
    const f = await fn(
      `const p = plv8.prepare('SELECT id FROM rt_api_t ORDER BY id');
       const c = p.cursor();
       c.move(4);
       const a = c.fetch().id;
       const back = c.fetch(-2).map(r => r.id);
       c.close(); p.free();
       return [a, back];`,
    );
    expect(await one(`SELECT ${f}()`)).toEqual([5, [4, 3]]);
  });

  it('a closed cursor cannot be found; close returns 1', async () => {
    const f = await fn(
      `const p = plv8.prepare('SELECT 1 AS v'); const c = p.cursor();
       const closed = c.close(); let msg = 'fetched';
       try { c.fetch(); } catch (e) { msg = e.message; }
       p.free(); return [closed, msg];`,
    );
    expect(await one(`SELECT ${f}()`)).toEqual([1, 'cannot find cursor']);
  });

  it('a cursor stays open across calls within its transaction', async () => {
    const open = await fn(
      "globalThis.rtCursorPlan = plv8.prepare('SELECT id FROM rt_api_t ORDER BY id'); globalThis.rtCursor = globalThis.rtCursorPlan.cursor(); return 'open';",
      'text',
    );
    const next = await fn('return globalThis.rtCursor.fetch().id;', 'int');
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT ${open}()`);
      expect((await c.query(`SELECT ${next}() AS v`)).rows[0].v).toBe(1);
      expect((await c.query(`SELECT ${next}() AS v`)).rows[0].v).toBe(2);
      await c.query('COMMIT');
      // the portal ended with its transaction
      await expect(c.query(`SELECT ${next}() AS v`)).rejects.toThrow('cannot find cursor');
    } finally {
      c.release();
    }
  });

  it('an error while fetching is catchable and leaves the transaction usable', async () => {
    const f = await fn(
      `const p = plv8.prepare('SELECT 10 / (5 - id) AS v FROM rt_api_t ORDER BY id');
       const c = p.cursor(); const out = [c.fetch(3).length];
       try { c.fetch(5); } catch (e) { out.push(e.sqlerrcode); }
       out.push(plv8.execute('SELECT 7 AS v')[0].v);
       p.free(); return out;`,
    );
    expect(await one(`SELECT ${f}()`)).toEqual([3, '22012', 7]);
  });
});

extension('set-returning functions (upstream plv8.cc CallSRFunction)', () => {
  it('SETOF a composite: return_next of objects, or an array of them as the result', async () => {
    await db.query('CREATE TYPE rt_api_rec AS (i int, t text)');
    const a = await fn(
      "plv8.return_next({i: 1, t: 'a'}); plv8.return_next({t: 'b', i: 2});",
      'SETOF rt_api_rec',
    );
    const b = await fn("return [{i: 3, t: 'c'}, {i: 4, t: null}];", 'SETOF rt_api_rec');
    expect((await db.query(`SELECT * FROM ${a}()`)).rows).toEqual([
      { i: 1, t: 'a' },
      { i: 2, t: 'b' },
    ]);
    expect((await db.query(`SELECT * FROM ${b}()`)).rows).toEqual([
      { i: 3, t: 'c' },
      { i: 4, t: null },
    ]);
  });

  it('RETURNS TABLE and SETOF record with a column list; one value is one row', async () => {
    const a = await fn(
      "for (let i = 1; i <= n; i++) plv8.return_next({x: i, y: 'r' + i});",
      'TABLE (x int, y text)',
      'n int',
    );
    expect((await db.query(`SELECT * FROM ${a}(3)`)).rows).toEqual([
      { x: 1, y: 'r1' },
      { x: 2, y: 'r2' },
      { x: 3, y: 'r3' },
    ]);
    const b = await fn('return {a: 1, b: true};', 'SETOF record');
    expect((await db.query(`SELECT * FROM ${b}() AS t(a int, b bool)`)).rows).toEqual([
      { a: 1, b: true },
    ]);
    const c = await fn('return [5, null, 7];', 'TABLE (x int)');
    expect((await db.query(`SELECT x FROM ${c}()`)).rows).toEqual([
      { x: 5 },
      { x: null },
      { x: 7 },
    ]);
  });

  it('rows must name every column; return_next outside a set-returning function fails', async () => {
    const a = await fn('plv8.return_next({x: 1});', 'TABLE (x int, y text)');
    expect((await sqlError(`SELECT * FROM ${a}()`)).message).toBe(
      'field name / property name mismatch',
    );
    const b = await fn('plv8.return_next(1); return 1;', 'int');
    expect((await sqlError(`SELECT ${b}()`)).message).toBe(
      'return_next called in context that cannot accept a set',
    );
  });

  it('a large result streams into the tuplestore (100,000 rows)', async () => {
    const f = await fn(
      "for (let i = 0; i < 100000; i++) plv8.return_next({i, t: 'row ' + i});",
      'TABLE (i int, t text)',
    );
    expect(await one(`SELECT count(*)::int FROM ${f}()`)).toBe(100000);
  });

  it('a set-returning function nested in another keeps its own rows', async () => {
    const inner = await fn(
      'plv8.return_next(x * 10); plv8.return_next(x * 10 + 1);',
      'SETOF int',
      'x int',
    );
    const outer = await fn(
      `plv8.return_next(1);
       for (const r of plv8.execute('SELECT v FROM ${inner}(5) v')) plv8.return_next(r.v);
       plv8.return_next(2);`,
      'SETOF int',
    );
    expect(await one(`SELECT array_agg(v)::text FROM ${outer}() v`)).toBe('{1,50,51,2}');
  });
});

extension('window functions (upstream plv8_func.cc)', () => {
  it('get_window_object outside a window function is an Error "get_window_object called in wrong context"', async () => {
    const f = await fn(
      'try { plv8.get_window_object(); return "got one"; } catch (e) { return e.message; }',
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('get_window_object called in wrong context');
    const g = await fn('plv8.get_window_object();', 'text');
    const e = await sqlError(`SELECT ${g}()`);
    expect([e.code, e.message]).toEqual(['XX000', 'get_window_object called in wrong context']);
  });

  it('positions, row counts, peers, arguments in the partition and the frame', async () => {
    await db.query(`
      CREATE FUNCTION rt_api_win(v int) RETURNS jsonb WINDOW LANGUAGE plv8 AS $$
        const w = plv8.get_window_object();
        const pos = w.get_current_position();
        return {
          pos, count: w.get_partition_row_count(), v,
          current: w.get_func_arg_current(0),
          prev: w.get_func_arg_in_partition(0, -1, w.SEEK_CURRENT, false) ?? 'none',
          first: w.get_func_arg_in_frame(0, 0, w.SEEK_HEAD, false),
          peers: w.rows_are_peers(pos, 0)
        };
      $$;
    `);
    const r = await db.query(
      'SELECT rt_api_win(x) OVER (PARTITION BY x % 2 ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS w FROM generate_series(1, 5) x ORDER BY x',
    );
    expect(r.rows.map((x) => x.w)).toEqual([
      { pos: 0, count: 3, v: 1, current: 1, prev: 'none', first: 1, peers: true },
      { pos: 0, count: 2, v: 2, current: 2, prev: 'none', first: 2, peers: true },
      { pos: 1, count: 3, v: 3, current: 3, prev: 1, first: 1, peers: false },
      { pos: 1, count: 2, v: 4, current: 4, prev: 2, first: 2, peers: false },
      { pos: 2, count: 3, v: 5, current: 5, prev: 3, first: 1, peers: false },
    ]);
  });

  it('partition-local storage keeps a JSON value per partition, within its size', async () => {
    await db.query(`
      CREATE FUNCTION rt_api_running(v int) RETURNS int WINDOW LANGUAGE plv8 AS $$
        const w = plv8.get_window_object();
        const s = w.get_partition_local() || {sum: 0};
        s.sum += v;
        w.set_partition_local(s);
        return s.sum;
      $$;
      CREATE FUNCTION rt_api_overflow(v int) RETURNS text WINDOW LANGUAGE plv8 AS $$
        const w = plv8.get_window_object();
        w.get_partition_local(8);
        try { w.set_partition_local('x'.repeat(100)); return 'stored'; } catch (e) { return e.message; }
      $$;
    `);
    const r = await db.query(
      'SELECT rt_api_running(x) OVER (PARTITION BY x % 2 ORDER BY x) AS s FROM generate_series(1, 6) x ORDER BY x',
    );
    expect(r.rows.map((x) => x.s)).toEqual([1, 2, 4, 6, 9, 12]);
    expect(await one('SELECT rt_api_overflow(1) OVER ()')).toBe('window local memory overflow');
  });

  it('a window object kept from an earlier call cannot be used', async () => {
    await db.query(`
      CREATE FUNCTION rt_api_keep(v int) RETURNS text WINDOW LANGUAGE plv8 AS $$
        const old = globalThis.rtWin;
        globalThis.rtWin = plv8.get_window_object();
        if (!old) return 'first';
        try { old.get_current_position(); return 'used'; } catch (e) { return e.message; }
      $$;
    `);
    const c = await db.pool.connect();
    try {
      await c.query('SELECT rt_api_keep(1) OVER ()');
      const again = await c.query('SELECT rt_api_keep(1) OVER () AS v');
      // the previous call's object is either refused or (same frame reused) valid for the current call
      expect(['window function api called with wrong object', 'used']).toContain(again.rows[0].v);
      const f = await fn(
        'try { globalThis.rtWin.get_current_position(); return "used"; } catch (e) { return e.message; }',
        'text',
      );
      expect((await c.query(`SELECT ${f}() AS v`)).rows[0].v).toBe(
        'window function api called with wrong object',
      );
    } finally {
      c.release();
    }
  });
});
