/**
 * plv8.execute, plv8.elog and the helpers (quote_*, find_function,
 * subtransaction, memory_usage), from SQL.
 *
 * fidelity: boundary.sql s1, s2, l1 as recorded on real PLV8 3.1.10 / 3.2.2;
 * uncaught SPI errors keep their SQLSTATE (plv8/README.md, recorded).
 * extension: the rest (upstream plv8_func.cc, not recorded, or plv8_compat's
 * own contract in plv8/README.md).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;

type PgErr = Error & { code?: string; detail?: string; hint?: string };

async function sqlError(sql: string, params: unknown[] = []): Promise<PgErr> {
  try {
    await db.query(sql, params);
  } catch (e) {
    return e as PgErr;
  }
  throw new Error(`expected an error from: ${sql}`);
}

async function one<T = unknown>(sql: string, params: unknown[] = []): Promise<T> {
  const r = await db.query(sql, params);
  return Object.values(r.rows[0] ?? {})[0] as T;
}

let seq = 0;
async function fn(body: string, returns = 'jsonb', attrs = ''): Promise<string> {
  const name = `rt_ex_${++seq}`;
  await db.query(
    `CREATE FUNCTION ${name}() RETURNS ${returns} LANGUAGE plv8 ${attrs} AS $body$ ${body} $body$`,
  );
  return name;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  await db.query('CREATE TABLE rt_ex_t (id int PRIMARY KEY, name text, tags text[], doc jsonb)');
});
afterAll(async () => {
  await db?.close();
});

fidelity('SQL errors inside plv8.execute (boundary.sql s1, s2)', () => {
  it('s2: an SQL error from plv8.execute is an Error whose sqlerrcode is the SQLSTATE string', async () => {
    const f = await fn(
      `try { plv8.execute('select 1/0'); return 'no error'; }
       catch (e) { return [e instanceof Error, typeof e.sqlerrcode, String(e.sqlerrcode), e.message].join(' '); }`,
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('true string 22012 division by zero');
  });

  it('s1: the same error caught inside plv8.subtransaction has no sqlerrcode', async () => {
    const f = await fn(
      `try { plv8.subtransaction(function () { plv8.execute('select 1/0'); }); return 'no error'; }
       catch (e) { return [e instanceof Error, typeof e.sqlerrcode, String(e.sqlerrcode), e.message].join(' '); }`,
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('true undefined undefined division by zero');
  });

  it('uncaught, an SPI error keeps its SQLSTATE, message, detail and hint', async () => {
    await db.query('CREATE TABLE rt_err_fk_parent (id int PRIMARY KEY)');
    await db.query('CREATE TABLE rt_err_fk_child (p int REFERENCES rt_err_fk_parent)');
    const f1 = await fn("plv8.execute('INSERT INTO rt_err_fk_child VALUES (5)')", 'text');
    const e1 = await sqlError(`SELECT ${f1}()`);
    expect(e1.code).toBe('23503');
    expect(e1.message).toBe(
      'insert or update on table "rt_err_fk_child" violates foreign key constraint "rt_err_fk_child_p_fkey"',
    );
    expect(e1.detail).toBe('Key (p)=(5) is not present in table "rt_err_fk_parent".');
    const f2 = await fn(
      `plv8.execute("DO $$ BEGIN RAISE EXCEPTION 'custom' USING HINT = 'h2', DETAIL = 'd2', ERRCODE = 'P0001'; END $$")`,
      'text',
    );
    const e2 = await sqlError(`SELECT ${f2}()`);
    expect([e2.code, e2.message, e2.detail, e2.hint]).toEqual(['P0001', 'custom', 'd2', 'h2']);
  });
});

fidelity('elog levels (boundary.sql l1)', () => {
  it('l1: the levels are globals only; plv8.NOTICE is undefined', async () => {
    const f = await fn(
      "return [typeof NOTICE, typeof WARNING, typeof ERROR, typeof plv8.NOTICE, typeof plv8.elog].join(',');",
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('number,number,number,undefined,function');
  });
});

extension('plv8.execute (upstream plv8_func.cc)', () => {
  it('returns an array of row objects for SELECT', async () => {
    const f = await fn(
      "return plv8.execute(\"SELECT 1 AS a, 'x' AS b, NULL::text AS c UNION ALL SELECT 2, 'y', 'z' ORDER BY 1\")",
    );
    expect(await one(`SELECT ${f}()`)).toEqual([
      { a: 1, b: 'x', c: null },
      { a: 2, b: 'y', c: 'z' },
    ]);
  });

  it('returns the affected row count for INSERT/UPDATE/DELETE without RETURNING', async () => {
    const f = await fn(`
      const ins = plv8.execute("INSERT INTO rt_ex_t (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      const upd = plv8.execute("UPDATE rt_ex_t SET name = upper(name) WHERE id <= 2");
      const del = plv8.execute("DELETE FROM rt_ex_t WHERE id = 3");
      const none = plv8.execute("DELETE FROM rt_ex_t WHERE id = 99");
      return {ins, upd, del, none, types: [typeof ins, typeof none]};
    `);
    expect(await one(`SELECT ${f}()`)).toEqual({
      ins: 3,
      upd: 2,
      del: 1,
      none: 0,
      types: ['number', 'number'],
    });
  });

  it('returns rows for INSERT/UPDATE/DELETE … RETURNING', async () => {
    const f = await fn(`
      const i = plv8.execute("INSERT INTO rt_ex_t (id, name) VALUES (10, 'ten') RETURNING id, name");
      const u = plv8.execute("UPDATE rt_ex_t SET name = 'TEN' WHERE id = 10 RETURNING name");
      const d = plv8.execute("DELETE FROM rt_ex_t WHERE id = 10 RETURNING id");
      return {i, u, d};
    `);
    expect(await one(`SELECT ${f}()`)).toEqual({
      i: [{ id: 10, name: 'ten' }],
      u: [{ name: 'TEN' }],
      d: [{ id: 10 }],
    });
  });

  it('binds params (never interpolates them)', async () => {
    const f = await fn(`
      const evil = "x'); DROP TABLE rt_ex_t; --";
      plv8.execute('INSERT INTO rt_ex_t (id, name) VALUES ($1, $2)', [20, evil]);
      return plv8.execute('SELECT name FROM rt_ex_t WHERE id = $1', [20]);
    `);
    expect(await one(`SELECT ${f}()`)).toEqual([{ name: "x'); DROP TABLE rt_ex_t; --" }]);
    expect(await one("SELECT to_regclass('rt_ex_t') IS NOT NULL")).toBe(true);
  });

  it('infers parameter types from the statement', async () => {
    const f = await fn(`
      const r = plv8.execute('SELECT $1 AS a, $2 + 1 AS b, pg_typeof($2)::text AS tb, $3::int8 AS c, $4 IS NULL AS d, length($5) AS e',
                             ['txt', 41, '7', 'x', 'abcd']);
      return {a: r[0].a, b: r[0].b, tb: r[0].tb, c: String(r[0].c), d: r[0].d, e: r[0].e};
    `);
    expect(await one(`SELECT ${f}()`)).toEqual({
      a: 'txt',
      b: 42,
      tb: 'integer',
      c: '7',
      d: false,
      e: 4,
    });
  });

  it('a parameter count that differs from the statement is an error; so is a $n never used', async () => {
    const f = await fn(
      "try { plv8.execute('SELECT $1::int', [1, 2]) } catch (e) { return e.message }",
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('parameter numbers mismatch: 1 != 2');
    const g = await fn(
      "try { plv8.execute('SELECT $1::int, $3::int', [1, 2, 3]) } catch (e) { return e.sqlerrcode + ' ' + e.message }",
      'text',
    );
    expect(await one(`SELECT ${g}()`)).toBe('42P18 could not determine data type of parameter $2');
  });

  it('binds 70,000 parameters', async () => {
    const f = await fn(
      `const params = [], ph = [];
       for (let i = 1; i <= 70000; i++) { params.push(i); ph.push('$' + i + '::int'); }
       return plv8.execute('select array_length(array[' + ph.join(',') + '], 1) AS n', params)[0].n;`,
      'int',
    );
    expect(await one(`SELECT ${f}()`)).toBe(70000);
  });

  it('converts JS objects and arrays to jsonb params, arrays to SQL arrays', async () => {
    const f = await fn(`
      plv8.execute('INSERT INTO rt_ex_t (id, name, tags, doc) VALUES ($1, $2, $3, $4)',
                   [30, null, ['a', 'b'], {k: [1, {z: true}]}]);
      return plv8.execute('SELECT id, name, tags, doc FROM rt_ex_t WHERE id = 30');
    `);
    expect(await one(`SELECT ${f}()`)).toEqual([
      { id: 30, name: null, tags: ['a', 'b'], doc: { k: [1, { z: true }] } },
    ]);
  });

  it('accepts params as extra arguments too', async () => {
    const f = await fn("return plv8.execute('SELECT $1::int + $2::int AS s', 2, 3)");
    expect(await one(`SELECT ${f}()`)).toEqual([{ s: 5 }]);
  });

  it('passes BigInt and Date params', async () => {
    const f = await fn(`
      const r = plv8.execute('SELECT $1::int8 + 1 AS n, $2::timestamptz AS t', [9007199254740993n, new Date(Date.UTC(2020, 5, 1))]);
      return {n: String(r[0].n), t: r[0].t.toISOString()};
    `);
    expect(await one(`SELECT ${f}()`)).toEqual({
      n: '9007199254740994',
      t: '2020-06-01T00:00:00.000Z',
    });
  });

  it('respects volatility: STABLE functions run statements read-only (stricter than real PLV8)', async () => {
    const f = await fn(
      "return plv8.execute('INSERT INTO rt_ex_t (id) VALUES (40)')",
      'int',
      'STABLE',
    );
    expect((await sqlError(`SELECT ${f}()`)).code).toBe('0A000');
    const g = await fn("return plv8.execute('SELECT 5 AS v')[0].v", 'int', 'IMMUTABLE');
    expect(await one(`SELECT ${g}()`)).toBe(5);
  });

  it('runs utility statements and returns a count; a statement SPI refuses throws its status string', async () => {
    const f = await fn(
      "plv8.execute('CREATE TEMP TABLE rt_ex_tmp (x int)'); return plv8.execute('INSERT INTO rt_ex_tmp SELECT generate_series(1, 4)')",
      'int',
    );
    expect(await one(`SELECT ${f}()`)).toBe(4);
    const g = await fn(
      "try { plv8.execute('COPY rt_ex_t FROM STDIN') } catch (e) { return typeof e + ' ' + e }",
      'text',
    );
    expect(await one(`SELECT ${g}()`)).toBe('string SPI_ERROR_COPY');
  });

  it('once an error is caught, the transaction stays usable (each execute is a subtransaction)', async () => {
    await db.query('CREATE TABLE rt_err_after (v int)');
    const f = await fn(
      `try { plv8.execute('SELECT 1/0') } catch (e) { }
       plv8.execute('INSERT INTO rt_err_after VALUES (1)');
       return plv8.execute('SELECT count(*)::int AS n FROM rt_err_after')[0].n;`,
      'int',
    );
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
      expect((await c.query(`SELECT ${f}() AS n`)).rows[0]!.n).toBe(1);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  });

  it('a failed execute rolls back only its own statement', async () => {
    await db.query('CREATE TABLE rt_err_partial (v int CHECK (v < 10))');
    const f = await fn(
      `plv8.execute('INSERT INTO rt_err_partial VALUES (1)');
       try { plv8.execute('INSERT INTO rt_err_partial VALUES (2), (20)') } catch (e) { }
       return plv8.execute('SELECT array_agg(v ORDER BY v) AS a FROM rt_err_partial')[0].a;`,
      'int[]',
    );
    expect(await one(`SELECT ${f}()`)).toEqual([1]);
  });

  it('the error object carries message, detail, hint, and the packed code', async () => {
    const f = await fn(
      `try { plv8.execute("DO $$ BEGIN RAISE EXCEPTION 'raised' USING HINT = 'try again', DETAIL = 'dd', ERRCODE = '22023'; END $$") }
       catch (e) { return [e.sqlerrcode, e.message, e.detail, e.hint, e.code === (2 + (2 << 6) + (0 << 12) + (2 << 18) + (3 << 24))].join('|') }`,
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('22023|raised|dd|try again|true');
  });

  it('many plv8.execute calls in one function run in bounded backend memory', async () => {
    const f = await fn(
      `const used = () => Number(plv8.execute('SELECT sum(used_bytes)::int8 AS b FROM pg_backend_memory_contexts')[0].b);
       const before = used();
       for (let i = 0; i < 200000; i++) plv8.execute('SELECT $1::text AS v', ['x'.repeat(100)]);
       return used() - before;`,
      'float8',
    );
    // without per-call scratch memory this grows by ~100 MB (each call's SQL text, parameters, types)
    expect(await one(`SELECT ${f}()`)).toBeLessThan(8 * 1024 * 1024);
  });
});

extension('plv8.elog (upstream plv8_func.cc)', () => {
  it('sends NOTICE/WARNING/INFO with the messages joined by spaces', async () => {
    const f = await fn(
      `plv8.elog(NOTICE, 'n', 1, true); plv8.elog(WARNING, 'w'); plv8.elog(INFO, 'i');
       plv8.elog(DEBUG1, 'not shown'); plv8.elog(LOG, 'to the log');
       return [DEBUG5, DEBUG4, DEBUG3, DEBUG2, DEBUG1, LOG, INFO, NOTICE, WARNING, ERROR].every(x => typeof x === 'number');`,
      'bool',
    );
    const c = await db.pool.connect();
    try {
      const notices: { severity?: string; message?: string }[] = [];
      c.on('notice', (n) => notices.push({ severity: n.severity, message: n.message }));
      const r = await c.query(`SELECT ${f}() AS ok`);
      expect(r.rows[0]!.ok).toBe(true);
      expect(notices).toEqual([
        { severity: 'NOTICE', message: 'n 1 true' },
        { severity: 'WARNING', message: 'w' },
        { severity: 'INFO', message: 'i' },
      ]);
    } finally {
      c.release();
    }
  });

  it('an invalid level or a missing message throws a string, as upstream', async () => {
    const f = await fn(
      "const out = []; for (const args of [[99, 'x'], [NOTICE]]) { try { plv8.elog(...args) } catch (e) { out.push(typeof e + ':' + e) } } return out;",
    );
    expect(await one(`SELECT ${f}()`)).toEqual([
      'string:invalid error level',
      'string:usage: plv8.elog(elevel, ...)',
    ]);
  });
});

extension('helpers (upstream plv8_func.cc)', () => {
  it('quote_ident, quote_literal, quote_nullable', async () => {
    const f = await fn(`return [
      plv8.quote_ident('simple'), plv8.quote_ident('Mixed Case'), plv8.quote_ident('sel"ect'),
      plv8.quote_literal("it's"), plv8.quote_literal('back\\\\slash'),
      plv8.quote_nullable(null), plv8.quote_nullable(undefined), plv8.quote_nullable('x'), plv8.quote_nullable(5)
    ]`);
    expect(await one(`SELECT ${f}()`)).toEqual([
      'simple',
      '"Mixed Case"',
      '"sel""ect"',
      "'it''s'",
      "E'back\\\\slash'",
      'NULL',
      'NULL',
      "'x'",
      "'5'",
    ]);
  });

  it('find_function returns a callable JS function (by name and by signature)', async () => {
    await db.query(
      'CREATE FUNCTION rt_ex_add(a int, b int) RETURNS int LANGUAGE plv8 AS $$ return a + b; $$',
    );
    await db.query(
      'CREATE FUNCTION rt_ex_obj(o jsonb) RETURNS jsonb LANGUAGE plv8 AS $$ o.seen = true; return o; $$',
    );
    const f = await fn(`
      const add = plv8.find_function('rt_ex_add');
      const add2 = plv8.find_function('rt_ex_add(int, int)');
      const obj = plv8.find_function('rt_ex_obj(jsonb)');
      const input = {a: 1};
      const out = obj(input);
      return {sum: add(1, 2) + add2(10, 20), kind: typeof add, sameObject: out === input, seen: input.seen};
    `);
    expect(await one(`SELECT ${f}()`)).toEqual({
      sum: 33,
      kind: 'function',
      sameObject: true,
      seen: true,
    });
  });

  it('find_function of a missing or a non-plv8 function throws', async () => {
    const f = await fn(`
      const out = [];
      try { plv8.find_function('rt_ex_nope') } catch (e) { out.push(e.sqlerrcode) }
      try { plv8.find_function('lower(text)') } catch (e) { out.push(e.message) }
      return out;
    `);
    expect(await one(`SELECT ${f}()`)).toEqual([
      '42883',
      'javascript function is not found for "lower(text)"',
    ]);
  });

  it('subtransaction commits on success and rolls back on a JS throw or an SQL error, rethrowing its message', async () => {
    await db.query('CREATE TABLE rt_ex_sub (v int)');
    const f = await fn(`
      const out = [];
      try {
        plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub VALUES (1)'); throw new TypeError('js throw'); });
      } catch (e) { out.push(e.constructor.name + ': ' + e.message) }
      try {
        plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub VALUES (2)'); plv8.execute('SELECT 1/0'); });
      } catch (e) { out.push(e.message) }
      const r = plv8.subtransaction(function () { plv8.execute('INSERT INTO rt_ex_sub VALUES (3)'); return typeof this; });
      out.push(r);
      out.push(plv8.execute('SELECT array_agg(v) AS a FROM rt_ex_sub')[0].a);
      return out;
    `);
    expect(await one(`SELECT ${f}()`)).toEqual([
      'Error: TypeError: js throw',
      'division by zero',
      'function',
      [3],
    ]);
  });

  it('an uncaught error inside subtransaction rolls it back and fails the statement with XX000', async () => {
    await db.query('CREATE TABLE rt_ex_sub2 (v int)');
    const f = await fn(
      "plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub2 VALUES (1)'); plv8.execute('SELECT 1/0'); })",
      'text',
    );
    const e = await sqlError(`SELECT ${f}()`);
    expect([e.code, e.message]).toEqual(['XX000', 'division by zero']);
    expect(await one('SELECT count(*)::int FROM rt_ex_sub2')).toBe(0);
  });

  it('memory_usage reports the JS heap', async () => {
    const f = await fn(
      'const m = plv8.memory_usage(); return [typeof m.total_heap_size, m.used_heap_size > 0, typeof m.external_memory].join();',
      'text',
    );
    expect(await one(`SELECT ${f}()`)).toBe('number,true,number');
  });
});
