/**
 * Issue 12, reliability: identifiers and strings PostgreSQL rejects (D6), the
 * statement limit in time proportional to the limit, fuzzing of the lexer and
 * the parser, and the model version.
 */
import fc from 'fast-check';
import { loadModule, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  countStatements,
  MODEL_VERSION,
  parseScript,
  quoteIdent,
  splitStatements,
  tokenize,
} from '../../src/detector/index.js';

beforeAll(async () => {
  await loadModule();
});

const lexical = (sql: string) =>
  parseScript(sql)
    .warnings.filter((w) => w.lexical)
    .map((w) => w.message);

/** Every name and text parseScript yields, as JSON (what the registry stores as jsonb). */
const json = (sql: string) => JSON.stringify(parseScript(sql));
const NUL = String.fromCharCode(0);
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('D6: what PostgreSQL rejects is a lexical error, and no name ever holds a NUL or a lone surrogate', () => {
  const rejected: [string, string][] = [
    ['U&"a\\0000b"', 'invalid Unicode escape value'],
    ['U&"\\D800"', 'invalid Unicode surrogate pair'],
    ['U&"\\DC00x"', 'invalid Unicode surrogate pair'],
    ['U&"\\D83D\\0041"', 'invalid Unicode surrogate pair'],
    ['U&"\\+110000"', 'invalid Unicode escape value'],
    ['U&"\\12"', 'invalid Unicode escape'],
    ['U&"a!0000b" UESCAPE \'!\'', 'invalid Unicode escape value'],
    ['U&"ab" UESCAPE \'+\'', 'invalid Unicode escape character'],
    ['U&"ab" UESCAPE \'a\'', 'invalid Unicode escape character'],
    ["U&'\\0000'", 'invalid Unicode escape value'],
    ["E'\\u0000'", 'invalid Unicode escape value'],
    ["E'\\uD800'", 'invalid Unicode surrogate pair'],
    ["E'\\u12'", 'invalid Unicode escape'],
    ["E'\\000'", 'invalid byte sequence for encoding "UTF8"'],
    ["E'\\x00'", 'invalid byte sequence for encoding "UTF8"'],
    ["E'\\xC3'", 'invalid byte sequence for encoding "UTF8"'],
    ["E'\\xC3\\x28'", 'invalid byte sequence for encoding "UTF8"'],
    ['""', 'zero-length delimited identifier'],
    ['U&""', 'zero-length delimited identifier'],
  ];
  for (const [lit, message] of rejected) {
    it(`rejects ${lit}`, () => {
      const sql = `CREATE TABLE t (c int); SELECT ${lit} FROM t; DROP TABLE ${lit.startsWith('U&"') || lit.startsWith('"') ? lit : 'x'}`;
      expect(lexical(sql)[0]).toMatch(message);
      // no string anywhere in the result holds a NUL or a lone surrogate
      const strings: string[] = [];
      JSON.parse(json(sql), (_k, v) => {
        if (typeof v === 'string') strings.push(v);
        return v;
      });
      const all = strings.join('');
      expect(all.includes(NUL)).toBe(false);
      expect(LONE.test(all)).toBe(false);
    });
  }

  it('PostgreSQL rejects them too (libpg-query runs its scanner)', () => {
    for (const [lit] of rejected) {
      if (lit.startsWith('E')) continue; // UTF-8 validation happens after the scanner in libpg-query
      expect(() => parseSync(`SELECT ${lit}`), lit).toThrow();
    }
  });

  it('accepts and decodes what PostgreSQL accepts', () => {
    const v = (lit: string) => tokenize(lit).find((t) => t.type !== 'space')?.value;
    expect(v('U&"d\\0061t\\+000061"')).toBe('data');
    expect(v('U&"\\D83D\\DE00"')).toBe('😀');
    expect(v('U&"a!!b" UESCAPE \'!\'')).toBe('a!b');
    expect(v("E'\\xC3\\xA9'")).toBe('é');
    expect(v("E'\\303\\251'")).toBe('é');
    expect(v("E'\\uD83D\\uDE00'")).toBe('😀');
    expect(v("E'\\U0001F600'")).toBe('😀');
    expect(lexical('SELECT U&"d\\0061t\\+000061", E\'\\xC3\\xA9\\n\'')).toEqual([]);
  });

  it('a raw NUL or lone surrogate in the input is a lexical error, and never reaches a name', () => {
    for (const bad of [
      `CREATE TABLE "a${NUL}b" (id int)`,
      'CREATE TABLE "a\ud800b" (id int)',
      'CREATE TABLE a\udc00 (id int)',
    ]) {
      const r = parseScript(bad);
      expect(r.warnings.some((w) => w.lexical)).toBe(true);
      const names = r.objects.map((o) => o.name).join('');
      expect(names.includes(NUL)).toBe(false);
      expect(LONE.test(names)).toBe(false);
      expect(LONE.test(r.statements.map((s) => s.text).join(''))).toBe(false);
    }
  });

  it('never yields a NUL or a lone surrogate, whatever the escapes (property)', () => {
    const hex = (cp: number, n: number) => cp.toString(16).padStart(n, '0');
    const unicode = fc.oneof(
      fc
        .integer({ min: 0, max: 0xffff })
        .map((cp) => ({ u: `\\${hex(cp, 4)}`, e: `\\u${hex(cp, 4)}` })),
      fc
        .integer({ min: 0, max: 0x11ffff })
        .map((cp) => ({ u: `\\+${hex(cp, 6)}`, e: `\\U${hex(cp, 8)}` })),
      fc.integer({ min: 0, max: 255 }).map((b) => ({ u: 'x', e: `\\x${hex(b, 2)}` })),
      fc.constantFrom(
        { u: 'a', e: 'a' },
        { u: 'é', e: 'é' },
        { u: '\\\\', e: '\\\\' },
        { u: '\\', e: '\\q' },
      ),
    );
    fc.assert(
      fc.property(fc.array(unicode, { minLength: 1, maxLength: 6 }), (parts) => {
        const u = parts.map((p) => p.u).join('');
        const e = parts.map((p) => p.e).join('');
        const sql = `CREATE TABLE U&"${u}" (id int); SELECT U&'${u}', E'${e}'; DROP TABLE U&"${u}"`;
        const out = JSON.parse(json(sql));
        const names = out.objects
          .map((o: { name: string; qualified: string }) => o.name + o.qualified)
          .join('');
        expect(names.includes(NUL)).toBe(false);
        expect(LONE.test(names)).toBe(false);
      }),
      { seed: 12, numRuns: 2000 },
    );
  });
});

describe('the statement limit', () => {
  const many = 'ALTER TABLE t ADD c int;\n'.repeat(111_111);

  it('maxStatements stops at the limit and says so, in time proportional to the limit', () => {
    parseScript(many.slice(0, 200_000)); // warm the parser up: compare warm code with warm code
    let limited = Number.POSITIVE_INFINITY;
    let r = parseScript('');
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      r = parseScript(many, { maxStatements: 5000 });
      limited = Math.min(limited, performance.now() - t0);
    }
    expect(r.truncated).toBe(true);
    expect(r.statements).toHaveLength(5000);
    expect(r.warnings.at(-1)?.message).toBe(
      'more than 5000 statements: parsing stopped at statement 5001',
    );
    const t1 = performance.now();
    const full = parseScript(many);
    const whole = performance.now() - t1;
    expect(full.statements).toHaveLength(111_111);
    expect(full.truncated).toBeUndefined();
    // 5,000 of 111,111 statements: far less than the whole (generous for a loaded machine)
    expect(limited).toBeLessThan(whole / 4);
  }, 60_000);

  it('a script of exactly the limit is not truncated; the limit counts across a list of scripts', () => {
    expect(parseScript('SELECT 1; SELECT 2', { maxStatements: 2 }).truncated).toBeUndefined();
    const r = parseScript(['SELECT 1; SELECT 2', 'SELECT 3'], { maxStatements: 2 });
    expect(r.truncated).toBe(true);
    expect(r.statements.map((s) => s.text)).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('countStatements counts up to limit + 1, cheaply, as the splitter splits', () => {
    expect(countStatements(many, 5000)).toBe(5001);
    expect(
      countStatements(
        'SELECT 1; CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3',
        10,
      ),
    ).toBe(3);
    expect(countStatements(['SELECT 1', 'SELECT 2; SELECT 3'])).toBe(3);
    const t0 = performance.now();
    countStatements(many, 100);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('fuzzing', () => {
  const noise = fc.stringMatching(/^[\s\S]{0,200}$/);
  const sqlish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'CREATE ',
          'TABLE ',
          'INDEX ',
          'ON ',
          '(',
          ')',
          ',',
          ';',
          "'",
          '"',
          '$$',
          '$a$',
          '/*',
          '*/',
          '--',
          '\n',
          'BEGIN ATOMIC ',
          'END',
          'CASE ',
          'DO ',
          'LANGUAGE plpgsql ',
          'U&"',
          "E'",
          '\\',
          'SELECT ',
          'FROM ',
          'WITH ',
          'AS ',
          'INTO ',
          'PARTITION OF ',
          'REFERENCES ',
          'CHECK ',
          'UNIQUE ',
          'PRIMARY KEY ',
          'x ',
          'y ',
        ),
        fc.string({ maxLength: 5 }),
      ),
      { maxLength: 60 },
    )
    .map((xs) => xs.join(''));

  it('the lexer and the parser never throw, and parse results are plain JSON (property)', () => {
    fc.assert(
      fc.property(fc.oneof(noise, sqlish), (s) => {
        const toks = tokenize(s);
        expect(toks.map((t) => t.text).join('')).toBe(s);
        const r = parseScript(s);
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      }),
      { seed: 1212, numRuns: 3000 },
    );
  }, 60_000);

  it('bounded time on adversarial input: 200 KB of nesting, quotes, bodies and names stays under a second', () => {
    const K = 200 * 1024;
    for (const input of [
      `DO $$ BEGIN ${'IF x THEN '.repeat(K / 10)} $$`,
      `CREATE VIEW v AS SELECT ${'(SELECT a FROM t '.repeat(K / 18)}`,
      `CREATE TABLE t (${'a int CHECK (a > 0), '.repeat(K / 22)}b int)`,
      `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ ${'BEGIN SELECT 1; '.repeat(K / 16)} $$`,
      `SELECT ${"U&'\\0041' , ".repeat(K / 12)}1`,
      `ALTER TABLE t ${'ADD UNIQUE (a), '.repeat(K / 16)}ADD CHECK (a > 0)`,
    ]) {
      const t0 = performance.now();
      parseScript(input);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  }, 60_000);

  it('splitting agrees with libpg-query on generated scripts (property)', () => {
    const stmt = fc.constantFrom(
      "CREATE TABLE a (id int DEFAULT 1, t text DEFAULT ';')",
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END',
      "DO $$ BEGIN RAISE NOTICE ';'; END $$",
      "SELECT 'a;b', $x$;$x$, E'\\';', U&'\\0041;'",
      'SELECT 1 /* ; /* nested ; */ ; */',
      "COMMENT ON TABLE a IS 'x;y'",
      'CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO a VALUES (1); END',
    );
    fc.assert(
      fc.property(
        fc.array(stmt, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(';', ';\n', ' ;\n-- c\n'),
        (xs, sep) => {
          const sql = xs.join(sep);
          const pg = parseSync(sql).stmts?.length ?? 0;
          expect(splitStatements(sql).length).toBe(pg);
          expect(countStatements(sql)).toBe(pg);
        },
      ),
      { seed: 1213, numRuns: 500 },
    );
  });

  it('names round-trip through quoting: quoteIdent(name) reads back as name (property)', () => {
    const name = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((s) => !s.includes(NUL) && !LONE.test(s) && new TextEncoder().encode(s).length <= 63);
    fc.assert(
      fc.property(name, fc.constantFrom('public', 'App', 'sc hema', 'select'), (n, schema) => {
        const r = parseScript(`DROP TABLE ${quoteIdent(schema)}.${quoteIdent(n)}`);
        expect(r.warnings).toEqual([]);
        expect(r.objects[0]?.name).toBe(n);
        expect(r.objects[0]?.schema).toBe(schema);
        // and the qualified name itself reads back to the same object
        expect(parseScript(`DROP TABLE ${r.objects[0]?.qualified}`).objects[0]?.qualified).toBe(
          r.objects[0]?.qualified,
        );
      }),
      { seed: 1214, numRuns: 2000 },
    );
  });
});

describe('MODEL_VERSION', () => {
  it('is an integer, at least 2 (this model: implicit objects, PostgreSQL names, read columns)', () => {
    expect(Number.isInteger(MODEL_VERSION)).toBe(true);
    expect(MODEL_VERSION).toBeGreaterThanOrEqual(2);
  });
});
