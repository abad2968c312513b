/** Privilege boundaries, tested with real roles on the real server. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { expectSqlError, register, result } from './helpers.js';

let db: TestDatabase;
const suffix = randomBytes(4).toString('hex');
const agentRole = `agent_${suffix}`;
const outsider = `outsider_${suffix}`;
const clients: pg.Client[] = [];

async function as(role: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.urlFor(role) });
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.admin(`CREATE ROLE ${agentRole} LOGIN IN ROLE pggit_agent`);
  await db.admin(`CREATE ROLE ${outsider} LOGIN`);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end()));
  await db?.close();
  await db?.admin(`DROP ROLE IF EXISTS ${agentRole}`);
  await db?.admin(`DROP ROLE IF EXISTS ${outsider}`);
});

describe('pggit_agent', () => {
  it('is NOLOGIN', async () => {
    const r = await db.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'pggit_agent'");
    expect(r.rows[0]!.rolcanlogin).toBe(false);
  });

  it('may use the whole API and read the views', async () => {
    const c = await as(agentRole);
    const r = await register(c, agentRole, 'secure_feature', 'CREATE TABLE secure_t (id int)');
    expect(r.intent.status).toBe('registered');
    const started = await result<{ status: string }>(
      c,
      'SELECT pggit_mark_in_progress($1) AS result',
      [r.intent.id],
    );
    expect(started.status).toBe('in_progress');
    expect(await result(c, 'SELECT pggit_history($1) AS result', [r.intent.id])).toHaveLength(2);
    const view = await c.query('SELECT status FROM pggit_intents WHERE id = $1', [r.intent.id]);
    expect(view.rows).toEqual([{ status: 'in_progress' }]);
    await c.query('SELECT * FROM pggit_open_conflicts');
    // the history row says who, from the session
    const h = await db.query(
      'SELECT changed_by FROM pggit.tb_pggit_intent_history WHERE intent_id = $1 ORDER BY id',
      [r.intent.id],
    );
    expect(h.rows.map((x) => x.changed_by)).toEqual([agentRole, agentRole]);
  });

  it('may call the pure functions, which load the bundle in its own context', async () => {
    const c = await as(agentRole);
    const parsed = await result<{ objects: { qualified: string }[] }>(
      c,
      "SELECT pggit_parse('ALTER TABLE ONLY public.users ADD email text') AS result",
    );
    expect(parsed.objects.map((o) => o.qualified)).toEqual(['public.users', 'public.users.email']);
    const detected = await result<{ conflict_type: string }[]>(
      c,
      'SELECT pggit_detect($1::jsonb, $2::jsonb) AS result',
      [
        JSON.stringify({
          agent_id: 'a',
          feature_name: 'f',
          schema_changes: 'ALTER TABLE t ADD c int',
        }),
        JSON.stringify({
          agent_id: 'b',
          feature_name: 'g',
          schema_changes: 'ALTER TABLE t ADD c int',
        }),
      ],
    );
    expect(detected.map((d) => d.conflict_type).sort()).toEqual(['column', 'table']);
    expect(await result(c, "SELECT pggit_version()->>'version' AS result")).toMatch(/^\d+\.\d+/);
  });

  it('may not touch the tables directly', async () => {
    const c = await as(agentRole);
    await expectSqlError(c.query('SELECT * FROM pggit.tb_pggit_intent'), '42501');
    await expectSqlError(c.query("UPDATE pggit.tb_pggit_intent SET status = 'merged'"), '42501');
    await expectSqlError(c.query('DELETE FROM pggit.tb_pggit_conflict'), '42501');
    await expectSqlError(
      c.query(
        "INSERT INTO pggit.tb_pggit_intent_history (intent_id, new_status, changed_by) VALUES ('x', 'y', 'z')",
      ),
      '42501',
    );
    await expectSqlError(c.query("UPDATE pggit.tb_pggit_settings SET value = 'off'"), '42501');
  });
});

describe('a role without pggit_agent', () => {
  it('may not execute the API', async () => {
    const c = await as(outsider);
    await expectSqlError(
      register(c, outsider, 'sneaky', 'CREATE TABLE sneaky (id int)'),
      '42501',
      /permission denied for function pggit_register/,
    );
    await expectSqlError(c.query('SELECT * FROM pggit_intents'), '42501');
  });
});

describe('bind_agent_identity', () => {
  it('when on, agent_id must equal the session user', async () => {
    await db.query(
      "UPDATE pggit.tb_pggit_settings SET value = 'on' WHERE key = 'bind_agent_identity'",
    );
    try {
      const c = await as(agentRole);
      const before = await db.query('SELECT count(*)::int AS n FROM pggit.tb_pggit_intent');
      const e = await expectSqlError(
        register(c, 'someone-else', 'impostor', 'CREATE TABLE imp (id int)'),
        '42501',
        new RegExp(`agent_id "someone-else" does not match the session user "${agentRole}"`),
      );
      expect(e.hint).toMatch(/bind_agent_identity is on/);
      expect((await db.query('SELECT count(*)::int AS n FROM pggit.tb_pggit_intent')).rows).toEqual(
        before.rows,
      );
      const ok = await register(c, agentRole, 'honest', 'CREATE TABLE honest (id int)');
      expect(ok.intent.agent_id).toBe(agentRole);
      // and only the owning agent may move its intents
      const other = await register(
        db.pool,
        'postgres',
        'owned_by_postgres',
        'CREATE TABLE owned (id int)',
      );
      await expectSqlError(
        result(c, 'SELECT pggit_mark_abandoned($1) AS result', [other.intent.id]),
        '42501',
      );
    } finally {
      await db.query(
        "UPDATE pggit.tb_pggit_settings SET value = 'off' WHERE key = 'bind_agent_identity'",
      );
    }
  });
});
