/**
 * plv8 runtime contract (plv8/README.md): plv8.execute, plv8.elog and the
 * helpers (quote_*, find_function, subtransaction), from SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let compat = false;

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
  const r = await db.query(
    "SELECT extname FROM pg_extension WHERE extname IN ('plv8', 'plv8_compat')",
  );
  compat = r.rows[0]?.extname === 'plv8_compat';
  await db.query('CREATE TABLE rt_ex_t (id int PRIMARY KEY, name text, tags text[], doc jsonb)');
});
afterAll(async () => {
  await db?.close();
});

describe('plv8.execute', () => {
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

  it('infers parameter types from the statement; unresolved ones are text', async () => {
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

  it('converts JS objects and arrays to json/jsonb params, arrays to SQL arrays', async () => {
    const f = await fn(`
      plv8.execute('INSERT INTO rt_ex_t (id, name, tags, doc) VALUES ($1, $2, $3, $4)',
                   [30, null, ['a', 'b'], {k: [1, {z: true}]}]);
      plv8.execute('INSERT INTO rt_ex_t (id, doc) VALUES ($1, $2)', [31, '{"s": 1}']);
      return plv8.execute('SELECT id, name, tags, doc FROM rt_ex_t WHERE id IN (30, 31) ORDER BY id');
    `);
    expect(await one(`SELECT ${f}()`)).toEqual([
      { id: 30, name: null, tags: ['a', 'b'], doc: { k: [1, { z: true }] } },
      { id: 31, name: null, tags: null, doc: { s: 1 } },
    ]);
  });

  it('accepts params as extra arguments too (like real PLV8)', async () => {
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

  it('respects volatility: STABLE functions run statements read-only (plv8_compat)', async (ctx) => {
    if (!compat) ctx.skip();
    const f = await fn(
      "return plv8.execute('INSERT INTO rt_ex_t (id) VALUES (40)')",
      'int',
      'STABLE',
    );
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.code).toBe('0A000');
    const g = await fn("return plv8.execute('SELECT 5 AS v')[0].v", 'int', 'IMMUTABLE');
    expect(await one(`SELECT ${g}()`)).toBe(5);
  });

  it('runs utility statements and returns a count', async () => {
    const f = await fn(
      "plv8.execute('CREATE TEMP TABLE rt_ex_tmp (x int)'); return plv8.execute('INSERT INTO rt_ex_tmp SELECT generate_series(1, 4)')",
      'int',
    );
    expect(await one(`SELECT ${f}()`)).toBe(4);
  });
});

describe('plv8.elog', () => {
  it('sends NOTICE/WARNING/INFO with the messages joined by spaces; levels are global and on plv8', async () => {
    const f = await fn(
      `plv8.elog(NOTICE, 'n', 1, true); plv8.elog(plv8.WARNING, 'w'); plv8.elog(INFO, 'i');
       plv8.elog(DEBUG1, 'not shown'); plv8.elog(LOG, 'to the log');
       return [DEBUG5, DEBUG4, DEBUG3, DEBUG2, DEBUG1, LOG, INFO, NOTICE, WARNING, ERROR].every(x => typeof x === 'number')
         && plv8.NOTICE === NOTICE && plv8.ERROR === ERROR;`,
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
});

describe('helpers', () => {
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

  it('find_function of a missing or non-plv8 function throws', async () => {
    const f = await fn(`
      const out = [];
      try { plv8.find_function('rt_ex_nope') } catch (e) { out.push(e.sqlerrcode) }
      try { plv8.find_function('lower(text)') } catch (e) { out.push('not plv8') }
      return out;
    `);
    expect(await one(`SELECT ${f}()`)).toEqual(['42883', 'not plv8']);
  });

  it('subtransaction commits on success and rolls back on a JS throw or an SQL error, re-throwing', async () => {
    await db.query('CREATE TABLE rt_ex_sub (v int)');
    const f = await fn(`
      const out = [];
      try {
        plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub VALUES (1)'); throw new Error('js throw'); });
      } catch (e) { out.push(e.message) }
      try {
        plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub VALUES (2)'); plv8.execute('SELECT 1/0'); });
      } catch (e) { out.push(e.sqlerrcode) }
      const r = plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub VALUES (3)'); return 'ret'; });
      out.push(r);
      out.push(plv8.execute('SELECT array_agg(v) AS a FROM rt_ex_sub')[0].a);
      return out;
    `);
    expect(await one(`SELECT ${f}()`)).toEqual(['js throw', '22012', 'ret', [3]]);
  });

  it('an uncaught error inside subtransaction rolls it back and fails the statement', async () => {
    await db.query('CREATE TABLE rt_ex_sub2 (v int)');
    const f = await fn(
      "plv8.subtransaction(() => { plv8.execute('INSERT INTO rt_ex_sub2 VALUES (1)'); throw new Error('out'); })",
    );
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toBe('out');
    expect(await one('SELECT count(*)::int FROM rt_ex_sub2')).toBe(0);
  });
});
