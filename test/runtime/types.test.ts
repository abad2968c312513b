/**
 * plv8 runtime contract (plv8/README.md): arguments and results, from SQL.
 * Runs on whichever PLV8 the template database has (real plv8 or plv8_compat).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let compat = false;

async function one<T = unknown>(sql: string, params: unknown[] = []): Promise<T> {
  const r = await db.query(sql, params);
  return Object.values(r.rows[0] ?? {})[0] as T;
}

async function sqlError(sql: string, params: unknown[] = []): Promise<Error & { code?: string }> {
  try {
    await db.query(sql, params);
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error(`expected an error from: ${sql}`);
}

beforeAll(async () => {
  db = await createTestDatabase();
  const r = await db.query(
    "SELECT extname FROM pg_extension WHERE extname IN ('plv8', 'plv8_compat')",
  );
  compat = r.rows[0]?.extname === 'plv8_compat';
});
afterAll(async () => {
  await db?.close();
});

describe('plv8_version()', () => {
  it('names the compatible runtime and its V8 version (plv8_compat only)', async (ctx) => {
    if (!compat) ctx.skip();
    const v = await one<string>('SELECT plv8_version()');
    expect(v).toMatch(/^plv8_compat 1\.0 \(V8 \d+\.\d+\.\d+\.\d+/);
    expect(v).toContain('V8 10.2.154');
  });

  it('the extension does not impersonate the real plv8 extension name', async (ctx) => {
    if (!compat) ctx.skip();
    const r = await db.query(
      "SELECT e.extname FROM pg_language l JOIN pg_depend d ON d.objid = l.oid JOIN pg_extension e ON e.oid = d.refobjid WHERE l.lanname = 'plv8'",
    );
    expect(r.rows.map((x) => x.extname)).toEqual(['plv8_compat']);
  });
});

describe('arguments', () => {
  beforeAll(async () => {
    await db.query(`
      CREATE FUNCTION rt_typeof(a text, b varchar, c int2, d int4, e float8, f numeric, g bool,
                                h json, i jsonb, k text[], l int4[], m uuid, n timestamptz, o int8)
      RETURNS jsonb LANGUAGE plv8 AS $$
        return {
          a: typeof a, b: typeof b, c: typeof c, d: typeof d, e: typeof e, f: typeof f, g: typeof g,
          h: typeof h, hx: h.x, i: Array.isArray(i), i0: i[0].y, k: Array.isArray(k), k1: k[1],
          l: Array.isArray(l), lsum: l[0] + l[1], m: typeof m, mv: m, n: n instanceof Date,
          niso: n.toISOString(), o: typeof o, o2: String(o * 2n), fv: f, ev: e, nargs: arguments.length
        };
      $$`);
  });

  it('convert each documented type to its JS value', async () => {
    const r = await one<Record<string, unknown>>(
      `SELECT rt_typeof('a', 'b', 1::int2, 2, 3.5::float8, 4.25::numeric, true, '{"x":1}'::json,
                        '[{"y":2}]'::jsonb, ARRAY['p','q'], ARRAY[1,2], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                        '2020-01-02T03:04:05.678Z'::timestamptz, 9007199254740993::int8)`,
    );
    expect(r).toEqual({
      a: 'string',
      b: 'string',
      c: 'number',
      d: 'number',
      e: 'number',
      f: 'number',
      g: 'boolean',
      h: 'object',
      hx: 1,
      i: true,
      i0: 2,
      k: true,
      k1: 'q',
      l: true,
      lsum: 3,
      m: 'string',
      mv: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      n: true,
      niso: '2020-01-02T03:04:05.678Z',
      o: 'bigint',
      o2: '18014398509481986',
      fv: 4.25,
      ev: 3.5,
      nargs: 14,
    });
  });

  it('SQL NULL arrives as null', async () => {
    await db.query(
      'CREATE FUNCTION rt_isnull(a text, b int, c jsonb) RETURNS text LANGUAGE plv8 AS $$ return [a === null, b === null, c === null].join(); $$',
    );
    expect(await one('SELECT rt_isnull(NULL, NULL, NULL)')).toBe('true,true,true');
  });

  it('unnamed arguments are $1, $2 … and arguments[] works', async () => {
    await db.query(
      "CREATE FUNCTION rt_unnamed(int, text) RETURNS text LANGUAGE plv8 AS $$ return $1 + ':' + $2 + ':' + arguments[0] + ':' + arguments.length; $$",
    );
    expect(await one("SELECT rt_unnamed(7, 'x')")).toBe('7:x:7:2');
  });

  it('other types fall back to text through their output function', async () => {
    await db.query(
      "CREATE FUNCTION rt_other(a inet, b interval) RETURNS text LANGUAGE plv8 AS $$ return typeof a + ':' + a + ':' + typeof b + ':' + b; $$",
    );
    expect(await one("SELECT rt_other('10.0.0.1/32', '1 day')")).toBe(
      'string:10.0.0.1:string:1 day',
    );
  });

  it('int8 rows make JSON.stringify throw (BigInt), like real PLV8 3.1/3.2', async () => {
    await db.query(
      "CREATE FUNCTION rt_count_json() RETURNS text LANGUAGE plv8 AS $$ return JSON.stringify(plv8.execute('SELECT count(*) AS c FROM pg_class')); $$",
    );
    const e = await sqlError('SELECT rt_count_json()');
    expect(e.message).toMatch(/BigInt/);
    await db.query(
      "CREATE FUNCTION rt_count_type() RETURNS text LANGUAGE plv8 AS $$ return typeof plv8.execute('SELECT count(*) AS c FROM pg_class')[0].c; $$",
    );
    expect(await one('SELECT rt_count_type()')).toBe('bigint');
  });
});

describe('results', () => {
  it('numbers, strings and booleans convert to the declared type', async () => {
    await db.query(`
      CREATE FUNCTION rt_r_int() RETURNS int4 LANGUAGE plv8 AS $$ return 41 + 1; $$;
      CREATE FUNCTION rt_r_int2() RETURNS int2 LANGUAGE plv8 AS $$ return 7; $$;
      CREATE FUNCTION rt_r_f8() RETURNS float8 LANGUAGE plv8 AS $$ return 0.5; $$;
      CREATE FUNCTION rt_r_num() RETURNS numeric LANGUAGE plv8 AS $$ return 12.25; $$;
      CREATE FUNCTION rt_r_text() RETURNS text LANGUAGE plv8 AS $$ return 'héllo'; $$;
      CREATE FUNCTION rt_r_vc() RETURNS varchar LANGUAGE plv8 AS $$ return 'v'; $$;
      CREATE FUNCTION rt_r_bool() RETURNS bool LANGUAGE plv8 AS $$ return false; $$;
      CREATE FUNCTION rt_r_uuid() RETURNS uuid LANGUAGE plv8 AS $$ return 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'; $$;
    `);
    const r = await db.query(
      'SELECT rt_r_int() a, rt_r_int2() b, rt_r_f8() c, rt_r_num()::text d, rt_r_text() e, rt_r_vc() f, rt_r_bool() g, rt_r_uuid()::text h',
    );
    expect(r.rows[0]).toEqual({
      a: 42,
      b: 7,
      c: 0.5,
      d: '12.25',
      e: 'héllo',
      f: 'v',
      g: false,
      h: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    });
  });

  it('a BigInt returned into int8 keeps every digit', async () => {
    await db.query(
      'CREATE FUNCTION rt_r_big() RETURNS int8 LANGUAGE plv8 AS $$ return 9007199254740993n; $$',
    );
    expect(await one('SELECT rt_r_big()::text')).toBe('9007199254740993');
  });

  it('a JS object or array returned into json/jsonb is serialised', async () => {
    await db.query(`
      CREATE FUNCTION rt_r_jsonb() RETURNS jsonb LANGUAGE plv8 AS $$ return {a: [1, 'x', null], b: {c: true}}; $$;
      CREATE FUNCTION rt_r_json() RETURNS json LANGUAGE plv8 AS $$ return [1, 2]; $$;
      CREATE FUNCTION rt_r_jsonstr() RETURNS jsonb LANGUAGE plv8 AS $$ return '{"k": 1}'; $$;
    `);
    const r = await db.query('SELECT rt_r_jsonb() a, rt_r_json() b, rt_r_jsonstr() c');
    expect(r.rows[0]).toEqual({ a: { a: [1, 'x', null], b: { c: true } }, b: [1, 2], c: { k: 1 } });
  });

  it('arrays return into text[] and int4[]', async () => {
    await db.query(`
      CREATE FUNCTION rt_r_tarr() RETURNS text[] LANGUAGE plv8 AS $$ return ['a', 'b c', null]; $$;
      CREATE FUNCTION rt_r_iarr() RETURNS int4[] LANGUAGE plv8 AS $$ return [1, 2, 3]; $$;
    `);
    const r = await db.query('SELECT rt_r_tarr() a, rt_r_iarr() b');
    expect(r.rows[0]).toEqual({ a: ['a', 'b c', null], b: [1, 2, 3] });
  });

  it('a Date returns into timestamptz', async () => {
    await db.query(
      'CREATE FUNCTION rt_r_ts() RETURNS timestamptz LANGUAGE plv8 AS $$ return new Date(Date.UTC(2021, 0, 2, 3, 4, 5, 678)); $$',
    );
    expect(
      await one(`SELECT to_char(rt_r_ts() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`),
    ).toBe('2021-01-02 03:04:05.678');
  });

  it('null and undefined return SQL NULL; void functions return nothing', async () => {
    await db.query(`
      CREATE FUNCTION rt_r_null() RETURNS text LANGUAGE plv8 AS $$ return null; $$;
      CREATE FUNCTION rt_r_undef() RETURNS int LANGUAGE plv8 AS $$ return undefined; $$;
      CREATE FUNCTION rt_r_noreturn() RETURNS jsonb LANGUAGE plv8 AS $$ let x = 1; $$;
      CREATE FUNCTION rt_r_void() RETURNS void LANGUAGE plv8 AS $$ return 5; $$;
    `);
    const r = await db.query(
      'SELECT rt_r_null() IS NULL a, rt_r_undef() IS NULL b, rt_r_noreturn() IS NULL c, pg_typeof(rt_r_void())::text d',
    );
    expect(r.rows[0]).toEqual({ a: true, b: true, c: true, d: 'void' });
  });

  it('other types take the text form through their input function', async () => {
    await db.query(`
      CREATE FUNCTION rt_r_inet() RETURNS inet LANGUAGE plv8 AS $$ return '192.168.0.1'; $$;
      CREATE FUNCTION rt_r_textnum() RETURNS text LANGUAGE plv8 AS $$ return 12; $$;
    `);
    const r = await db.query('SELECT rt_r_inet()::text a, rt_r_textnum() b');
    expect(r.rows[0]).toEqual({ a: '192.168.0.1/32', b: '12' });
  });

  it('a value the type rejects is an SQL error with the input function’s SQLSTATE', async () => {
    await db.query(
      "CREATE FUNCTION rt_r_baduuid() RETURNS uuid LANGUAGE plv8 AS $$ return 'not-a-uuid'; $$",
    );
    const e = await sqlError('SELECT rt_r_baduuid()');
    expect(e.code).toBe('22P02');
  });

  it('top-level let works on every call (the body is wrapped in a function)', async () => {
    await db.query(
      'CREATE FUNCTION rt_let(x int) RETURNS int LANGUAGE plv8 AS $$ let y = x * 2; const z = y + 1; return z; $$',
    );
    const r = await db.query('SELECT rt_let(1) a, rt_let(2) b, rt_let(3) c');
    expect(r.rows[0]).toEqual({ a: 3, b: 5, c: 7 });
  });

  it('DO blocks run in LANGUAGE plv8', async () => {
    const c = await db.pool.connect();
    try {
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      await c.query("DO $$ plv8.elog(NOTICE, 'from DO', 1 + 1); $$ LANGUAGE plv8");
      expect(notices).toContain('from DO 2');
    } finally {
      c.release();
    }
  });

  it('a syntax error is reported when the function is created (validator) or called', async () => {
    const e = await sqlError(
      'CREATE FUNCTION rt_syntax() RETURNS int LANGUAGE plv8 AS $$ return ( $$',
    );
    expect(e.message).toMatch(/SyntaxError/);
  });
});
