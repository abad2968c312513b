/**
 * The lexer and statement splitter: PostgreSQL's lexical rules, positions,
 * round-tripping, robustness and linear time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScript, splitStatements, type Token, tokenize } from '../../src/detector/index.js';
import { lex } from '../../src/detector/lexer.js';

const sig = (sql: string) =>
  tokenize(sql)
    .filter((t) => t.type !== 'space' && t.type !== 'comment' && t.type !== 'meta')
    .map((t) => [t.type, t.value ?? t.text]);

describe('tokenize', () => {
  it('folds unquoted identifiers (ASCII only) and keeps quoted ones exact', () => {
    expect(sig('SELECT Users, "Users", "a""b", ÄBC')).toEqual([
      ['ident', 'select'],
      ['ident', 'users'],
      ['punct', ','],
      ['qident', 'Users'],
      ['punct', ','],
      ['qident', 'a"b'],
      ['punct', ','],
      ['ident', 'Äbc'],
    ]);
  });

  it('decodes U&"..." identifiers, with UESCAPE', () => {
    expect(sig('U&"d\\0061t\\+000061"')[0]).toEqual(['qident', 'data']);
    expect(sig('U&"d!0061t!+000061" UESCAPE \'!\'')[0]).toEqual(['qident', 'data']);
    expect(sig("U&'\\0041'")[0]).toEqual(['string', 'A']);
  });

  it('reads every string form', () => {
    expect(sig("'it''s'")).toEqual([['string', "it's"]]);
    expect(sig("E'a\\'b\\n\\\\'")).toEqual([['string', "a'b\n\\"]]);
    expect(sig("e'x''y'")).toEqual([['string', "x'y"]]);
    expect(sig("B'0101' X'ff' N'nat'")).toEqual([
      ['string', '0101'],
      ['string', 'ff'],
      ['string', 'nat'],
    ]);
    // standard strings keep backslashes: the quote after \ ends the string
    expect(sig("'a\\' , 1")).toEqual([
      ['string', 'a\\'],
      ['punct', ','],
      ['number', '1'],
    ]);
  });

  it('with standard_conforming_strings off, reads a backslash in a plain literal as an escape', () => {
    const off = (sql: string) =>
      lex(sql, false, { standardStrings: false }).map((t) => [t.type, t.value ?? t.text, t.error]);
    expect(off("'it\\'s; one' , N'a\\nb'")).toEqual([
      ['string', "it's; one", undefined],
      ['punct', ',', undefined],
      ['string', 'a\nb', undefined],
    ]);
    // '' still quotes; E'', B'', X'' and dollar quotes read as always
    expect(off("'x''y' E'\\t' B'01' X'f' $$a\\'$$")).toEqual([
      ['string', "x'y", undefined],
      ['string', '\t', undefined],
      ['string', '01', undefined],
      ['string', 'f', undefined],
      ['dollar', "a\\'", undefined],
    ]);
    // PostgreSQL refuses U&'' then
    expect(off("U&'d\\0061'")[0]?.[2]).toBe('unsafe use of string constant with Unicode escapes');
    // from an offset: the tokens after it, as if the text began there
    const sql = "SET x = 1; SELECT 'a\\'b'";
    expect(
      lex(sql, false, { standardStrings: false, from: sql.indexOf(';') }).map((t) => t.text),
    ).toEqual([';', 'SELECT', "'a\\'b'"]);
  });

  it('follows the dollar-quote tag rules of the PostgreSQL scanner', () => {
    expect(sig('$$a;b$$')).toEqual([['dollar', 'a;b']]);
    expect(sig('$body$ x $$ y $body$')).toEqual([['dollar', ' x $$ y ']]);
    expect(sig('$1 + $22')).toEqual([
      ['param', '$1'],
      ['op', '+'],
      ['param', '$22'],
    ]);
    // `$` after an identifier character is part of the identifier, not a quote
    expect(sig('a$b$ c')).toEqual([
      ['ident', 'a$b$'],
      ['ident', 'c'],
    ]);
    // tags cannot start with a digit
    expect(sig('$1a$')[0]).toEqual(['param', '$1']);
  });

  it('skips -- and nested /* */ comments and psql meta-command lines', () => {
    const sql = '/* a /* b; */ c; */ SELECT 1 -- x; y\n\\connect db\n  \\set x 1\n;';
    expect(sig(sql)).toEqual([
      ['ident', 'select'],
      ['number', '1'],
      ['punct', ';'],
    ]);
    expect(tokenize(sql).filter((t) => t.type === 'meta')).toHaveLength(2);
    // a backslash inside a line is not a meta-command
    expect(tokenize('SELECT 1 \\ 2').some((t) => t.type === 'meta')).toBe(false);
  });

  it('reads numbers, operators and punctuation', () => {
    expect(sig('1.5e3 .5 0x1F 1_000 a::text >= <> || :=')).toEqual([
      ['number', '1.5e3'],
      ['number', '.5'],
      ['number', '0x1F'],
      ['number', '1_000'],
      ['ident', 'a'],
      ['punct', '::'],
      ['ident', 'text'],
      ['op', '>='],
      ['op', '<>'],
      ['op', '||'],
      ['punct', ':='],
    ]);
    // an operator run stops before a comment
    expect(sig('a =-- c\n1')).toEqual([
      ['ident', 'a'],
      ['op', '='],
      ['number', '1'],
    ]);
  });

  it('marks unterminated quotes, identifiers, comments and dollar bodies and runs them to the end', () => {
    for (const sql of [
      "SELECT 'abc",
      'SELECT "abc',
      'SELECT /* a /* b */',
      'SELECT $x$ abc',
      "E'abc\\'",
    ]) {
      const toks = tokenize(sql);
      const last = toks[toks.length - 1] as Token;
      expect(last.unterminated).toBe(true);
      expect(last.end).toBe(sql.length);
    }
    const r = parseScript("ALTER TABLE t ADD COLUMN c text DEFAULT 'oops");
    expect(r.warnings.map((w) => w.message)).toEqual(['unterminated string starting at offset 40']);
  });

  it('keeps offsets: every token text is input.slice(start, end)', () => {
    const sql = 'CREATE TABLE "T" (a int); -- c\nSELECT E\'x\', $$y$$;';
    for (const t of tokenize(sql)) expect(sql.slice(t.start, t.end)).toBe(t.text);
  });
});

describe('splitStatements', () => {
  it('splits on top-level semicolons only', () => {
    const sql = [
      "INSERT INTO t VALUES ('a;b', E'c\\';d', $$e;f$$, $x$ ; $x$)",
      'CREATE TABLE "x;y" (id int) -- ;\n /* ; */',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END',
      'BEGIN',
      'COMMIT',
    ].join(';\n');
    const parts = splitStatements(`${sql};`);
    expect(parts.map((p) => p.text.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'INSERT INTO',
      'CREATE TABLE',
      'CREATE FUNCTION',
      'BEGIN',
      'COMMIT',
    ]);
    for (const p of parts) expect(`${sql};`.slice(p.start, p.end)).toBe(p.text);
    expect(parts[2]?.text.endsWith('END')).toBe(true);
  });

  it('trims whitespace and comments and drops empty statements', () => {
    expect(splitStatements(' ;; -- only a comment\n ; /* x */ SELECT 1 ;  ')).toEqual([
      { text: 'SELECT 1', start: 33, end: 41 },
    ]);
  });

  it('treats Drizzle breakpoints as comments', () => {
    const sql = 'CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);';
    expect(splitStatements(sql).map((s) => s.text)).toEqual([
      'CREATE TABLE a (id int)',
      'CREATE TABLE b (id int)',
    ]);
  });
});

const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        "'",
        '"',
        '$',
        '$$',
        '$a$',
        '/*',
        '*/',
        '--',
        '\n',
        '\\',
        "E'",
        'U&"',
        "U&'",
        '(',
        ')',
        ';',
        'BEGIN ATOMIC',
        'END',
        'CASE',
        'CREATE',
        'TABLE',
        'ALTER',
        'x',
        ' ',
        '\u0000',
        '\ud800',
        '\udc00',
        '😀',
        ',',
        '.',
        '1',
        '::',
        'UESCAPE',
      ),
      { maxLength: 80 },
    )
    .map((xs) => xs.join('')),
);

describe('properties', () => {
  it('never throws, and token texts concatenate back to the input', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const toks = tokenize(s);
        expect(toks.map((t) => t.text).join('')).toBe(s);
        let pos = 0;
        for (const t of toks) {
          expect(t.start).toBe(pos);
          expect(t.end).toBeGreaterThan(t.start);
          pos = t.end;
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('parseScript and splitStatements never throw', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const r = parseScript(s);
        expect(Array.isArray(r.objects)).toBe(true);
        for (const p of splitStatements(s)) expect(s.slice(p.start, p.end)).toBe(p.text);
      }),
      { seed: 8, numRuns: 2000 },
    );
  });

  it('parseScript never throws on statement-shaped noise', () => {
    const words = fc.constantFrom(
      'CREATE',
      'ALTER',
      'DROP',
      'TABLE',
      'INDEX',
      'ON',
      'ADD',
      'COLUMN',
      'CONSTRAINT',
      'FOREIGN',
      'KEY',
      'REFERENCES',
      'FUNCTION',
      'TRIGGER',
      'VIEW',
      'AS',
      'SELECT',
      'FROM',
      'JOIN',
      'WITH',
      '(',
      ')',
      ',',
      '.',
      'x',
      '"Y"',
      'IF',
      'NOT',
      'EXISTS',
      'RENAME',
      'TO',
      'COMMENT',
      'IS',
      'GRANT',
      'TYPE',
      'EXECUTE',
      'USING',
      '*',
      '=',
      "'s'",
      '$$b$$',
      'ONLY',
      'OR',
      'REPLACE',
      'MATERIALIZED',
      'POLICY',
      'SCHEMA',
    );
    fc.assert(
      fc.property(fc.array(words, { maxLength: 40 }), (ws) => {
        parseScript(ws.join(' '));
      }),
      { seed: 9, numRuns: 3000 },
    );
  });
});

describe('linear time on 1 MB of adversarial input', () => {
  // Quadratic behaviour on 1 MB would take minutes; the bound is generous so that
  // a loaded CI machine never flakes. Real speed is measured by the benchmarks.
  const MB = 1 << 20;
  const BOUND_MS = 5000;
  const cases: [string, string][] = [
    ['unterminated quote and many quotes', `${"'',".repeat(MB / 6)} SELECT '${'x'.repeat(MB / 2)}`],
    [
      'nested comments and parentheses',
      `${'/*'.repeat(MB / 8)}${'*/'.repeat(MB / 8)} SELECT ${'('.repeat(MB / 4)}${')'.repeat(MB / 4)}`,
    ],
    [
      'nested subqueries',
      `CREATE VIEW v AS ${'(SELECT * FROM '.repeat(MB / 16)}t${')'.repeat(MB / 16)}`,
    ],
    [
      'dollar signs, tags and params',
      `${'$'.repeat(MB / 3)} ${'$a$ $b'.repeat(MB / 18)} ${'$1$'.repeat(MB / 9)}`,
    ],
    [
      'many statements and a long ALTER TABLE',
      `${'ALTER TABLE t ADD c int;'.repeat(MB / 48)} ALTER TABLE t ${'ADD COLUMN c int, '.repeat(MB / 36)}ADD d int`,
    ],
    [
      'unterminated BEGIN ATOMIC and name chains',
      `CREATE TABLE ${'a.'.repeat(MB / 4)}b (id int); CREATE FUNCTION f() BEGIN ATOMIC ${'CASE '.repeat(MB / 10)}`,
    ],
  ];
  for (const [label, input] of cases) {
    it(label, () => {
      expect(input.length).toBeGreaterThan(MB * 0.9);
      const t0 = performance.now();
      const r = parseScript(input);
      const ms = performance.now() - t0;
      expect(r.statements.length).toBeGreaterThan(0);
      expect(ms).toBeLessThan(BOUND_MS);
    });
  }
});

describe('COPY ... FROM STDIN data (pg_dump)', () => {
  const dump = [
    'COPY public.users (id, email) FROM stdin;',
    '1\tann@example.com; DROP TABLE users',
    "2\tbob's \\N",
    '\\.',
    'ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);',
  ].join('\n');

  it('skips the data lines up to \\. and resumes SQL after them', () => {
    const r = parseScript(dump);
    expect(r.statements.map((s) => s.kind)).toEqual(['COPY', 'ALTER TABLE']);
    expect(r.objects.some((o) => o.qualified === 'public.users.users_pkey')).toBe(true);
    expect(r.warnings.map((w) => w.message)).toEqual(['statement 1: COPY is not analysed']);
  });

  it('keeps the data as one trivia token, and the round trip exact', () => {
    const tokens = tokenize(dump);
    expect(tokens.map((t) => t.text).join('')).toBe(dump);
    const data = tokens.filter((t) => t.type === 'copydata');
    expect(data).toHaveLength(1);
    expect(data[0]?.text).toContain('DROP TABLE users');
  });

  it('data without a terminator runs to the end; COPY ... TO STDOUT has none', () => {
    expect(parseScript('COPY t FROM STDIN;\n1\n2').statements).toHaveLength(1);
    const out = parseScript('COPY t TO stdout;\nCREATE TABLE after_copy (id int);');
    expect(out.statements.map((s) => s.kind)).toEqual(['COPY', 'CREATE TABLE']);
  });
});
