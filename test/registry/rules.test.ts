/**
 * Rules as data, with real roles: owners of objects (and their reviews),
 * severity overrides, custom advice, the review gate, agent isolation, and
 * who may manage them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { expectSqlError, getIntent, mark, register, result } from './helpers.js';

let db: TestDatabase;
const sfx = randomBytes(3).toString('hex');
const agentA = `rules_a_${sfx}`;
const agentB = `rules_b_${sfx}`;
const team = `payments_team_${sfx}`;
const teamMember = `rules_member_${sfx}`;
const admin = `rules_admin_${sfx}`;
const clients: pg.Client[] = [];

async function as(role: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.urlFor(role) });
  await c.connect();
  clients.push(c);
  return c;
}

const rule = (args: Record<string, string>) =>
  result<{ id: number }>(
    db.pool,
    `SELECT pggit_add_rule(${Object.keys(args)
      .map((k, i) => `${k} => $${i + 1}`)
      .join(', ')}) AS result`,
    Object.values(args),
  );

beforeAll(async () => {
  db = await createTestDatabase();
  for (const r of [agentA, agentB, teamMember]) {
    await db.admin(`CREATE ROLE ${r} LOGIN IN ROLE pggit_agent`);
  }
  await db.admin(`CREATE ROLE ${team} NOLOGIN`);
  await db.admin(`GRANT ${team} TO ${teamMember}`);
  await db.admin(`CREATE ROLE ${admin} LOGIN IN ROLE pggit_admin`);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end()));
  await db?.close();
  for (const r of [agentA, agentB, teamMember, team, admin]) {
    await db?.admin(`DROP ROLE IF EXISTS ${r}`);
  }
});

describe('owner rules: a CODEOWNERS for the schema', () => {
  it('anyone else’s intent on the objects needs the owner’s approval before it may start', async () => {
    const r = await rule({ kind: 'owner', pattern: 'public.payments*', owner: team });
    const x = await result<{
      intent: { id: string };
      required_reviews: { rule_id: number; owner: string; objects: string[] }[];
    }>(
      db.pool,
      "SELECT pggit_register('outsider', 'refunds', 'ALTER TABLE payments ADD COLUMN refunded_at timestamptz') AS result",
    );
    expect(x.required_reviews).toEqual([
      { rule_id: r.id, owner: team, objects: ['public.payments', 'public.payments.refunded_at'] },
    ]);
    await expectSqlError(
      mark(db.pool, 'in_progress', x.intent.id),
      '55000',
      /owner review\(s\) missing/,
    );
    // someone else may not approve in the owner's place
    await expectSqlError(
      result(
        db.pool,
        "SELECT pggit_review($1, 'approved', reviewer => 'outsider', rule_id => $2) AS result",
        [x.intent.id, r.id],
      ),
      '42501',
      new RegExp(`gives ${team} the review`),
    );
    // a member of the owning team may
    const member = await as(teamMember);
    const state = await result<{ required: { decision: string }[] }>(
      member,
      "SELECT pggit_review($1, 'approved', 'fine', rule_id => $2) AS result",
      [x.intent.id, r.id],
    );
    expect(state.required.map((q) => q.decision)).toEqual(['approved']);
    expect((await mark(db.pool, 'in_progress', x.intent.id)).status).toBe('in_progress');
    // the owner's own intent needs no review
    const own = await result<{ required_reviews: unknown[] }>(
      await as(teamMember),
      `SELECT pggit_register('${teamMember}', 'owner change', 'ALTER TABLE payments_log ADD COLUMN note text') AS result`,
    );
    expect(own.required_reviews).toEqual([]);
    await result(db.pool, 'SELECT pggit_remove_rule($1) AS result', [r.id]);
  });
});

describe('severity rules', () => {
  it('make a table warning on audit tables an error, and drop index warnings altogether', async () => {
    const up = await rule({
      kind: 'severity',
      conflict_type: 'table',
      pattern: 'public.audit_*',
      severity: 'error',
    });
    const none = await rule({ kind: 'severity', conflict_type: 'index', severity: 'none' });
    await register(
      db.pool,
      'sev-a',
      'audit one',
      'ALTER TABLE audit_log ADD COLUMN a int; CREATE INDEX audit_log_a ON audit_log (a)',
    );
    const b = await register(
      db.pool,
      'sev-b',
      'audit two',
      'ALTER TABLE audit_log ADD COLUMN b int; CREATE INDEX audit_log_b ON audit_log (a)',
    );
    const byType = Object.fromEntries(b.conflicts.map((c) => [c.conflict_type, c]));
    expect(byType.table).toMatchObject({ severity: 'error', severity_rule: up.id });
    expect(byType.index).toBeUndefined();
    // elsewhere, a table conflict stays a warning
    await register(db.pool, 'sev-c', 'plain one', 'ALTER TABLE plain_t ADD COLUMN a int');
    const d = await register(db.pool, 'sev-d', 'plain two', 'ALTER TABLE plain_t ADD COLUMN b int');
    expect(d.conflicts).toEqual([
      expect.objectContaining({ conflict_type: 'table', severity: 'warning', severity_rule: null }),
    ]);
    for (const id of [up.id, none.id])
      await result(db.pool, 'SELECT pggit_remove_rule($1) AS result', [id]);
  });
});

describe('advice rules', () => {
  it('add advice for a metadata value, to conflicts and to the newcomer', async () => {
    const adv = await rule({
      kind: 'advice',
      metadata_key: 'org',
      metadata_value: 'finance',
      advice: 'coordinate with the compliance team',
    });
    const a = await register(db.pool, 'adv-a', 'ledger one', 'ALTER TABLE ledger ADD COLUMN a int');
    const b = await result<{ conflicts: { resolution_suggestions: string[] }[]; advice: string[] }>(
      db.pool,
      `SELECT pggit_register('adv-b', 'ledger two', 'ALTER TABLE ledger ADD COLUMN b int', metadata => '{"org": "finance"}') AS result`,
    );
    expect(b.advice).toEqual(['coordinate with the compliance team']);
    expect(b.conflicts[0]?.resolution_suggestions.at(-1)).toBe(
      'coordinate with the compliance team',
    );
    // the other side reads the conflict with its own advice, and the rule's too
    const theirs = await result<{ resolution_suggestions: string[] }[]>(
      db.pool,
      'SELECT pggit_get_conflicts($1) AS result',
      [a.intent.id],
    );
    expect(theirs).toHaveLength(b.conflicts.length);
    for (const c of theirs) {
      expect(c.resolution_suggestions.at(-1)).toBe('coordinate with the compliance team');
      expect(c.resolution_suggestions.join(' ')).toContain('adv-b');
      expect(c.resolution_suggestions.join(' ')).not.toContain('adv-a (feature');
    }
    await result(db.pool, 'SELECT pggit_remove_rule($1) AS result', [adv.id]);
  });
});

describe('the review gate', () => {
  it('completed -> merged waits for an approval by someone other than the author, audited', async () => {
    await result(db.pool, "SELECT pggit_set_setting('review_gate', 'on') AS result");
    try {
      const a = await as(agentA);
      const b = await as(agentB);
      const x = await register(a, agentA, 'gated', 'CREATE TABLE gated (id int)');
      await mark(a, 'in_progress', x.intent.id);
      await mark(a, 'completed', x.intent.id);
      await expectSqlError(
        mark(a, 'merged', x.intent.id),
        '55000',
        /review gate needs an approval/,
      );
      await expectSqlError(
        result(a, "SELECT pggit_review($1, 'approved') AS result", [x.intent.id]),
        '42501',
        /wrote intent .* someone else/,
      );
      await result(b, "SELECT pggit_review($1, 'rejected', 'needs an index') AS result", [
        x.intent.id,
      ]);
      await expectSqlError(
        mark(a, 'merged', x.intent.id),
        '55000',
        new RegExp(`${agentB} rejected it \\(needs an index\\)`),
      );
      const state = await result<{
        gate: { decision: string };
        reviews: { decision: string; reviewer: string }[];
      }>(b, "SELECT pggit_review($1, 'approved', 'index added') AS result", [x.intent.id]);
      expect(state.gate.decision).toBe('approved');
      expect(state.reviews.map((r) => [r.decision, r.reviewer])).toEqual([
        ['rejected', agentB],
        ['approved', agentB],
      ]);
      expect((await mark(a, 'merged', x.intent.id)).status).toBe('merged');
      // the decisions are an audit trail: no update, no delete
      await expectSqlError(db.query('DELETE FROM pggit.tb_pggit_review'), '42501', /append-only/);
    } finally {
      await result(db.pool, "SELECT pggit_set_setting('review_gate', 'off') AS result");
    }
  });
});

describe('agent isolation (the reference’s row-level security)', () => {
  it('an agent sees only its own intents and the conflicts it is part of; an admin sees all', async () => {
    const a = await as(agentA);
    const b = await as(agentB);
    const mine = await register(a, agentA, 'iso mine', 'ALTER TABLE iso_t ADD COLUMN a int');
    const theirs = await register(b, agentB, 'iso theirs', 'ALTER TABLE iso_t ADD COLUMN a int');
    const hidden = await register(b, agentB, 'iso hidden', 'CREATE TABLE iso_hidden (id int)');
    await result(db.pool, "SELECT pggit_set_setting('agent_isolation', 'on') AS result");
    try {
      const list = await result<{ id: string; agent_id: string }[]>(
        a,
        'SELECT pggit_list_intents("limit" => 1000) AS result',
      );
      expect(new Set(list.map((i) => i.agent_id))).toEqual(new Set([agentA]));
      expect(await getIntent(a, hidden.intent.id)).toBeNull();
      expect(await getIntent(a, hidden.intent.id.slice(0, 8))).toBeNull();
      await expectSqlError(
        result(a, 'SELECT pggit_history($1) AS result', [hidden.intent.id]),
        'P0002',
      );
      const conflicts = await result<{ intent_a: string }[]>(
        a,
        'SELECT pggit_get_conflicts($1) AS result',
        [mine.intent.id],
      );
      expect(conflicts.map((c) => c.intent_a)).toEqual([theirs.intent.id, theirs.intent.id]);
      const view = await a.query('SELECT DISTINCT agent_id FROM pggit_intents');
      expect(view.rows).toEqual([{ agent_id: agentA }]);
      const open = await a.query('SELECT count(*)::int AS n FROM pggit_open_conflicts');
      expect(open.rows[0].n).toBe(2);
      // an admin sees everyone
      const ad = await as(admin);
      const all = await ad.query('SELECT count(DISTINCT agent_id)::int AS n FROM pggit_intents');
      expect(all.rows[0].n).toBeGreaterThan(2);
    } finally {
      await result(db.pool, "SELECT pggit_set_setting('agent_isolation', 'off') AS result");
    }
  });
});

describe('managing rules and settings', () => {
  it('is for pggit_admin: an agent may read them, not change them', async () => {
    const a = await as(agentA);
    await expectSqlError(
      a.query("SELECT pggit_add_rule('owner', 'public.x*', 'me')"),
      '42501',
      /permission denied/,
    );
    await expectSqlError(
      a.query("SELECT pggit_set_setting('drift_mode', 'off')"),
      '42501',
      /permission denied/,
    );
    expect(
      (await result<Record<string, string>>(a, 'SELECT pggit_settings() AS result')).drift_mode,
    ).toBe('warn');
    const ad = await as(admin);
    const r = await result<{ id: number; kind: string }>(
      ad,
      "SELECT pggit_add_rule('advice', 'public.x*', advice => 'ask x') AS result",
    );
    expect(r.kind).toBe('advice');
    expect(
      (await result<{ id: number }[]>(a, 'SELECT pggit_rules() AS result')).map((x) => x.id),
    ).toContain(r.id);
    await result(ad, 'SELECT pggit_remove_rule($1) AS result', [r.id]);
    expect(
      (await result<{ id: number }[]>(a, 'SELECT pggit_rules() AS result')).map((x) => x.id),
    ).not.toContain(r.id);
  });

  it('refuses a rule or a setting that is not one, with 22023', async () => {
    for (const [sql, message] of [
      ["SELECT pggit_add_rule('owners', 'x')", /kind must be owner, severity or advice/],
      ["SELECT pggit_add_rule('owner', 'public.x*')", /needs a pattern and an owner/],
      ["SELECT pggit_add_rule('owner', 'tabel:public.x', 'me')", /names no kind of object/],
      [
        "SELECT pggit_add_rule('severity', 'public.x', severity => 'fatal')",
        /needs severity => warning, error or none/,
      ],
      [
        "SELECT pggit_add_rule('severity', severity => 'error')",
        /needs a pattern or a conflict_type/,
      ],
      ["SELECT pggit_add_rule('advice', metadata_key => 'org', advice => 'x')", /go together/],
      ["SELECT pggit_set_setting('colour', 'blue')", /is not a setting/],
      ["SELECT pggit_set_setting('drift_mode', 'loud')", /is not a value for drift_mode/],
      ["SELECT pggit_set_setting('lease_seconds', '0')", /is not a value for lease_seconds/],
      ['SELECT pggit_remove_rule(999999)', /does not exist/],
    ] as const) {
      await expectSqlError(db.query(sql), '22023', message);
    }
  });
});
