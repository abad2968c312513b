/**
 * Values crossing the SQL/JS boundary: arguments, results and plv8.execute
 * parameters.
 *
 * fidelity: boundary.sql as recorded on real PLV8 3.1.10 / 3.2.2 (the line
 * tags p1, r1, … name the recorded line); int8 as BigInt (plv8/README.md).
 * extension: the rest of the conversion rules, read in upstream's
 * plv8_type.cc (not recorded) or plv8_compat's own choices (documented in
 * plv8/README.md).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;

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

let seq = 0;
/** A plv8 function `rt_ty_<n>(args) RETURNS returns` with body; returns its name. */
async function fn(body: string, returns = 'text', args = ''): Promise<string> {
  const name = `rt_ty_${++seq}`;
  await db.query(
    `CREATE FUNCTION ${name}(${args}) RETURNS ${returns} LANGUAGE plv8 AS $body$ ${body} $body$`,
  );
  return name;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
});
afterAll(async () => {
  await db?.close();
});

fidelity('jsonb parameters (boundary.sql p1–p5)', () => {
  it('p1: a JS string bound to a jsonb parameter is a jsonb string, not parsed JSON', async () => {
    const f = await fn(
      "var r = plv8.execute('select jsonb_typeof($1::jsonb) t, $1::jsonb::text v', ['[1,2]']); return r[0].t + ' ' + r[0].v;",
    );
    expect(await one(`SELECT ${f}()`)).toBe('string "[1,2]"');
  });

  it('p2, p3: a JS array or object bound to jsonb is that array or object', async () => {
    const f = await fn(
      "var r = plv8.execute('select jsonb_typeof($1::jsonb) t, $1::jsonb::text v', [[1, 'a', null]]); return r[0].t + ' ' + r[0].v;",
    );
    expect(await one(`SELECT ${f}()`)).toBe('array [1, "a", null]');
    const g = await fn(
      "var r = plv8.execute('select jsonb_typeof($1::jsonb) t, $1::jsonb::text v', [{a: {b: [true]}, 'é': 'x'}]); return r[0].t + ' ' + r[0].v;",
    );
    expect(await one(`SELECT ${g}()`)).toBe('object {"a": {"b": [true]}, "é": "x"}');
  });

  it('p4, p5: JSON.stringify(x) inserted into a jsonb column is a string (23514 on an array CHECK); x itself passes', async () => {
    await db.query(
      "CREATE TABLE rt_ty_kj (id int, doc jsonb, arr jsonb CHECK (jsonb_typeof(arr) = 'array'))",
    );
    const f = await fn(
      `var v = as_string ? JSON.stringify([1, 2]) : [1, 2];
       plv8.execute('insert into rt_ty_kj (id, doc, arr) values ($1, $2, $3)', [1, v, v]);
       var r = plv8.execute('select jsonb_typeof(doc) t, doc::text d from rt_ty_kj where id = 1'); plv8.execute('delete from rt_ty_kj');
       return r[0].t + ' ' + r[0].d;`,
      'text',
      'as_string bool',
    );
    const e = await sqlError(`SELECT ${f}(true)`);
    expect(e.code).toBe('23514');
    expect(e.message).toBe(
      'new row for relation "rt_ty_kj" violates check constraint "rt_ty_kj_arr_check"',
    );
    expect(await one(`SELECT ${f}(false)`)).toBe('array [1, 2]');
  });
});

fidelity('jsonb and json results (boundary.sql r1–r3, j1, j2, u1)', () => {
  it('r1: a JS string returned from RETURNS jsonb is a jsonb string', async () => {
    const f = await fn(`return '{"a":1}';`, 'jsonb');
    const r = await db.query(`SELECT jsonb_typeof(${f}()) t, ${f}()::text v`);
    expect(r.rows[0]).toEqual({ t: 'string', v: '"{\\"a\\":1}"' });
  });

  it('r2, r3: RETURNS json parses a returned string; an object is serialised', async () => {
    const f = await fn(`return '{"a":1}';`, 'json');
    const g = await fn('return {a: [1, {b: null}]};', 'json');
    const r = await db.query(
      `SELECT json_typeof(${f}()) t1, ${f}()::text v1, json_typeof(${g}()) t2, ${g}()::text v2`,
    );
    expect(r.rows[0]).toEqual({
      t1: 'object',
      v1: '{"a":1}',
      t2: 'object',
      v2: '{"a":[1,{"b":null}]}',
    });
  });

  it('j1, j2: undefined is NULL; undefined properties and array elements are dropped', async () => {
    const f = await fn('return undefined;', 'jsonb');
    const g = await fn('return {a: undefined, b: [undefined, 1]};', 'jsonb');
    expect(await one(`SELECT ${f}() IS NULL`)).toBe(true);
    expect(await one(`SELECT ${g}()::text`)).toBe('{"b": [1]}');
  });

  it('u1: a lone UTF-16 surrogate in a returned jsonb string is accepted', async () => {
    const f = await fn("return {s: '\\ud800x'};", 'jsonb');
    expect(await one(`SELECT jsonb_typeof(${f}() -> 's')`)).toBe('string');
  });
});

fidelity('jsonb arguments (boundary.sql a1–a3)', () => {
  it('a1: numbers through float8, nulls kept, keys in jsonb order', async () => {
    const f = await fn(
      'return [typeof j, Array.isArray(j), JSON.stringify(j)].join(" ");',
      'text',
      'j jsonb',
    );
    expect(
      await one(`SELECT ${f}('{"n": 1.50, "big": 12345678901234567890, "z": null, "s": "x"}')`),
    ).toBe('object false {"n":1.5,"s":"x","z":null,"big":12345678901234567000}');
  });

  it('a2, a3: a jsonb scalar arrives as that JS scalar; jsonb null and SQL NULL as null', async () => {
    const f = await fn(
      'return [typeof j, Array.isArray(j), JSON.stringify(j)].join(" ");',
      'text',
      'j jsonb',
    );
    expect(await one(`SELECT ${f}('"just a string"')`)).toBe('string false "just a string"');
    expect(await one(`SELECT ${f}('null')`)).toBe('object false null');
    expect(await one(`SELECT ${f}(NULL)`)).toBe('object false null');
  });
});

fidelity('numbers, dates, arrays, void (boundary.sql n1, d1, x1, v1, u2)', () => {
  it('n1: int8 is a BigInt; int2, int4, numeric and float8 are numbers', async () => {
    const f = await fn(
      `var r = plv8.execute('select 2::int8 a, 2.5::numeric b, 3::int2 c, 1e20::float8 d, count(*)::int e from generate_series(1,3)');
       return [typeof r[0].a, typeof r[0].b, r[0].b, typeof r[0].c, typeof r[0].d, typeof r[0].e, r[0].e].join(' ');`,
    );
    expect(await one(`SELECT ${f}()`)).toBe('bigint number 2.5 number number number 3');
  });

  it('int8 rows make JSON.stringify throw (BigInt), and int8 arguments are BigInt', async () => {
    const f = await fn(
      "return JSON.stringify(plv8.execute('SELECT count(*) AS c FROM pg_class'));",
    );
    expect((await sqlError(`SELECT ${f}()`)).message).toMatch(/BigInt/);
    const g = await fn('return typeof x + " " + String(x * 2n);', 'text', 'x int8');
    expect(await one(`SELECT ${g}(9007199254740993)`)).toBe('bigint 18014398509481986');
  });

  it('d1: a Date binds to timestamptz, a number to text', async () => {
    const f = await fn(
      `var r = plv8.execute("select $1::timestamptz = '2026-01-02T03:04:05Z'::timestamptz ok, $2::text s", [new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 42]);
       return r[0].ok + ' ' + r[0].s;`,
    );
    expect(await one(`SELECT ${f}()`)).toBe('true 42');
  });

  it('x1: JS arrays bind to text[] and int[]', async () => {
    const f = await fn(
      `var r = plv8.execute('select $1::text[] && array[\\'b\\'] o, array_length($1::text[], 1) n, $2::int[] i', [['a', 'b', 'c'], [3, 4]]);
       return [r[0].o, r[0].n, JSON.stringify(r[0].i)].join(' ');`,
    );
    expect(await one(`SELECT ${f}()`)).toBe('true 3 [3,4]');
  });

  it('v1: a RETURNS void function returns SQL NULL', async () => {
    const f = await fn('return;', 'void');
    expect(await one(`SELECT ${f}() IS NULL`)).toBe(true);
  });

  it('u2: a string with a NUL character returned as text is not an error', async () => {
    const f = await fn("return 'a\\u0000b';");
    expect(await one(`SELECT ${f}() IS NOT NULL`)).toBe(true);
  });
});

extension('numbers (upstream plv8_type.cc: ToScalarDatum)', () => {
  it('Infinity, -Infinity and NaN returned as float8 are those float8 values, everywhere', async () => {
    const f = await fn('return x;', 'float8', 'x text');
    const r = await db.query(
      `SELECT ${f}('Infinity')::text a, ${f}('-Infinity')::text b, ${f}('NaN')::text c`,
    );
    expect(r.rows[0]).toEqual({ a: 'Infinity', b: '-Infinity', c: 'NaN' });
    const g = await fn('return [Infinity, -Infinity, NaN, 0.5];', 'float8[]');
    expect(await one(`SELECT ${g}()::text`)).toBe('{Infinity,-Infinity,NaN,0.5}');
    const h = await fn(
      "return plv8.execute('select $1::float8 a, $2::float8 b, $3::float4 c', [Infinity, NaN, -Infinity])[0];",
      'jsonb',
    );
    // the values came back into JS as numbers; jsonb stores them as numeric
    expect(await one(`SELECT ${h}()::text`)).toBe('{"a": Infinity, "b": NaN, "c": -Infinity}');
    await db.query('CREATE TYPE rt_ty_pair AS (x float8, y float4)');
    const k = await fn('return {x: -Infinity, y: NaN};', 'rt_ty_pair');
    expect(await one(`SELECT (${k}()).x::text || ' ' || (${k}()).y::text`)).toBe('-Infinity NaN');
  });

  it('numeric results go through float8_numeric (15 significant digits), as real PLV8', async () => {
    const f = await fn('return 0.1 + 0.2;', 'numeric');
    expect(await one(`SELECT ${f}()::text`)).toBe('0.3');
  });

  it('numeric and timestamps lose what float8 and Date cannot hold: digits, range, microseconds', async () => {
    const f = await fn('return String(x);', 'text', 'x numeric');
    expect(await one(`SELECT ${f}(123456789012345678901234567890.5)`)).toBe(
      '1.2345678901234568e+29',
    );
    expect((await sqlError(`SELECT ${f}('1e400'::numeric)`)).code).toBe('22003');
    const g = await fn('return t.toISOString();', 'text', 't timestamptz');
    expect(await one(`SELECT ${g}('2020-01-01 00:00:00.123999+00')`)).toBe(
      '2020-01-01T00:00:00.123Z',
    );
  });

  it('numbers out of range of int2/int4/int8 are 22003 errors (real PLV8 wraps them silently)', async () => {
    for (const [type, value] of [
      ['int2', '40000'],
      ['int4', '3e9'],
      ['int8', '1e19'],
      ['int4', 'NaN'],
    ]) {
      const f = await fn(`return ${value};`, type as string);
      const e = await sqlError(`SELECT ${f}()`);
      expect(['22003', '22P02'], `${type} ${value}`).toContain(e.code);
    }
    const g = await fn('return 2147483647.9;', 'int4');
    expect(await one(`SELECT ${g}()`)).toBe(2147483647);
  });
});

extension('strings (upstream plv8_type.cc: the lexical cast reads a C string)', () => {
  it('a NUL character ends a returned text, as the type input function reads it', async () => {
    const f = await fn("return 'a\\u0000b';");
    const r = await db.query(`SELECT ${f}() v, length(${f}()) n`);
    expect(r.rows[0]).toEqual({ v: 'a', n: 1 });
  });

  it('a NUL character in a jsonb string is an error 22P05, as jsonb input rejects \\u0000', async () => {
    const f = await fn("return {s: 'a\\u0000b'};", 'jsonb');
    expect((await sqlError(`SELECT ${f}()`)).code).toBe('22P05');
  });

  it('lone surrogates become U+FFFD in text and jsonb (real PLV8 writes their 3-byte form)', async () => {
    const f = await fn("return 'x\\udc00y';");
    expect(await one(`SELECT ${f}()`)).toBe('x\ufffdy');
    const g = await fn("return {s: '\\ud800'};", 'jsonb');
    expect(await one(`SELECT ${g}() ->> 's'`)).toBe('\ufffd');
  });
});

extension('jsonb conversion rules (upstream plv8_type.cc, JSONB_DIRECT_CONVERSION)', () => {
  it('numbers: int32 exactly, others through float8_numeric; NaN and Infinity as numeric', async () => {
    const f = await fn(
      'return {i: 2147483647, u: 4294967295, d: 0.1 + 0.2, big: 2 ** 60, nan: NaN, inf: -Infinity};',
      'jsonb',
    );
    expect(await one(`SELECT ${f}()::text`)).toBe(
      '{"d": 0.3, "i": 2147483647, "u": 4294967295, "big": 1152921504606850000, "inf": -Infinity, "nan": NaN}',
    );
  });

  it('a Date property is its ISO string; a Date elsewhere, a function, a boxed value are objects', async () => {
    const f = await fn(
      `const d = new Date(Date.UTC(2024, 1, 3, 4, 5, 6, 789));
       return {d, bad: new Date(NaN), inArray: [d], fn: function () {}, boxed: new Number(5), big: 12n};`,
      'jsonb',
    );
    expect(await one(`SELECT ${f}()`)).toEqual({
      d: '2024-02-03T04:05:06.789Z',
      bad: null,
      inArray: [{}],
      fn: {},
      boxed: {},
      big: '12',
    });
    const top = await fn('return new Date(0);', 'jsonb');
    expect(await one(`SELECT ${top}()::text`)).toBe('{}');
  });

  it('a cycle is an error, not a crash', async () => {
    const f = await fn('const a = {}; a.self = a; return a;', 'jsonb');
    const e = await sqlError(`SELECT ${f}()`);
    expect(['54001', 'XX000']).toContain(e.code);
    expect(await one('SELECT 1')).toBe(1);
  });

  it('json (not jsonb) keeps JSON.stringify semantics for objects', async () => {
    const f = await fn('return {a: undefined, b: [undefined, 1], d: new Date(0)};', 'json');
    expect(await one(`SELECT ${f}()::text`)).toBe('{"b":[null,1],"d":"1970-01-01T00:00:00.000Z"}');
  });
});

extension('arguments (upstream plv8_type.cc: ToValue)', () => {
  it('convert each documented type to its JS value', async () => {
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

  it('SQL NULL arrives as null; unnamed arguments are $1, $2 …; arguments[] works', async () => {
    const f = await fn(
      'return [a === null, b === null, c === null].join();',
      'text',
      'a text, b int, c jsonb',
    );
    expect(await one(`SELECT ${f}(NULL, NULL, NULL)`)).toBe('true,true,true');
    const g = await fn(
      "return $1 + ':' + $2 + ':' + arguments[0] + ':' + arguments.length;",
      'text',
      'int, text',
    );
    expect(await one(`SELECT ${g}(7, 'x')`)).toBe('7:x:7:2');
  });

  it('a function mixing named and unnamed arguments does not compile (as real PLV8)', async () => {
    const e = await sqlError(
      'CREATE FUNCTION rt_ty_mixed(int, b text) RETURNS text LANGUAGE plv8 AS $$ return b; $$',
    );
    expect(e.message).toMatch(/SyntaxError/);
  });

  it('other types, and domains, arrive as their text', async () => {
    await db.query('CREATE DOMAIN rt_ty_posint AS int CHECK (VALUE > 0)');
    const f = await fn(
      "return [typeof a, a, typeof b, b, typeof c, c].join(':');",
      'text',
      'a inet, b interval, c rt_ty_posint',
    );
    expect(await one(`SELECT ${f}('10.0.0.1/32', '1 day', 5)`)).toBe(
      'string:10.0.0.1:string:1 day:string:5',
    );
  });

  it('bytea arrives as a Uint8Array; dates as Date', async () => {
    const f = await fn(
      "return [b instanceof Uint8Array, b.length, b[1], d instanceof Date, d.toISOString()].join(' ');",
      'text',
      'b bytea, d date',
    );
    expect(await one(`SELECT ${f}('\\x00ff10', '2024-03-04')`)).toBe(
      'true 3 255 true 2024-03-04T00:00:00.000Z',
    );
  });

  it('`this` is an empty object of the call, not the global object', async () => {
    const f = await fn(
      "this.x = 1; return [typeof this, this === globalThis, Object.keys(this).join()].join(' ');",
    );
    expect(await one(`SELECT ${f}()`)).toBe('object false x');
    const g = await fn('return typeof this.x;');
    expect(await one(`SELECT ${g}()`)).toBe('undefined');
  });
});

extension('results (upstream plv8_type.cc: ToDatum)', () => {
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

  it('a BigInt returned into int8 keeps every digit; one beyond int8 is 22003', async () => {
    const f = await fn('return 9007199254740993n;', 'int8');
    expect(await one(`SELECT ${f}()::text`)).toBe('9007199254740993');
    const g = await fn('return 2n ** 64n;', 'int8');
    expect((await sqlError(`SELECT ${g}()`)).code).toBe('22003');
  });

  it('arrays: a JS array into text[] and int4[]; anything else is "value is not an Array"', async () => {
    const f = await fn("return ['a', 'b c', null];", 'text[]');
    const g = await fn('return [1, 2, 3];', 'int4[]');
    const r = await db.query(`SELECT ${f}() a, ${g}() b`);
    expect(r.rows[0]).toEqual({ a: ['a', 'b c', null], b: [1, 2, 3] });
    const h = await fn("return '{1,2}';", 'int4[]');
    expect((await sqlError(`SELECT ${h}()`)).message).toBe('value is not an Array');
  });

  it('a Date returns into timestamptz, and into date by whole days toward zero from 2000-01-01', async () => {
    const f = await fn('return new Date(Date.UTC(2021, 0, 2, 3, 4, 5, 678));', 'timestamptz');
    expect(await one(`SELECT to_char(${f}() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`)).toBe(
      '2021-01-02 03:04:05.678',
    );
    const g = await fn('return new Date(Date.UTC(2021, 0, 2, 23, 0));', 'date');
    const h = await fn('return new Date(Date.UTC(1999, 11, 31, 12, 0));', 'date');
    expect(await one(`SELECT ${g}()::text || ' ' || ${h}()::text`)).toBe('2021-01-02 2000-01-01');
    const bad = await fn('return new Date(NaN);', 'timestamptz');
    expect((await sqlError(`SELECT ${bad}()`)).code).toBe('22008');
  });

  it('null and undefined return SQL NULL; a void function may return a value (through void_in)', async () => {
    const a = await fn('return null;');
    const b = await fn('return undefined;', 'int');
    const c = await fn('let x = 1;', 'jsonb');
    const d = await fn('return 5;', 'void');
    const r = await db.query(
      `SELECT ${a}() IS NULL a, ${b}() IS NULL b, ${c}() IS NULL c, pg_typeof(${d}())::text d, ${d}() IS NULL e`,
    );
    expect(r.rows[0]).toEqual({ a: true, b: true, c: true, d: 'void', e: false });
  });

  it('other types take String(value) through their input function, with its SQLSTATE on failure', async () => {
    const f = await fn("return '192.168.0.1';", 'inet');
    const g = await fn('return 12;');
    expect(await one(`SELECT ${f}()::text || ' ' || ${g}()`)).toBe('192.168.0.1/32 12');
    const h = await fn("return 'not-a-uuid';", 'uuid');
    expect((await sqlError(`SELECT ${h}()`)).code).toBe('22P02');
  });

  it('composites need every column among the first property names; RETURNS record is refused', async () => {
    await db.query('CREATE TYPE rt_ty_rec AS (i int, t text)');
    const ok = await fn("return {i: 1, t: 'a'};", 'rt_ty_rec');
    expect(await one(`SELECT ${ok}()::text`)).toBe('(1,a)');
    const missing = await fn('return {i: 1};', 'rt_ty_rec');
    expect((await sqlError(`SELECT ${missing}()`)).message).toBe(
      'field name / property name mismatch',
    );
    // the column must be among the first natts (2) names
    const late = await fn("return {x: 0, i: 1, t: 'a'};", 'rt_ty_rec');
    expect((await sqlError(`SELECT ${late}()`)).message).toBe(
      'field name / property name mismatch',
    );
    const scalar = await fn('return 5;', 'rt_ty_rec');
    expect((await sqlError(`SELECT ${scalar}()`)).message).toBe('argument must be an object');
    const rec = await fn('return {a: 1};', 'record');
    expect((await sqlError(`SELECT * FROM ${rec}() AS t(a int)`)).code).toBe('0A000');
  });

  it('bytea from Uint8Array, Int16Array and ArrayBuffer; other views through their text', async () => {
    const f = await fn('return new Uint8Array([1, 2, 255]);', 'bytea');
    const g = await fn('return new Int16Array([1]).buffer;', 'bytea');
    const h = await fn('return new Float64Array([1]);', 'bytea');
    const r = await db.query(`SELECT ${f}() a, ${g}() b, ${h}() c`);
    expect(r.rows[0]!.a).toEqual(Buffer.from([1, 2, 255]));
    expect(r.rows[0]!.b).toEqual(Buffer.from([1, 0]));
    expect(r.rows[0]!.c).toEqual(Buffer.from('1'));
  });

  it('top-level let works on every call (the body is wrapped in a function)', async () => {
    const f = await fn('let y = x * 2; const z = y + 1; return z;', 'int', 'x int');
    const r = await db.query(`SELECT ${f}(1) a, ${f}(2) b, ${f}(3) c`);
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

  it('a syntax error is reported when the function is created (validator)', async () => {
    const e = await sqlError(
      'CREATE FUNCTION rt_syntax() RETURNS int LANGUAGE plv8 AS $$ return ( $$',
    );
    expect(e.message).toMatch(/SyntaxError/);
  });
});

extension('plv8_version()', () => {
  it('names the compatible runtime and its V8 version', async () => {
    const v = await one<string>('SELECT plv8_version()');
    expect(v).toMatch(/^plv8_compat 1\.0 \(V8 \d+\.\d+\.\d+\.\d+/);
    expect(v).toContain('V8 10.2.154');
  });

  it('the extension does not impersonate the real plv8 extension name', async () => {
    const r = await db.query(
      "SELECT e.extname FROM pg_language l JOIN pg_depend d ON d.objid = l.oid JOIN pg_extension e ON e.oid = d.refobjid WHERE l.lanname = 'plv8'",
    );
    expect(r.rows.map((x) => x.extname)).toEqual(['plv8_compat']);
  });
});
