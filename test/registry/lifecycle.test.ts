/** The lifecycle, enforced by the guard trigger for API calls and direct SQL alike. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  conflictsOf,
  counts,
  expectSqlError,
  getIntent,
  historyOf,
  mark,
  register,
  result,
} from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

let n = 0;
const fresh = (agent = 'life-agent') => {
  n += 1;
  return register(db.pool, agent, `life_${n}`, `CREATE TABLE life_${n} (id int)`);
};

describe('refused transitions raise 55000 naming both statuses, and change nothing', () => {
  const refused: [string[], string][] = [
    [[], 'completed'],
    [[], 'merged'],
    [['in_progress'], 'merged'],
    [['in_progress'], 'in_progress'],
    [['in_progress', 'completed'], 'in_progress'],
    [['in_progress', 'completed', 'merged'], 'abandoned'],
    [['in_progress', 'completed', 'merged'], 'in_progress'],
    [['abandoned'], 'in_progress'],
    [['abandoned'], 'abandoned'],
  ];
  for (const [path, to] of refused) {
    const from = path.at(-1) ?? 'registered';
    it(`${from} → ${to}`, async () => {
      const { intent } = await fresh();
      for (const step of path) await mark(db.pool, step, intent.id);
      const before = await counts(db.pool);
      const beforeIntent = await getIntent(db.pool, intent.id);
      const e = await expectSqlError(
        mark(db.pool, to, intent.id),
        '55000',
        from === to ? /./ : new RegExp(`from ${from} to ${to}`),
      );
      expect(e.message).toContain(intent.id);
      expect(await counts(db.pool)).toEqual(before);
      expect(await getIntent(db.pool, intent.id)).toEqual(beforeIntent);
    });
  }

  it('the happy path is recorded with reasons and who changed it', async () => {
    const { intent } = await fresh('happy-agent');
    await mark(db.pool, 'in_progress', intent.id, 'starting', 'alice');
    await mark(db.pool, 'completed', intent.id, 'done');
    const merged = await mark(db.pool, 'merged', intent.id, 'merged to main', 'ci-bot');
    expect(merged.status).toBe('merged');
    const history = await historyOf(db.pool, intent.id);
    expect(history.map((h) => [h.old_status, h.new_status, h.reason, h.changed_by])).toEqual([
      [null, 'registered', 'registered', 'happy-agent'],
      ['registered', 'in_progress', 'starting', 'alice'],
      ['in_progress', 'completed', 'done', 'postgres'],
      ['completed', 'merged', 'merged to main', 'ci-bot'],
    ]);
  });
});

describe('direct SQL obeys the same rules and is audited', () => {
  it('a direct UPDATE that breaks the lifecycle is refused by the trigger', async () => {
    const { intent } = await fresh();
    await expectSqlError(
      db.query("UPDATE pggit.tb_pggit_intent SET status = 'merged' WHERE id = $1", [intent.id]),
      '55000',
      /from registered to merged/,
    );
    expect((await getIntent(db.pool, intent.id))?.status).toBe('registered');
  });

  it('a direct UPDATE that follows it is audited with the session user', async () => {
    const { intent } = await fresh();
    await db.query("UPDATE pggit.tb_pggit_intent SET status = 'in_progress' WHERE id = $1", [
      intent.id,
    ]);
    const history = await historyOf(db.pool, intent.id);
    expect(history.at(-1)).toMatchObject({
      old_status: 'registered',
      new_status: 'in_progress',
      reason: null,
      changed_by: 'postgres',
    });
  });

  it('a direct INSERT writes the first history row', async () => {
    const r = await db.query(
      `INSERT INTO pggit.tb_pggit_intent (agent_id, feature_name, feature_key, branch_name, schema_changes)
       VALUES ('sql-agent', 'by hand', 'by_hand', 'feature/by_hand_manual', '["CREATE TABLE h (id int)"]')
       RETURNING id`,
    );
    const history = await historyOf(db.pool, r.rows[0]!.id);
    expect(history.map((h) => [h.old_status, h.new_status, h.changed_by])).toEqual([
      [null, 'registered', 'postgres'],
    ]);
  });

  it('a direct INSERT may not start past registered', async () => {
    await expectSqlError(
      db.query(
        `INSERT INTO pggit.tb_pggit_intent (agent_id, feature_name, feature_key, branch_name, schema_changes, status)
         VALUES ('sql-agent', 'skip', 'skip', 'feature/skip_manual', '[]', 'merged')`,
      ),
      '55000',
      /starts as registered or conflicted, not merged/,
    );
  });

  it('id, agent_id and branch_name cannot change', async () => {
    const { intent } = await fresh();
    await expectSqlError(
      db.query("UPDATE pggit.tb_pggit_intent SET branch_name = 'feature/other' WHERE id = $1", [
        intent.id,
      ]),
      '55000',
      /branch_name of intent .* cannot change/,
    );
  });
});

describe('what an intent declared never changes, for the table owner too', () => {
  // a backend keeps the candidates it has prepared (candidates.ts): these
  // columns are read once per backend, so a change would go unseen
  const cases: [string, RegExp][] = [
    ["feature_name = 'renamed'", /feature_name of intent .* cannot change/],
    ["feature_key = 'renamed'", /feature_name of intent .* cannot change/],
    [`schema_changes = '["DROP TABLE users"]'`, /declared changes of intent .* cannot change/],
    [`tables_affected = '["public.other"]'`, /declared changes of intent .* cannot change/],
    ['metadata = \'{"k": 1}\'', /metadata of intent .* cannot change/],
    ["objects = '[]'", /objects of intent .* change only with its model_version/],
    ["object_keys = '{}'", /objects of intent .* change only with its model_version/],
  ];
  for (const [set, message] of cases) {
    it(`refuses SET ${set} (55000) and leaves the row as it was`, async () => {
      const { intent } = await fresh();
      const row = 'SELECT to_jsonb(i) AS r FROM pggit.tb_pggit_intent i WHERE id = $1';
      const before = (await db.query(row, [intent.id])).rows[0]?.r;
      await expectSqlError(
        db.query(`UPDATE pggit.tb_pggit_intent SET ${set} WHERE id = $1`, [intent.id]),
        '55000',
        message,
      );
      expect((await db.query(row, [intent.id])).rows[0]?.r).toEqual(before);
    });
  }

  it('lets the objects change with the model version, and a status change through', async () => {
    const { intent } = await fresh();
    const r = await db.query(
      `UPDATE pggit.tb_pggit_intent SET objects = '[]', object_keys = '{}', model_version = 1
        WHERE id = $1 RETURNING objects, object_keys, model_version`,
      [intent.id],
    );
    expect(r.rows[0]).toEqual({ objects: [], object_keys: [], model_version: 1 });
    // the same value set again is not a change
    await db.query('UPDATE pggit.tb_pggit_intent SET metadata = metadata WHERE id = $1', [
      intent.id,
    ]);
  });
});

describe('the history is append-only, for the table owner too', () => {
  it('UPDATE, DELETE and TRUNCATE raise 42501', async () => {
    const { intent } = await fresh();
    const owner = await db.query(
      "SELECT tableowner FROM pg_tables WHERE schemaname = 'pggit' AND tablename = 'tb_pggit_intent_history'",
    );
    expect(owner.rows[0]!.tableowner).toBe('postgres');
    const before = await historyOf(db.pool, intent.id);
    await expectSqlError(
      db.query(
        "UPDATE pggit.tb_pggit_intent_history SET reason = 'rewritten' WHERE intent_id = $1",
        [intent.id],
      ),
      '42501',
      /append-only: UPDATE is not allowed/,
    );
    await expectSqlError(
      db.query('DELETE FROM pggit.tb_pggit_intent_history WHERE intent_id = $1', [intent.id]),
      '42501',
      /append-only: DELETE is not allowed/,
    );
    await expectSqlError(
      db.query('TRUNCATE pggit.tb_pggit_intent_history CASCADE'),
      '42501',
      /append-only: TRUNCATE is not allowed/,
    );
    expect(await historyOf(db.pool, intent.id)).toEqual(before);
  });
});

describe('conflicted intents', () => {
  it('may not start while an error conflict is open; the error lists it', async () => {
    await register(db.pool, 'blk-a', 'blk_one', 'ALTER TABLE blk ADD COLUMN c int');
    const b = await register(db.pool, 'blk-b', 'blk_two', 'ALTER TABLE blk ADD COLUMN c text');
    expect(b.intent.status).toBe('conflicted');
    const e = await expectSqlError(
      mark(db.pool, 'in_progress', b.intent.id),
      '55000',
      /from conflicted to in_progress: 1 unresolved error conflict/,
    );
    expect(e.detail).toMatch(/error column on public\.blk\.c with blk-a \("blk_one"/);
    expect(e.hint).toMatch(/pggit_resolve_conflict/);
  });

  it('may start with only warnings open', async () => {
    await register(db.pool, 'warn-a', 'warn_one', 'ALTER TABLE warn_t ADD COLUMN a int');
    const b = await register(db.pool, 'warn-b', 'warn_two', 'ALTER TABLE warn_t ADD COLUMN b int');
    expect(b.intent.status).toBe('conflicted');
    expect((await mark(db.pool, 'in_progress', b.intent.id)).status).toBe('in_progress');
  });

  it('cannot be pushed back to registered by hand while conflicts are open', async () => {
    await register(db.pool, 'hand-a', 'hand_one', 'ALTER TABLE hand_t ADD COLUMN a int');
    const b = await register(db.pool, 'hand-b', 'hand_two', 'ALTER TABLE hand_t ADD COLUMN a int');
    await expectSqlError(
      db.query("UPDATE pggit.tb_pggit_intent SET status = 'registered' WHERE id = $1", [
        b.intent.id,
      ]),
      '55000',
      /2 open conflict/,
    );
  });

  it('returns to registered when its conflicts are resolved, with the reviewer recorded', async () => {
    await register(db.pool, 'res-a', 'res_one', 'ALTER TABLE res_t ADD COLUMN a int');
    const b = await register(db.pool, 'res-b', 'res_two', 'ALTER TABLE res_t ADD COLUMN a int');
    const conflicts = await conflictsOf(db.pool, b.intent.id);
    expect(conflicts).toHaveLength(2);
    const first = await result<{
      reviewed: boolean;
      reviewed_by: string;
      resolution_notes: string;
    }>(db.pool, 'SELECT pggit_resolve_conflict($1, $2, $3) AS result', [
      conflicts[0]?.id,
      'agreed',
      'lead',
    ]);
    expect(first).toMatchObject({
      reviewed: true,
      reviewed_by: 'lead',
      resolution_notes: 'agreed',
    });
    expect((await getIntent(db.pool, b.intent.id))?.status).toBe('conflicted');
    await result(db.pool, 'SELECT pggit_resolve_conflict($1, $2) AS result', [
      conflicts[1]?.id,
      'ok',
    ]);
    expect((await getIntent(db.pool, b.intent.id))?.status).toBe('registered');
    const history = await historyOf(db.pool, b.intent.id);
    expect(history.at(-1)).toMatchObject({ old_status: 'conflicted', new_status: 'registered' });
    expect(history.at(-1)?.reason).toMatch(/all conflicts resolved/);
  });

  it('returns to registered when the other side merges', async () => {
    const a = await register(db.pool, 'mrg-a', 'mrg_one', 'ALTER TABLE mrg_t ADD COLUMN a int');
    const b = await register(db.pool, 'mrg-b', 'mrg_two', 'ALTER TABLE mrg_t ADD COLUMN a int');
    await mark(db.pool, 'in_progress', a.intent.id);
    await mark(db.pool, 'completed', a.intent.id);
    expect((await getIntent(db.pool, b.intent.id))?.status).toBe('conflicted');
    await mark(db.pool, 'merged', a.intent.id);
    expect((await getIntent(db.pool, b.intent.id))?.status).toBe('registered');
    // merging does not pretend the conflicts were reviewed
    expect((await conflictsOf(db.pool, b.intent.id)).every((c) => !c.reviewed)).toBe(true);
  });

  it('conflicts that later newcomers record against it never hold it back', async () => {
    // first to declare, first to proceed: B is conflicted because of A; D
    // arrives later and conflicts with B. Resolving B's own conflicts with A
    // releases B, and B may start, whatever D's conflict says.
    const a = await register(db.pool, 'nc-a', 'nc_one', 'ALTER TABLE nc_t ADD COLUMN a int');
    const b = await register(
      db.pool,
      'nc-b',
      'nc_two',
      'ALTER TABLE nc_t ADD COLUMN a int; ALTER TABLE nc_u ADD COLUMN z int',
    );
    const d = await register(db.pool, 'nc-d', 'nc_three', 'ALTER TABLE nc_u ADD COLUMN z int');
    expect(d.conflicts.map((c) => [c.intent_b, c.conflict_type, c.severity])).toEqual(
      expect.arrayContaining([[b.intent.id, 'column', 'error']]),
    );
    for (const c of b.conflicts) {
      expect(c.intent_b).toBe(a.intent.id);
      await result(db.pool, 'SELECT pggit_resolve_conflict($1, $2) AS result', [c.id, 'ok']);
    }
    expect((await getIntent(db.pool, b.intent.id))?.status).toBe('registered');
    expect((await mark(db.pool, 'in_progress', b.intent.id)).status).toBe('in_progress');
    // while D, the later one, is still blocked by its error conflict with B
    await expectSqlError(mark(db.pool, 'in_progress', d.intent.id), '55000');
  });

  it('abandoning resolves its open conflicts with a note', async () => {
    const a = await register(db.pool, 'abn-a', 'abn_one', 'ALTER TABLE abn_t ADD COLUMN a int');
    const b = await register(db.pool, 'abn-b', 'abn_two', 'ALTER TABLE abn_t ADD COLUMN a int');
    await mark(db.pool, 'abandoned', b.intent.id, 'not needed');
    const conflicts = await conflictsOf(db.pool, a.intent.id);
    expect(conflicts).toHaveLength(2);
    for (const c of conflicts) {
      expect(c.reviewed).toBe(true);
      expect(c.resolution_notes).toBe(
        `auto-resolved: intent ${b.intent.id} (abn-b, "abn_two") was abandoned`,
      );
    }
    expect((await getIntent(db.pool, a.intent.id))?.status).toBe('registered');
  });

  it('conflicts are recorded on both sides', async () => {
    const a = await register(db.pool, 'both-a', 'both_one', 'ALTER TABLE both_t ADD COLUMN a int');
    const b = await register(db.pool, 'both-b', 'both_two', 'ALTER TABLE both_t ADD COLUMN a int');
    expect((await getIntent(db.pool, a.intent.id))?.conflicts_with).toEqual([b.intent.id]);
    expect(b.intent.conflicts_with).toEqual([a.intent.id]);
    const fromA = await conflictsOf(db.pool, a.intent.id);
    const fromB = await conflictsOf(db.pool, b.intent.id);
    // the same conflicts from either side...
    const facts = (cs: typeof fromA) => cs.map(({ resolution_suggestions: _, ...c }) => c);
    expect(facts(fromA)).toEqual(facts(fromB));
    expect(fromA.map((c) => [c.intent_a, c.intent_b])).toEqual([
      [b.intent.id, a.intent.id],
      [b.intent.id, a.intent.id],
    ]);
    // ...each with advice addressed to the agent who reads it, naming the other
    for (const c of fromA) {
      expect(c.resolution_suggestions.join(' ')).toContain('both-b');
      expect(c.resolution_suggestions.join(' ')).not.toContain('both-a');
    }
    for (const c of fromB) {
      expect(c.resolution_suggestions.join(' ')).toContain('both-a');
      expect(c.resolution_suggestions.join(' ')).not.toContain('both-b');
    }
    expect((await getIntent(db.pool, a.intent.id))?.status).toBe('registered');
  });

  it('the conflicts a registration returns are the rows it stored, as to_jsonb renders them', async () => {
    // register builds its result from what it wrote plus the id and created_at
    // the insert assigns; this holds it to the stored rows, column for column
    await register(db.pool, 'rows-a', 'rows one', 'ALTER TABLE rows_t ADD COLUMN a int');
    await register(
      db.pool,
      'rows-b',
      'rows two',
      'CREATE INDEX rows_t_ab ON rows_t (a); ALTER TABLE rows_t ADD CONSTRAINT rows_t_c CHECK (a > 0)',
    );
    const c = await register(
      db.pool,
      'rows-c',
      'rows three',
      `ALTER TABLE rows_t DROP COLUMN a; CREATE INDEX rows_t_ab ON rows_t (b);
       ALTER TABLE rows_t ADD CONSTRAINT rows_t_c CHECK (b > 0)`,
    );
    const stored = await db.pool.query(
      `SELECT to_jsonb(c.*) - 'resolution_suggestions_b' AS j
         FROM pggit.tb_pggit_conflict c WHERE c.intent_a = $1 ORDER BY c.id`,
      [c.intent.id],
    );
    expect(c.conflicts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(c.conflicts.map((x) => x.intent_b)).size).toBe(2);
    expect(c.conflicts).toEqual(stored.rows.map((r) => r.j));
  });
});

describe('list and views', () => {
  it('pggit_list_intents filters by status and agent, newest first', async () => {
    const x = await register(db.pool, 'list-agent', 'list_one', 'CREATE TABLE list_1 (id int)');
    const y = await register(db.pool, 'list-agent', 'list_two', 'CREATE TABLE list_2 (id int)');
    await mark(db.pool, 'in_progress', x.intent.id);
    const mine = await result<{ id: string }[]>(
      db.pool,
      "SELECT pggit_list_intents(agent_id => 'list-agent') AS result",
    );
    expect(mine.map((i) => i.id)).toEqual([y.intent.id, x.intent.id]);
    const started = await result<{ id: string }[]>(
      db.pool,
      "SELECT pggit_list_intents(status => 'in_progress', agent_id => 'list-agent') AS result",
    );
    expect(started.map((i) => i.id)).toEqual([x.intent.id]);
  });

  it('pggit_list_intents returns summaries: the intent’s own fields but its script, keys and conflicts_with, plus open counts', async () => {
    const x = await register(db.pool, 'sum-a', 'sum one', 'ALTER TABLE sum_t ADD COLUMN a int');
    const y = await register(db.pool, 'sum-b', 'sum two', 'ALTER TABLE sum_t ADD COLUMN a int');
    const [listed] = await result<Record<string, unknown>[]>(
      db.pool,
      "SELECT pggit_list_intents(agent_id => 'sum-b') AS result",
    );
    const full = await result<Record<string, unknown>>(
      db.pool,
      'SELECT pggit_get_intent($1) AS result',
      [y.intent.id],
    );
    const left = ['schema_changes', 'object_keys', 'applied_objects', 'conflicts_with'];
    const expected = Object.fromEntries(Object.entries(full).filter(([k]) => !left.includes(k)));
    expect(listed).toEqual({ ...expected, open_conflicts: 2, open_errors: 1 });
    expect(full.conflicts_with).toEqual([x.intent.id]);
  });

  it('pggit_intents and pggit_open_conflicts show open conflict counts', async () => {
    const a = await register(db.pool, 'view-a', 'view_one', 'ALTER TABLE view_t ADD COLUMN a int');
    const b = await register(db.pool, 'view-b', 'view_two', 'ALTER TABLE view_t ADD COLUMN a int');
    const r = await db.query(
      'SELECT id, open_conflicts, open_errors FROM pggit_intents WHERE id = ANY($1) ORDER BY created_at',
      [[a.intent.id, b.intent.id]],
    );
    expect(r.rows.map((x) => [x.open_conflicts, x.open_errors])).toEqual([
      [2, 1],
      [2, 1],
    ]);
    const open = await db.query(
      'SELECT conflict_type, agent_a, agent_b FROM pggit_open_conflicts WHERE intent_b = $1 ORDER BY conflict_type',
      [a.intent.id],
    );
    expect(open.rows).toEqual([
      { conflict_type: 'column', agent_a: 'view-b', agent_b: 'view-a' },
      { conflict_type: 'table', agent_a: 'view-b', agent_b: 'view-a' },
    ]);
  });
});

describe('open conflicts in the views', () => {
  it('stop counting once the other side merges', async () => {
    const a = await register(db.pool, 'vm-a', 'vm_one', 'ALTER TABLE vm_t ADD COLUMN a int');
    const b = await register(db.pool, 'vm-b', 'vm_two', 'ALTER TABLE vm_t ADD COLUMN b int');
    const open = () =>
      db.query('SELECT open_conflicts FROM pggit_intents WHERE id = $1', [b.intent.id]);
    expect((await open()).rows).toEqual([{ open_conflicts: 1 }]);
    for (const step of ['in_progress', 'completed', 'merged'])
      await mark(db.pool, step, a.intent.id);
    expect((await open()).rows).toEqual([{ open_conflicts: 0 }]);
    const listed = await db.query('SELECT 1 FROM pggit_open_conflicts WHERE intent_a = $1', [
      b.intent.id,
    ]);
    expect(listed.rowCount).toBe(0);
  });
});

describe('branch names', () => {
  it('a slug that looks like another slug’s numbered branch never reuses its name', async () => {
    const first = await register(db.pool, 'br-a', 'brx', 'CREATE TABLE br_1 (id int)');
    const second = await register(db.pool, 'br-a', 'brx', 'CREATE TABLE br_2 (id int)');
    const lookalike = await register(db.pool, 'br-a', 'brx_001', 'CREATE TABLE br_3 (id int)');
    expect([first, second, lookalike].map((r) => r.intent.branch_name)).toEqual([
      'feature/brx',
      'feature/brx_001',
      'feature/brx_001_001',
    ]);
  });

  it('LIKE wildcards in a feature name do not share a counter', async () => {
    const pct = await register(db.pool, 'br-b', 'b%r', 'CREATE TABLE br_4 (id int)');
    const under = await register(db.pool, 'br-b', 'b_r', 'CREATE TABLE br_5 (id int)');
    // '%' becomes '_' in the slug, so both are b_r: one counter, two names
    expect([pct.intent.branch_name, under.intent.branch_name]).toEqual([
      'feature/b_r',
      'feature/b_r_001',
    ]);
    const other = await register(db.pool, 'br-b', 'bar', 'CREATE TABLE br_6 (id int)');
    expect(other.intent.branch_name).toBe('feature/bar');
  });
});
