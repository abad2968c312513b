/**
 * Property tests of the conversions (fast-check): random values cross the
 * SQL/JS boundary through parameters and results, and each result is
 * checked against the rule it must follow — not only "no crash".
 *
 * fidelity: the recorded rules (boundary.sql): a JS string bound to jsonb
 * stays a string (p1), arrays and objects keep their structure with
 * undefined dropped (p2, p3, j2), jsonb keys come back in jsonb order (a1),
 * int8 is BigInt (n1).
 * extension: the rules read in upstream plv8_type.cc or chosen by
 * plv8_compat (plv8/README.md): numbers into jsonb and numeric keep 15
 * significant digits, float8 is exact, int4/int8 out of range is 22003,
 * text ends at a NUL, lone surrogates become U+FFFD.
 *
 * Values travel to the database as tagged JSON text (so NaN, -0, BigInt,
 * undefined and lone surrogates survive), are converted there by the
 * runtime, and come back the same way.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;

// ---- tagged JSON: the transport between Node and the function under test ----
const CODEC = `
  const enc = (v) => JSON.stringify(v, function (k, x) {
    const raw = this[k];
    if (raw === undefined) return { $: 'u' };
    if (typeof raw === 'bigint') return { $: 'b', v: String(raw) };
    if (typeof raw === 'number' && (!isFinite(raw) || Object.is(raw, -0))) return { $: 'n', v: String(Object.is(raw, -0) ? '-0' : raw) };
    if (raw instanceof Error) return { $: 'e', v: raw.sqlerrcode || raw.message };
    return x;
  });
  const dec = (s) => JSON.parse(s, (k, x) => {
    if (x && typeof x === 'object' && !Array.isArray(x) && typeof x.$ === 'string') {
      if (x.$ === 'u') return undefined;
      if (x.$ === 'b') return BigInt(x.v);
      if (x.$ === 'n') return x.v === '-0' ? -0 : Number(x.v);
    }
    return x;
  });`;

function enc(v: unknown): string {
  return JSON.stringify(v, function (this: Record<string, unknown>, k, x) {
    const raw = this[k];
    if (raw === undefined) return { $: 'u' };
    if (typeof raw === 'bigint') return { $: 'b', v: String(raw) };
    if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0)))
      return { $: 'n', v: Object.is(raw, -0) ? '-0' : String(raw) };
    return x;
  });
}

type Decoded = unknown;
function dec(s: string): Decoded {
  return JSON.parse(s, (_k, x) => {
    if (x && typeof x === 'object' && !Array.isArray(x) && typeof x.$ === 'string') {
      if (x.$ === 'u') return undefined;
      if (x.$ === 'b') return BigInt(x.v);
      if (x.$ === 'n') return x.v === '-0' ? -0 : Number(x.v);
      if (x.$ === 'e') return { error: x.v };
    }
    return x;
  });
}

/** Runs each value through `kind` in the database; one result per value. */
async function roundTrip(kind: string, values: unknown[]): Promise<unknown[]> {
  const r = await db.query('SELECT rt_fz_run($1, $2) AS out', [kind, enc(values)]);
  return dec(r.rows[0]!.out) as unknown[];
}

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  await db.query(`
    CREATE FUNCTION rt_fz_ret_jsonb(t text) RETURNS jsonb LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_text(t text) RETURNS text LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_float8(t text) RETURNS float8 LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_numeric(t text) RETURNS numeric LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_int4(t text) RETURNS int4 LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_int8(t text) RETURNS int8 LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_int4arr(t text) RETURNS int4[] LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_ret_float8arr(t text) RETURNS float8[] LANGUAGE plv8 AS $$ ${CODEC} return dec(t)[0]; $$;
    CREATE FUNCTION rt_fz_run(kind text, input text) RETURNS text LANGUAGE plv8 AS $$
      ${CODEC}
      const [how, type] = kind.split(':');
      return enc(dec(input).map((v) => {
        try {
          if (how === 'param')
            return plv8.execute('SELECT $1::' + type + ' AS v', [v])[0].v;
          if (how === 'same')
            return plv8.execute(
              'SELECT ($1::numeric)::text = ($2::float8::numeric)::text AND ($3::jsonb)::text = ($2::float8::numeric)::text AS v',
              [v, v, v],
            )[0].v;
          if (how === 'typeof')
            return plv8.execute('SELECT jsonb_typeof($1::jsonb) AS v', [v])[0].v;
          const fn = 'rt_fz_ret_' + type.replace('[]', 'arr');
          return plv8.execute('SELECT ' + fn + '($1) AS v', [enc([v])])[0].v;
        } catch (e) {
          return e;
        }
      }));
    $$;
  `);
});
afterAll(async () => {
  await db?.close();
});

// ---- the rules --------------------------------------------------------------
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const noLoneSurrogates = (s: string) => s.replace(LONE, '\ufffd');

/** jsonb's key order: shorter first, then bytewise (UTF-8). */
function jsonbKeyOrder(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length - bb.length || Buffer.compare(ba, bb);
}

/** A JS object's own key order: array-index keys ascending first, then insertion order. */
function jsKeyOrder(keys: string[]): string[] {
  const isIndex = (k: string) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;
  return [
    ...keys.filter(isIndex).sort((x, y) => Number(x) - Number(y)),
    ...keys.filter((k) => !isIndex(k)),
  ];
}

/** Finite, but beyond float8 once rounded to 15 digits: float8 input rejects it (22003). */
const overflows15 = (x: number) =>
  Number.isFinite(x) && !Number.isFinite(Number(x.toPrecision(15)));

function anyOverflow(v: unknown): boolean {
  if (typeof v === 'number') return overflows15(v);
  if (Array.isArray(v)) return v.some(anyOverflow);
  if (v && typeof v === 'object') return Object.values(v).some(anyOverflow);
  return false;
}

/** Checks `got` (JS → jsonb → JS) against `sent`, following the conversion rules. */
function checkJsonb(got: unknown, sent: unknown, path = '$'): void {
  if (path === '$' && anyOverflow(sent)) {
    // jsonb keeps the 15-digit numeric; reading it back as float8 overflows
    expect(got, path).toEqual({ error: '22003' });
    return;
  }
  if (sent === null || sent === undefined) {
    expect(got, path).toBeNull();
  } else if (typeof sent === 'string') {
    expect(got, path).toBe(noLoneSurrogates(sent));
  } else if (typeof sent === 'boolean') {
    expect(got, path).toBe(sent);
  } else if (typeof sent === 'bigint') {
    expect(got, path).toBe(String(sent));
  } else if (typeof sent === 'number') {
    checkNumeric(got, sent, path);
  } else if (Array.isArray(sent)) {
    const kept = sent.filter((e) => e !== undefined);
    expect(Array.isArray(got), path).toBe(true);
    expect((got as unknown[]).length, path).toBe(kept.length);
    kept.forEach((e, i) => {
      checkJsonb((got as unknown[])[i], e, `${path}[${i}]`);
    });
  } else {
    const o = sent as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort(jsonbKeyOrder);
    expect(Object.keys(got as object), path).toEqual(jsKeyOrder(keys));
    for (const k of keys) checkJsonb((got as Record<string, unknown>)[k], o[k], `${path}.${k}`);
  }
}

/** A number through float8_numeric: int32/uint32 exact, others to 15 significant digits. */
function checkNumeric(got: unknown, sent: number, path: string): void {
  if (overflows15(sent)) {
    expect(got, path).toEqual({ error: '22003' });
    return;
  }
  expect(typeof got, path).toBe('number');
  const g = got as number;
  if (Number.isNaN(sent)) expect(g, path).toBeNaN();
  else if (
    !Number.isFinite(sent) ||
    (Number.isInteger(sent) && sent >= -(2 ** 31) && sent < 2 ** 32)
  )
    expect(Object.is(g, sent) || (sent === 0 && g === 0), path).toBe(true);
  else {
    expect(Number(g.toPrecision(15)), `${path}: ${g} has at most 15 digits`).toBe(g);
    expect(Math.abs(g - sent), `${path}: ${g} vs ${sent}`).toBeLessThanOrEqual(
      Math.abs(sent) * 1e-14,
    );
  }
}

// ---- arbitraries ---------------------------------------------------------------
/** Strings of any UTF-16 code units (lone surrogates included), NUL excluded. */
const anyString = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 1, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\ud800', '\udfff', '\ud83d\ude00', 'é', '"', '\\'),
  ),
  maxLength: 20,
});
const plainString = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0'));
const key = fc
  .string({ unit: 'binary', maxLength: 8 })
  .filter((s) => !s.includes('\0') && s !== '__proto__');
const edgeNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53,
    -(2 ** 53),
    1e21,
    5e-324,
    Number.MAX_VALUE,
    0.1,
    1 / 3,
  ),
);

/** Values whose conversion is recorded (boundary.sql): int32, strings, booleans, null, undefined members. */
const recordedValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    plainString,
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 5 }),
    fc.dictionary(key, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 5 }),
  ),
})).value;

/** Anything JSON-like, plus the values JSON cannot hold. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    edgeNumber,
    anyString,
    fc.boolean(),
    fc.constant(null),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 5 }),
    fc.dictionary(key, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 5 }),
  ),
})).value;

const RUNS = { numRuns: 30 };

fidelity('recorded rules hold for random values', () => {
  it('p1: any JS string bound to a jsonb parameter is a jsonb string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(plainString, { minLength: 1, maxLength: 30 }), async (xs) => {
        const got = await roundTrip('typeof:jsonb', xs);
        expect(got).toEqual(xs.map(() => 'string'));
        expect(await roundTrip('param:jsonb', xs)).toEqual(xs);
      }),
      RUNS,
    );
  });

  it('p2, p3, j2, a1: arrays and objects keep their structure, drop undefined, come back in jsonb key order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordedValue, { minLength: 1, maxLength: 20 }), async (xs) => {
        for (const kind of ['param:jsonb', 'return:jsonb']) {
          const got = await roundTrip(kind, xs);
          xs.forEach((x, i) => {
            checkJsonb(got[i], x);
          });
        }
      }),
      RUNS,
    );
  });

  it('n1: int8 values come back as the same BigInt', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), {
          minLength: 1,
          maxLength: 30,
        }),
        async (xs) => {
          expect(await roundTrip('param:int8', xs)).toEqual(xs);
          expect(await roundTrip('return:int8', xs)).toEqual(xs);
        },
      ),
      RUNS,
    );
  });
});

extension('upstream and plv8_compat rules hold for random values', () => {
  it('any value through jsonb (parameter and result): numbers to 15 digits, BigInt as string, lone surrogates as U+FFFD', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyValue, { minLength: 1, maxLength: 20 }), async (xs) => {
        for (const kind of ['param:jsonb', 'return:jsonb']) {
          const got = await roundTrip(kind, xs);
          xs.forEach((x, i) => {
            checkJsonb(got[i], x);
          });
        }
      }),
      RUNS,
    );
  });

  it('json parameters keep JSON.stringify semantics for objects (undefined elements become null)', async () => {
    const container = recordedValue.filter((v) => typeof v === 'object' && v !== null);
    await fc.assert(
      fc.asyncProperty(fc.array(container, { minLength: 1, maxLength: 20 }), async (xs) => {
        const got = await roundTrip('param:json', xs);
        xs.forEach((x, i) => {
          expect(got[i], `[${i}]`).toEqual(JSON.parse(JSON.stringify(x ?? null)));
        });
      }),
      RUNS,
    );
  });

  it('strings through text: lone surrogates become U+FFFD, a NUL ends the text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            anyString,
            anyString.map((s) => `${s}\0${s}`),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        async (xs) => {
          const want = xs.map((s) => noLoneSurrogates(s.split('\0')[0]!));
          expect(await roundTrip('param:text', xs)).toEqual(want);
          expect(await roundTrip('return:text', xs)).toEqual(want);
        },
      ),
      RUNS,
    );
  });

  it('float8 is exact, -0, NaN and the infinities included; float8[] too', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edgeNumber, { minLength: 1, maxLength: 30 }), async (xs) => {
        for (const kind of ['param:float8', 'return:float8']) {
          const got = await roundTrip(kind, xs);
          xs.forEach((x, i) => {
            expect(Object.is(got[i], x), `${kind} ${x} -> ${got[i]}`).toBe(true);
          });
        }
        const [arr] = await roundTrip('return:float8[]', [xs]);
        xs.forEach((x, i) => {
          expect(Object.is((arr as number[])[i], x), `float8[] ${x}`).toBe(true);
        });
      }),
      RUNS,
    );
  });

  it('numeric keeps 15 significant digits (float8_numeric); NaN and infinities survive', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edgeNumber, { minLength: 1, maxLength: 30 }), async (xs) => {
        for (const kind of ['param:numeric', 'return:numeric']) {
          const got = await roundTrip(kind, xs);
          xs.forEach((x, i) => {
            checkNumeric(got[i], x, `${kind} ${x}`);
          });
        }
      }),
      RUNS,
    );
  });

  it('numbers into numeric and jsonb are exactly what PostgreSQL float8_numeric makes of them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edgeNumber, { minLength: 1, maxLength: 30 }), async (xs) => {
        const got = await roundTrip('same:numeric', xs);
        expect(got).toEqual(xs.map(() => true));
      }),
      RUNS,
    );
  });

  it('int4: in range exact (fractions toward zero), out of range a 22003 error, never a wrapped value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edgeNumber, { minLength: 1, maxLength: 30 }), async (xs) => {
        for (const kind of ['param:int4', 'return:int4']) {
          const got = await roundTrip(kind, xs);
          xs.forEach((x, i) => {
            if (x > -(2 ** 31) - 1 && x < 2 ** 31)
              expect(got[i], `${kind} ${x}`).toBe(Math.trunc(x) || 0);
            // otherwise String(x) goes to int4's input, which reads the leading digits first:
            // out of range there is 22003, anything else that is no integer 22P02
            else {
              const lead = /^-?\d+/.exec(String(x))?.[0];
              const big =
                lead !== undefined &&
                (BigInt(lead) > 2n ** 31n - 1n || BigInt(lead) < -(2n ** 31n));
              expect(got[i], `${kind} ${x}`).toEqual({ error: big ? '22003' : '22P02' });
            }
          });
        }
      }),
      RUNS,
    );
  });

  it('int8 from BigInt beyond its range is a 22003 error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.bigInt({ min: 2n ** 63n, max: 2n ** 80n }),
            fc.bigInt({ min: -(2n ** 80n), max: -(2n ** 63n) - 1n }),
          ),
          {
            minLength: 1,
            maxLength: 10,
          },
        ),
        async (xs) => {
          const got = await roundTrip('return:int8', xs);
          expect(got).toEqual(xs.map(() => ({ error: '22003' })));
        },
      ),
      RUNS,
    );
  });

  it('int4[] with nulls round-trips exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 20 }), {
          minLength: 1,
          maxLength: 10,
        }),
        async (xs) => {
          expect(await roundTrip('param:int4[]', xs)).toEqual(xs);
          expect(await roundTrip('return:int4[]', xs)).toEqual(xs);
        },
      ),
      RUNS,
    );
  });
});
