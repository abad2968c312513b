/** Bad input gets a precise message and SQLSTATE, and writes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { counts, expectSqlError, getIntent, mark, register, result } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const ddl = 'ALTER TABLE users ADD COLUMN x int';

describe('pggit_register validation (22023, nothing written)', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'NULL agent_id',
      () => register(db.pool, null as never, 'f', ddl),
      /agent_id must not be NULL/,
    ],
    ['empty agent_id', () => register(db.pool, '  ', 'f', ddl), /agent_id must not be empty/],
    [
      'long agent_id',
      () => register(db.pool, 'a'.repeat(201), 'f', ddl),
      /agent_id is too long: 201/,
    ],
    ['empty feature_name', () => register(db.pool, 'a', '', ddl), /feature_name must not be empty/],
    [
      'NULL schema_changes',
      () => register(db.pool, 'a', 'f', null as never),
      /schema_changes must not be NULL/,
    ],
    [
      'empty schema_changes',
      () => register(db.pool, 'a', 'f', ''),
      /schema_changes must not be empty/,
    ],
    [
      'comment-only schema_changes',
      () => register(db.pool, 'a', 'f', '-- nothing\n/* here */'),
      /schema_changes contains no SQL statement/,
    ],
    [
      'unknown risk_level',
      () => register(db.pool, 'a', 'f', ddl, { risk: 'extreme' }),
      /risk_level must be one of low, medium, high, not "extreme"/,
    ],
    [
      'metadata array',
      () => register(db.pool, 'a', 'f', ddl, { metadata: [1, 2] }),
      /metadata must be a JSON object/,
    ],
    [
      'metadata string',
      () => register(db.pool, 'a', 'f', ddl, { metadata: 'x' }),
      /metadata must be a JSON object/,
    ],
    [
      'huge metadata',
      () => register(db.pool, 'a', 'f', ddl, { metadata: { x: 'y'.repeat(70_000) } }),
      /metadata is too large/,
    ],
    [
      'negative duration',
      () => register(db.pool, 'a', 'f', ddl, { duration: -1 }),
      /estimated_duration_ms must be a non-negative integer/,
    ],
    [
      'NULL in tables_affected',
      () => register(db.pool, 'a', 'f', ddl, { tables: ['users', null as never] }),
      /tables_affected\[2\] must not be NULL/,
    ],
    [
      'too many tables_affected',
      () =>
        register(db.pool, 'a', 'f', ddl, {
          tables: Array.from({ length: 1001 }, (_, i) => `t${i}`),
        }),
      /tables_affected has 1001 entries/,
    ],
    [
      'unterminated string',
      () => register(db.pool, 'a', 'f', "ALTER TABLE t ADD c text DEFAULT 'oops; DROP TABLE t"),
      /schema_changes is not valid SQL: unterminated string starting at offset 33/,
    ],
    [
      'unterminated dollar body',
      () => register(db.pool, 'a', 'f', 'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1'),
      /unterminated dollar-quoted string/,
    ],
    [
      'unterminated comment',
      () => register(db.pool, 'a', 'f', 'CREATE TABLE t (id int); /* /* nested */'),
      /unterminated comment/,
    ],
    [
      'unterminated quoted identifier',
      () => register(db.pool, 'a', 'f', 'CREATE TABLE "t (id int)'),
      /unterminated quoted identifier/,
    ],
    [
      'more than 5,000 statements',
      () => register(db.pool, 'a', 'f', 'SELECT 1;'.repeat(5_001)),
      /schema_changes has more than 5000 statements, the limit is 5000/,
    ],
    [
      '111,111 statements, refused after the first 5,001 (in time proportional to the limit)',
      () => register(db.pool, 'a', 'f', 'SELECT 1;'.repeat(111_111)),
      /schema_changes has more than 5000 statements/,
    ],
    [
      'script over 1,000,000 characters',
      () => register(db.pool, 'a', 'f', `-- ${'x'.repeat(1_000_000)}\n${ddl}`),
      /schema_changes is too long/,
    ],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      const before = await counts(db.pool);
      await expectSqlError(call(), '22023', message);
      expect(await counts(db.pool)).toEqual(before);
    });
  }

  it('a NUL escape in metadata is refused by jsonb itself, and nothing is written', async () => {
    const before = await counts(db.pool);
    const e = await register(db.pool, 'a', 'f', ddl, { metadata: { x: '\u0000' } }).then(
      () => null,
      (err: { code: string }) => err,
    );
    expect(e?.code).toBe('22P05');
    expect(await counts(db.pool)).toEqual(before);
  });

  it('NUL bytes are refused by PostgreSQL before pggit sees them, and nothing is written', async () => {
    const before = await counts(db.pool);
    const e = await register(db.pool, 'a', 'f', 'ALTER TABLE users ADD COLUMN a\u0000b int').then(
      () => null,
      (err: { code: string }) => err,
    );
    expect(e?.code).toBe('22021');
    expect(await counts(db.pool)).toEqual(before);
  });
});

describe('unknown ids', () => {
  it('pggit_get_intent returns NULL for an unknown or NULL id', async () => {
    expect(await getIntent(db.pool, '00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await getIntent(db.pool, 'not-a-uuid')).toBeNull();
    expect(await result(db.pool, 'SELECT pggit_get_intent(NULL) AS result')).toBeNull();
  });
  it('transitions, conflicts and history raise P0002 naming the id', async () => {
    await expectSqlError(
      mark(db.pool, 'in_progress', 'nope'),
      'P0002',
      /intent nope does not exist/,
    );
    await expectSqlError(result(db.pool, "SELECT pggit_get_conflicts('nope')"), 'P0002');
    await expectSqlError(result(db.pool, "SELECT pggit_history('nope')"), 'P0002');
    await expectSqlError(
      result(db.pool, "SELECT pggit_resolve_conflict(424242, 'notes')"),
      'P0002',
      /conflict 424242 does not exist/,
    );
  });
  it('a NULL intent id is a bad argument, not a missing intent', async () => {
    await expectSqlError(
      mark(db.pool, 'in_progress', null as never),
      '22023',
      /intent_id must not be NULL/,
    );
  });
});

describe('filters and notes', () => {
  it('pggit_list_intents refuses an unknown status', async () => {
    await expectSqlError(
      result(db.pool, "SELECT pggit_list_intents(status => 'Done')"),
      '22023',
      /status must be one of/,
    );
  });
  it('pggit_resolve_conflict needs notes', async () => {
    await expectSqlError(
      result(db.pool, "SELECT pggit_resolve_conflict(1, '')"),
      '22023',
      /resolution_notes must not be empty/,
    );
    await expectSqlError(
      result(db.pool, 'SELECT pggit_resolve_conflict(NULL, $1)', ['n']),
      '22023',
      /conflict_id must not be NULL/,
    );
  });
});

describe('hostile but valid input is stored exactly and harms nothing', () => {
  it('quotes, semicolons and SQL in names are data', async () => {
    const agent = "robert'); DROP TABLE pggit.tb_pggit_intent; --";
    const feature = 'feature "x"; $$ \\ % _ *';
    const r = await register(db.pool, agent, feature, 'CREATE TABLE "weird;name" ("a""b" int)');
    expect(r.intent.agent_id).toBe(agent);
    expect(r.intent.feature_name).toBe(feature);
    expect(r.intent.branch_name).toMatch(/^feature\/[a-z0-9._-]+$/);
    expect(r.intent.branch_name).not.toMatch(/\.\.|\.lock$|\/\.|\.$/);
    expect(await getIntent(db.pool, r.intent.id)).toMatchObject({ agent_id: agent });
  });
  it('metadata round-trips', async () => {
    const metadata = { priority: 'high', nested: { list: [1, 'two', null] } };
    const r = await register(db.pool, 'meta-agent', 'meta', 'CREATE TABLE meta_t (id int)', {
      metadata,
    });
    expect(r.intent.metadata).toEqual(metadata);
  });
});
