/**
 * A corpus of hostile input across every SQL function: each case ends in the
 * documented SQLSTATE it names (README, "Errors"), or in success, and nothing
 * else; no case writes anything when it fails; afterwards every invariant
 * holds. The same for every CLI command: cli-hostile.test.ts.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counts, register } from '../registry/helpers.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { brokenInvariants } from '../support/invariants.js';
import { DOCUMENTED } from './sqlstates.js';

interface Case {
  name: string;
  sql: string;
  params: unknown[];
  /** A SQLSTATE, or 'ok' (or several, for generated input). */
  expect: string | string[];
}

let db: TestDatabase;
let intentA: string;
let intentB: string;
let conflictId: number;
let resolvedId: number;
let merged: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const a = await register(db.pool, 'h-a', 'hostile base', 'ALTER TABLE h_t ADD COLUMN a int');
  const b = await register(db.pool, 'h-b', 'hostile other', 'ALTER TABLE h_t ADD COLUMN a int');
  intentA = a.intent.id;
  intentB = b.intent.id;
  // the column error stays open (it holds b back); the table warning is resolved
  conflictId = b.conflicts.find((c) => c.severity === 'error')!.id;
  resolvedId = b.conflicts.find((c) => c.severity === 'warning')!.id;
  await db.query("SELECT pggit_resolve_conflict($1, 'done')", [resolvedId]);
  const m = await register(db.pool, 'h-m', 'hostile merged', 'CREATE TABLE h_m (id int)');
  merged = m.intent.id;
  for (const to of ['in_progress', 'completed', 'merged']) {
    await db.query(`SELECT pggit_mark_${to}($1)`, [merged]);
  }
});
afterAll(async () => {
  await db?.close();
});

const long = (n: number, ch = 'x') => ch.repeat(n);
const BAD_TEXT: [string, unknown, string][] = [
  ['NULL', null, '22023'],
  ['empty', '', '22023'],
  ['blank', '   \t\n', '22023'],
  ['201 characters', long(201), '22023'],
  ['201 emoji (402 UTF-16 units)', long(201, '😀'), '22023'],
  ['a NUL byte', 'a\u0000b', '22021'],
];
const OK_TEXT: [string, unknown][] = [
  ['200 emoji', long(200, '😀')],
  ['SQL in a name', "robert'); DROP TABLE pggit.tb_pggit_intent; --"],
  ['right-to-left and combining marks', 'ا\u200fé\u0301'],
  ['a newline inside', 'two\nlines'],
];

function registerCall(args: Partial<Record<string, unknown>>) {
  const all = {
    agent_id: 'h-agent',
    feature_name: `hostile feature ${Math.random()}`,
    schema_changes: 'ALTER TABLE h_x ADD COLUMN y int',
    ...args,
  };
  const names = Object.keys(all);
  const types: Record<string, string> = {
    tables_affected: 'text[]',
    estimated_duration_ms: 'int',
    metadata: 'jsonb',
    lease_seconds: 'int',
  };
  return {
    sql: `SELECT pggit_register(${names.map((n, i) => `${n} => $${i + 1}::${types[n] ?? 'text'}`).join(', ')})`,
    params: Object.values(all),
  };
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (name: string, sql: string, params: unknown[], expect: string | string[]) =>
    out.push({ name, sql, params, expect });

  // --- pggit_register and pggit_check: every argument
  for (const fn of ['register', 'check'] as const) {
    const call = (args: Record<string, unknown>) => {
      const c = registerCall(args);
      if (fn === 'check') {
        delete args.metadata;
        const x = registerCall(args);
        return { sql: x.sql.replace('pggit_register', 'pggit_check'), params: x.params };
      }
      return c;
    };
    for (const field of ['agent_id', 'feature_name']) {
      for (const [label, value, code] of BAD_TEXT) {
        const c = call({ [field]: value });
        add(`${fn}: ${field} ${label}`, c.sql, c.params, code);
      }
      for (const [label, value] of OK_TEXT) {
        const c = call({ [field]: value });
        add(`${fn}: ${field} ${label}`, c.sql, c.params, 'ok');
      }
    }
    const scripts: [string, string, string][] = [
      ['NULL', null as unknown as string, '22023'],
      ['empty', '', '22023'],
      ['only a comment', '-- nothing here', '22023'],
      ['only semicolons', ';;;;', '22023'],
      ['an unterminated quote', "ALTER TABLE t ADD c text DEFAULT 'oops", '22023'],
      ['an unterminated dollar body', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1', '22023'],
      ['an unterminated comment', 'ALTER TABLE t ADD c int /* never closed', '22023'],
      ['an unterminated quoted identifier', 'ALTER TABLE "t ADD c int', '22023'],
      ['1,000,001 characters', `-- ${long(999_998)}`, '22023'],
      ['5,001 statements', 'SELECT 1;'.repeat(5001), '22023'],
      ['111,111 statements', 'SELECT 1;'.repeat(111_111), '22023'],
      ['a NUL byte', 'ALTER TABLE t ADD c int;\u0000', '22021'],
      ['10,000 nested parentheses', `SELECT ${'('.repeat(10_000)}1${')'.repeat(10_000)}`, 'ok'],
      ['random bytes as text', 'ÿþ\u0001\u0002\u0003 TABLE ; ; ALTER', 'ok'],
      ['an unknown statement kind', 'VACUUM FULL h_t', 'ok'],
      ['a Prisma migration', 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n-- AlterTable', 'ok'],
      ['a statement with a U& identifier', 'ALTER TABLE U&"d\\0061t\\+000061" ADD c int', 'ok'],
      ['a U& identifier with a NUL escape', 'ALTER TABLE U&"a\\0000b" ADD c int', '22023'],
      ['a U& identifier with a lone surrogate', 'ALTER TABLE U&"\\D800" ADD c int', '22023'],
      ['an E string with a NUL escape', "ALTER TABLE t ADD c text DEFAULT E'a\\u0000b'", '22023'],
      [
        'SQL injection in the script',
        "ALTER TABLE t ADD c int'; DROP TABLE pggit.tb_pggit_intent; --",
        '22023',
      ],
    ];
    for (const [label, script, code] of scripts) {
      const c = call({ schema_changes: script });
      add(`${fn}: schema_changes ${label}`, c.sql, c.params, code);
    }
    const tables: [string, unknown, string][] = [
      ['1,001 entries', Array.from({ length: 1001 }, (_, i) => `t${i}`), '22023'],
      ['an empty entry', ['users', ''], '22023'],
      ['a NULL entry', ['users', null], '22023'],
      ['an entry of 201 characters', [long(201)], '22023'],
      ['quoted and qualified names', ['"Users"', 'public.orders', 'a.b.c'], 'ok'],
      ['1,000 entries', Array.from({ length: 1000 }, (_, i) => `t${i}`), 'ok'],
    ];
    for (const [label, value, code] of tables) {
      const c = call({ tables_affected: value });
      add(`${fn}: tables_affected ${label}`, c.sql, c.params, code);
    }
  }
  const reg = (name: string, args: Record<string, unknown>, code: string) => {
    const c = registerCall(args);
    add(`register: ${name}`, c.sql, c.params, code);
  };
  reg('estimated_duration_ms -1', { estimated_duration_ms: -1 }, '22023');
  reg('estimated_duration_ms 2^31', { estimated_duration_ms: 2 ** 31 }, '22003');
  reg('estimated_duration_ms not a number', { estimated_duration_ms: 'soon' }, '22P02');
  reg('estimated_duration_ms 0', { estimated_duration_ms: 0 }, 'ok');
  for (const risk of ['extreme', '', 'LOW', ' low', null]) {
    reg(`risk_level ${JSON.stringify(risk)}`, { risk_level: risk }, '22023');
  }
  for (const risk of ['low', 'medium', 'high'])
    reg(`risk_level ${risk}`, { risk_level: risk }, 'ok');
  const metas: [string, string | null, string][] = [
    ['an array', '[]', '22023'],
    ['a string', '"text"', '22023'],
    ['a number', '1', '22023'],
    ['JSON null', 'null', '22023'],
    ['not JSON', '{oops', '22P02'],
    ['65,537 characters', JSON.stringify({ k: long(65_528) }), '22023'],
    ['5,000 levels deep', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`, 'ok'],
    [
      '10,000 levels deep (70,001 characters as jsonb text)',
      `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
      '22023',
    ],
    ['1,000,000 levels deep', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, '54001'],
    ['a 30-digit number', '{"n": 123456789012345678901234567890}', 'ok'],
    ['1e400', '{"n": 1e400}', 'ok'],
    ['a NUL escape', '{"s": "a\\u0000b"}', '22P05'],
    ['NULL (the default)', null, 'ok'],
    ['nested objects and arrays', '{"a": [1, {"b": [true, null]}], "é": "x"}', 'ok'],
  ];
  for (const [label, value, code] of metas) reg(`metadata ${label}`, { metadata: value }, code);

  // --- the readers and writers that name an intent
  const ids: [string, () => unknown, string][] = [
    ['NULL', () => null, '22023'],
    ['empty', () => '', 'P0002'],
    ['an unknown UUID', () => '00000000-0000-4000-8000-000000000000', 'P0002'],
    ['not an id', () => 'not-an-id', 'P0002'],
    ['a 3-character prefix', () => intentA.slice(0, 3), 'P0002'],
    ['10,000 characters', () => long(10_000, 'a'), 'P0002'],
    ['SQL injection', () => "' OR 1=1; --", 'P0002'],
    ['a LIKE pattern', () => '%', 'P0002'],
    ['a NUL byte', () => 'ab\u0000cd', '22021'],
    ['its upper case', () => intentA.toUpperCase(), 'ok'],
    ['an 8-character prefix', () => intentA.slice(0, 8), 'ok'],
    ['with spaces around it', () => ` ${intentA} `, 'ok'],
  ];
  for (const fn of ['pggit_get_conflicts', 'pggit_history']) {
    for (const [label, id, code] of ids) add(`${fn}: ${label}`, `SELECT ${fn}($1)`, [id], code);
  }
  for (const [label, id, code] of ids) {
    // get_intent answers NULL for what does not exist, and NULL for NULL
    const c = code === 'P0002' ? 'ok' : label === 'NULL' ? 'ok' : code;
    add(`pggit_get_intent: ${label}`, 'SELECT pggit_get_intent($1)', [id], c);
  }
  for (const to of ['in_progress', 'completed', 'merged', 'abandoned']) {
    for (const [label, id, code] of ids.filter(([, , c]) => c !== 'ok')) {
      add(`pggit_mark_${to}: ${label}`, `SELECT pggit_mark_${to}($1)`, [id], code);
    }
    add(
      `pggit_mark_${to}: a merged intent`,
      `SELECT pggit_mark_${to}($1)`,
      [() => merged],
      '55000',
    );
    add(
      `pggit_mark_${to}: a reason of 10,001 characters`,
      `SELECT pggit_mark_${to}($1, $2)`,
      [() => intentA, long(10_001)],
      '22023',
    );
    add(
      `pggit_mark_${to}: changed_by of 201 characters`,
      `SELECT pggit_mark_${to}($1, NULL, $2)`,
      [() => intentA, long(201)],
      '22023',
    );
    add(
      `pggit_mark_${to}: an empty changed_by`,
      `SELECT pggit_mark_${to}($1, NULL, '')`,
      [() => intentA],
      '22023',
    );
  }
  add(
    'pggit_mark_completed: from registered',
    'SELECT pggit_mark_completed($1)',
    [() => intentA],
    '55000',
  );
  add(
    'pggit_mark_merged: from registered',
    'SELECT pggit_mark_merged($1)',
    [() => intentA],
    '55000',
  );
  add(
    'pggit_mark_in_progress: a conflicted intent with an open error',
    'SELECT pggit_mark_in_progress($1)',
    [() => intentB],
    '55000',
  );

  // --- leases
  for (const [label, id, code] of ids.filter(([, , c]) => c !== 'ok')) {
    add(`pggit_heartbeat: ${label}`, 'SELECT pggit_heartbeat($1)', [id], code);
  }
  for (const lease of [0, -1, 31_536_001]) {
    add(
      `pggit_heartbeat: lease_seconds ${lease}`,
      'SELECT pggit_heartbeat($1, $2)',
      [() => intentA, lease],
      '22023',
    );
    reg(`lease_seconds ${lease}`, { lease_seconds: lease }, '22023');
  }
  add(
    'pggit_heartbeat: lease_seconds 2^31',
    'SELECT pggit_heartbeat($1, $2::int)',
    [() => intentA, 2 ** 31],
    '22003',
  );
  add('pggit_heartbeat: a merged intent', 'SELECT pggit_heartbeat($1)', [() => merged], '55000');
  add(
    'pggit_heartbeat: an active intent',
    'SELECT pggit_heartbeat($1, 3600)',
    [() => intentA],
    'ok',
  );
  for (const limit of [0, -1, 1001]) {
    add(`pggit_sweep: limit ${limit}`, 'SELECT pggit_sweep($1)', [limit], '22023');
  }
  add('pggit_sweep: nothing to sweep', 'SELECT pggit_sweep()', [], 'ok');

  // --- reviews, rules, settings, drift
  for (const decision of ['approve', 'APPROVED', '', null]) {
    add(
      `pggit_review: decision ${JSON.stringify(decision)}`,
      'SELECT pggit_review($1, $2)',
      [() => intentA, decision],
      '22023',
    );
  }
  for (const [label, id, code] of ids.filter(([, , c]) => c !== 'ok')) {
    add(`pggit_review: ${label}`, "SELECT pggit_review($1, 'approved')", [id], code);
    add(`pggit_reviews: ${label}`, 'SELECT pggit_reviews($1)', [id], code);
  }
  add(
    'pggit_review: by its own agent',
    "SELECT pggit_review($1, 'approved', reviewer => 'h-a')",
    [() => intentA],
    '42501',
  );
  add(
    'pggit_review: a rule that requires nothing',
    "SELECT pggit_review($1, 'approved', rule_id => 999999)",
    [() => intentA],
    'P0002',
  );
  add(
    'pggit_review: a merged intent',
    "SELECT pggit_review($1, 'approved')",
    [() => merged],
    '55000',
  );
  add(
    'pggit_review: notes of 10,001 characters',
    "SELECT pggit_review($1, 'approved', $2)",
    [() => intentA, long(10_001)],
    '22023',
  );
  add(
    'pggit_review: by someone else',
    "SELECT pggit_review($1, 'approved', 'fine', 'h-reviewer')",
    [() => intentA],
    'ok',
  );
  add('pggit_reviews: an intent', 'SELECT pggit_reviews($1)', [() => intentA], 'ok');
  const ruleCases: [string, string, string][] = [
    ['no kind', 'SELECT pggit_add_rule(NULL)', '22023'],
    ['an unknown kind', "SELECT pggit_add_rule('deny', 'x')", '22023'],
    ['an owner rule without owner', "SELECT pggit_add_rule('owner', 'public.x*')", '22023'],
    ['a pattern of an unknown kind', "SELECT pggit_add_rule('owner', 'tbl:x', 'me')", '22023'],
    ['an empty pattern', "SELECT pggit_add_rule('owner', '', 'me')", '22023'],
    ['a kind and no glob', "SELECT pggit_add_rule('owner', 'table:', 'me')", '22023'],
    [
      'a pattern of 501 characters',
      `SELECT pggit_add_rule('owner', '${long(501)}', 'me')`,
      '22023',
    ],
    ['a severity of fatal', "SELECT pggit_add_rule('severity', 'x', severity => 'fatal')", '22023'],
    [
      'an unknown conflict type',
      "SELECT pggit_add_rule('severity', conflict_type => 'row', severity => 'error')",
      '22023',
    ],
    ['advice without text', "SELECT pggit_add_rule('advice', 'x')", '22023'],
    [
      'metadata key without value',
      "SELECT pggit_add_rule('advice', metadata_key => 'k', advice => 'a')",
      '22023',
    ],
    [
      'regex characters in a glob',
      "SELECT pggit_add_rule('advice', 'public.(a|b)[x]+', advice => 'literal')",
      'ok',
    ],
    ['removing an unknown rule', 'SELECT pggit_remove_rule(999999)', '22023'],
    ['removing NULL', 'SELECT pggit_remove_rule(NULL)', '22023'],
  ];
  for (const [label, sql, code] of ruleCases) add(`pggit_add_rule: ${label}`, sql, [], code);
  for (const [key, value] of [
    ['colour', 'blue'],
    ['version', '9.9.9'],
    ['api_schema', 'other'],
    ['drift_mode', 'loud'],
    ['lease_seconds', '0'],
    ['lease_seconds', '99999999999'],
    ['review_gate', 'yes'],
    [null, 'on'],
  ] as const) {
    add(
      `pggit_set_setting: ${key} = ${value}`,
      'SELECT pggit_set_setting($1, $2)',
      [key, value],
      '22023',
    );
  }
  add(
    'pggit_set_setting: a valid value',
    "SELECT pggit_set_setting('lease_seconds', '86400')",
    [],
    'ok',
  );
  add('pggit_settings', 'SELECT pggit_settings()', [], 'ok');
  add('pggit_rules', 'SELECT pggit_rules()', [], 'ok');
  for (const limit of [0, 1001])
    add(`pggit_drift: limit ${limit}`, 'SELECT pggit_drift("limit" => $1)', [limit], '22023');
  add(
    'pggit_drift: since not a time',
    'SELECT pggit_drift(since => $1)',
    ['yesterday-ish'],
    '22007',
  );
  add('pggit_drift: since the epoch', "SELECT pggit_drift(since => 'epoch')", [], 'ok');

  // --- pggit_list_intents
  for (const status of ['', 'MERGED', 'done', 'registered ', "registered' OR 'x'='x"]) {
    add(
      `pggit_list_intents: status ${JSON.stringify(status)}`,
      'SELECT pggit_list_intents(status => $1)',
      [status],
      '22023',
    );
  }
  for (const limit of [0, -1, 1001, null]) {
    add(
      `pggit_list_intents: limit ${limit}`,
      'SELECT pggit_list_intents("limit" => $1::int)',
      [limit],
      '22023',
    );
  }
  add(
    'pggit_list_intents: limit 2^31',
    'SELECT pggit_list_intents("limit" => $1::int)',
    [2 ** 31],
    '22003',
  );
  add(
    'pggit_list_intents: agent_id of 201 characters',
    'SELECT pggit_list_intents(agent_id => $1)',
    [long(201)],
    '22023',
  );
  for (const [label, id, code] of ids.filter(([l]) => l !== 'NULL')) {
    add(`pggit_list_intents: after ${label}`, 'SELECT pggit_list_intents(after => $1)', [id], code);
  }
  for (const status of [
    'registered',
    'in_progress',
    'completed',
    'merged',
    'abandoned',
    'conflicted',
  ]) {
    add(
      `pggit_list_intents: status ${status}`,
      'SELECT pggit_list_intents(status => $1)',
      [status],
      'ok',
    );
  }
  add('pggit_list_intents: limit 1000', 'SELECT pggit_list_intents("limit" => 1000)', [], 'ok');

  // --- conflicts
  const conflictIds: [string, unknown, string][] = [
    ['NULL', null, '22023'],
    ['0', 0, 'P0002'],
    ['-1', -1, 'P0002'],
    ['2^31', 2 ** 31, '22003'],
    ['not a number', 'one', '22P02'],
    ['an unknown id', 999_999, 'P0002'],
  ];
  for (const [label, id, code] of conflictIds) {
    add(
      `pggit_resolve_conflict: conflict_id ${label}`,
      "SELECT pggit_resolve_conflict($1::int, 'n')",
      [id],
      code,
    );
    add(
      `pggit_reopen_conflict: conflict_id ${label}`,
      "SELECT pggit_reopen_conflict($1::int, 'r')",
      [id],
      code,
    );
  }
  for (const [label, value, code] of BAD_TEXT.filter(
    ([l]) => l !== '201 characters' && !l.startsWith('201 emoji'),
  )) {
    add(
      `pggit_resolve_conflict: resolution_notes ${label}`,
      'SELECT pggit_resolve_conflict($1, $2)',
      [() => conflictId, value],
      code,
    );
    add(
      `pggit_reopen_conflict: reason ${label}`,
      'SELECT pggit_reopen_conflict($1, $2)',
      [() => resolvedId, value],
      code,
    );
  }
  add(
    'pggit_resolve_conflict: notes of 10,001 characters',
    'SELECT pggit_resolve_conflict($1, $2)',
    [() => conflictId, long(10_001)],
    '22023',
  );
  for (const sev of ['fatal', 'ERROR', '', 'warn']) {
    add(
      `pggit_resolve_conflict: severity ${JSON.stringify(sev)}`,
      "SELECT pggit_resolve_conflict($1, 'n', NULL, $2)",
      [() => conflictId, sev],
      '22023',
    );
  }
  add(
    'pggit_resolve_conflict: reviewed_by of 201 characters',
    "SELECT pggit_resolve_conflict($1, 'n', $2)",
    [() => conflictId, long(201)],
    '22023',
  );
  add(
    'pggit_resolve_conflict: an already resolved conflict',
    "SELECT pggit_resolve_conflict($1, 'again')",
    [() => resolvedId],
    '55000',
  );
  add(
    'pggit_reopen_conflict: an open conflict',
    "SELECT pggit_reopen_conflict($1, 'why')",
    [() => conflictId],
    '55000',
  );

  // --- the pure functions
  const parses: [string, unknown, unknown, string][] = [
    ['NULL script', null, 'public', '22023'],
    ['empty script', '', 'public', '22023'],
    ['NULL default schema', 'CREATE TABLE t (id int)', null, '22023'],
    ['empty default schema', 'CREATE TABLE t (id int)', '', '22023'],
    ['1,000,001 characters', `--${long(999_999)}`, 'public', '22023'],
    ['an unterminated quote', "SELECT 'x", 'public', 'ok'],
    ['a schema with spaces', 'CREATE TABLE t (id int)', 'my schema', 'ok'],
    ['random punctuation', ');(;\'";$$;--', 'public', 'ok'],
  ];
  for (const [label, script, schema, code] of parses) {
    add(`pggit_parse: ${label}`, 'SELECT pggit_parse($1, $2)', [script, schema], code);
  }
  const good = { agent_id: 'a', feature_name: 'f', schema_changes: 'ALTER TABLE t ADD c int' };
  const detects: [string, unknown, string][] = [
    ['NULL', null, '22023'],
    ['an array', [], '22023'],
    ['a string', 'text', '22023'],
    ['no agent_id', { feature_name: 'f', schema_changes: 'x' }, '22023'],
    ['a numeric agent_id', { ...good, agent_id: 7 }, '22023'],
    [
      'schema_changes as an array with a number',
      { ...good, schema_changes: ['ALTER TABLE t ADD c int', 3] },
      '22023',
    ],
    ['tables_affected not an array', { ...good, tables_affected: 'users' }, '22023'],
    ['an empty feature_name', { ...good, feature_name: '' }, '22023'],
    [
      'schema_changes as a list of statements',
      { ...good, schema_changes: ['ALTER TABLE t ADD c int'] },
      'ok',
    ],
  ];
  for (const [label, value, code] of detects) {
    add(
      `pggit_detect: intent_a ${label}`,
      'SELECT pggit_detect($1::jsonb, $2::jsonb)',
      [JSON.stringify(value), JSON.stringify(good)],
      code,
    );
    add(
      `pggit_detect: intent_b ${label}`,
      'SELECT pggit_detect($1::jsonb, $2::jsonb)',
      [JSON.stringify(good), JSON.stringify(value)],
      code,
    );
  }
  add('pggit_detect: not JSON', 'SELECT pggit_detect($1::jsonb, $2::jsonb)', ['{x', '{}'], '22P02');
  // generated garbage scripts: SQL-looking tokens in random order, with
  // quotes and dollar signs; each is registered (maybe with warnings) or
  // refused as not valid SQL (an unterminated quote), never anything else
  const words = [
    'ALTER',
    'TABLE',
    'DROP',
    'CREATE',
    'INDEX',
    ';',
    '(',
    ')',
    "'",
    '"',
    '$$',
    '$x$',
    'U&"a"',
    '--',
    '/*',
    '*/',
    'users',
    'ADD',
    'COLUMN',
    'int',
    ',',
    'ON',
    "E'\\n'",
  ];
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let i = 0; i < 40; i++) {
    const script = Array.from(
      { length: 3 + (next() % 30) },
      () => words[next() % words.length],
    ).join(' ');
    const c = registerCall({ schema_changes: script });
    add(`register: generated script ${i} ${JSON.stringify(script.slice(0, 40))}`, c.sql, c.params, [
      'ok',
      '22023',
    ]);
  }
  add('pggit_version', 'SELECT pggit_version()', [], 'ok');
  add('pggit_verify', 'SELECT pggit_verify()', [], 'ok');
  return out;
}

const corpus = cases();

describe(`${corpus.length} hostile inputs`, () => {
  it('are at least 300, across every SQL function', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const fns = new Set(corpus.map((c) => /pggit_\w+/.exec(c.sql)?.[0]));
    for (const f of [
      'pggit_register',
      'pggit_check',
      'pggit_get_intent',
      'pggit_list_intents',
      'pggit_mark_in_progress',
      'pggit_mark_completed',
      'pggit_mark_merged',
      'pggit_mark_abandoned',
      'pggit_get_conflicts',
      'pggit_resolve_conflict',
      'pggit_reopen_conflict',
      'pggit_history',
      'pggit_parse',
      'pggit_detect',
      'pggit_version',
      'pggit_verify',
      'pggit_heartbeat',
      'pggit_sweep',
      'pggit_review',
      'pggit_reviews',
      'pggit_add_rule',
      'pggit_remove_rule',
      'pggit_rules',
      'pggit_settings',
      'pggit_set_setting',
      'pggit_drift',
    ]) {
      expect(fns, f).toContain(f);
    }
  });

  it('each end in their documented SQLSTATE or in success, and a failure writes nothing', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const wrong: string[] = [];
    try {
      await c.query("SET statement_timeout = '20s'");
      for (const k of corpus) {
        const params = k.params.map((p) => (typeof p === 'function' ? (p as () => unknown)() : p));
        const before = await counts(c);
        const started = Date.now();
        let got = 'ok';
        try {
          await c.query(k.sql, params);
        } catch (e) {
          got = (e as pg.DatabaseError).code ?? String(e);
        }
        const ms = Date.now() - started;
        const allowed = Array.isArray(k.expect) ? k.expect : [k.expect];
        if (!allowed.includes(got)) wrong.push(`${k.name}: expected ${k.expect}, got ${got}`);
        else if (got !== 'ok' && !DOCUMENTED.has(got))
          wrong.push(`${k.name}: ${got} is not documented`);
        if (got !== 'ok' && JSON.stringify(await counts(c)) !== JSON.stringify(before)) {
          wrong.push(`${k.name}: failed with ${got} but wrote rows`);
        }
        if (ms > 10_000) wrong.push(`${k.name}: took ${ms} ms`);
      }
    } finally {
      await c.end();
    }
    expect(wrong).toEqual([]);
    expect(await brokenInvariants(db.pool)).toEqual({});
  });
});
