/**
 * The drift guard, with real DDL on the real server: what an agent runs is
 * compared with what its active intents declared (warn and enforce modes),
 * the owner alone may switch it off per session, it never breaks DDL it
 * cannot analyse, and where no superuser installs pggit it is simply absent.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install } from '../../src/install/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runOnce, withDatabase } from '../support/server.js';
import { expectSqlError, register, result } from './helpers.js';

let db: TestDatabase;
const agentRole = `drift_agent_${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.admin(`CREATE ROLE ${agentRole} LOGIN IN ROLE pggit_agent`);
  await db.query(`GRANT CREATE ON SCHEMA public TO ${agentRole}`);
});
afterAll(async () => {
  await db?.close();
  await db?.admin(`DROP ROLE IF EXISTS ${agentRole}`);
});

/** A session that runs DDL as `agent` (pggit.agent_id), collecting its warnings. */
async function session(agent: string, role?: string) {
  const c = new pg.Client({ connectionString: role ? db.urlFor(role) : db.url });
  await c.connect();
  const warnings: string[] = [];
  c.on('notice', (n) => {
    if (n.severity === 'WARNING') warnings.push(n.message ?? '');
  });
  await c.query('SELECT set_config($1, $2, false)', ['pggit.agent_id', agent]);
  return { c, warnings };
}

const findings = async (agent: string) =>
  (
    await db.query(
      'SELECT finding, command_tag, objects, own_intents, other_intents FROM pggit.tb_pggit_drift WHERE agent_id = $1 ORDER BY id',
      [agent],
    )
  ).rows;

const setMode = (mode: string) =>
  db.query("UPDATE pggit.tb_pggit_settings SET value = $1 WHERE key = 'drift_mode'", [mode]);

describe('warn mode (the default)', () => {
  it('declared DDL passes silently and marks the intent applied; undeclared DDL is a finding and a WARNING', async () => {
    const intent = await register(
      db.pool,
      'dr-a',
      'drift declared',
      'ALTER TABLE dr_t ADD COLUMN a int',
    );
    await db.query(
      'SET pggit.drift_mode = off; CREATE TABLE dr_t (id int); RESET pggit.drift_mode',
    );
    const { c, warnings } = await session('dr-a');
    try {
      await c.query('ALTER TABLE dr_t ADD COLUMN a int');
      expect(warnings).toEqual([]);
      expect(await findings('dr-a')).toEqual([]);
      const applied = await db.query(
        'SELECT applied_objects, applied_at IS NOT NULL AS done, status FROM pggit.tb_pggit_intent WHERE id = $1',
        [intent.intent.id],
      );
      // applied, and its status untouched: completed stays the agent's word
      expect(applied.rows[0]).toEqual({
        applied_objects: ['column|public.dr_t.a', 'table|public.dr_t'],
        done: true,
        status: 'registered',
      });
      await c.query('ALTER TABLE dr_t ADD COLUMN undeclared int');
      expect(warnings).toEqual([
        'pggit drift: dr-a ran ALTER TABLE on column public.dr_t.undeclared, which no active intent of dr-a declares',
      ]);
      expect(await findings('dr-a')).toEqual([
        {
          finding: 'undeclared',
          command_tag: 'ALTER TABLE',
          objects: [
            expect.objectContaining({ kind: 'column', qualified: 'public.dr_t.undeclared' }),
          ],
          own_intents: [intent.intent.id],
          other_intents: [],
        },
      ]);
    } finally {
      await c.end();
    }
  });

  it('DDL on what another agent declared is a foreign finding, naming that intent', async () => {
    const theirs = await register(
      db.pool,
      'dr-owner',
      'their table',
      'CREATE TABLE dr_theirs (id int)',
    );
    const { c, warnings } = await session('dr-intruder');
    try {
      await c.query('CREATE TABLE dr_theirs (id int)');
      expect(warnings[0]).toMatch(
        /dr-intruder ran CREATE TABLE on table public\.dr_theirs.*dr-owner \("their table"\) has declared/,
      );
      const f = await findings('dr-intruder');
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ finding: 'foreign', other_intents: [theirs.intent.id] });
      // a drop is seen too (sql_drop)
      await c.query('DROP TABLE dr_theirs');
      expect((await findings('dr-intruder')).map((x) => [x.finding, x.command_tag])).toEqual([
        ['foreign', 'CREATE TABLE'],
        ['foreign', 'DROP TABLE'],
      ]);
    } finally {
      await c.end();
    }
  });

  it('without pggit.agent_id, the session user is the agent; pggit_drift reads the findings', async () => {
    const { c } = await session('', agentRole);
    try {
      await c.query('CREATE TABLE dr_by_role (id int)');
      const since = new Date(Date.now() - 60_000).toISOString();
      const read = await result<{ agent_id: string; command_tag: string }[]>(
        c,
        'SELECT pggit_drift(since => $1) AS result',
        [since],
      );
      expect(read[0]).toMatchObject({ agent_id: agentRole, command_tag: 'CREATE TABLE' });
    } finally {
      await c.end();
    }
  });

  it('never breaks DDL it cannot analyse, and reports what PostgreSQL names', async () => {
    const { c, warnings } = await session('dr-dyn');
    try {
      // DDL from inside a DO block: the text says nothing, the command names the table
      await c.query(`DO $$ BEGIN EXECUTE 'CREATE TABLE dr_dynamic (id int)'; END $$`);
      expect((await findings('dr-dyn')).map((f) => f.objects[0].qualified)).toEqual([
        'public.dr_dynamic',
      ]);
      // kinds pggit does not model: no finding, and the statement runs
      await c.query('CREATE AGGREGATE dr_sum (int) (sfunc = int4pl, stype = int)');
      await c.query('CREATE TEMP TABLE dr_temp (id int)');
      expect(await findings('dr-dyn')).toHaveLength(1);
      expect(warnings).toHaveLength(1);
    } finally {
      await c.end();
    }
  });

  it('an internal error of the guard is a WARNING in warn mode: the DDL still runs', async () => {
    await db.query(
      'SET pggit.drift_mode = off; ALTER TABLE pggit.tb_pggit_drift ADD CONSTRAINT sabotage CHECK (false) NOT VALID; RESET pggit.drift_mode',
    );
    const { c, warnings } = await session('dr-broken');
    try {
      await c.query('CREATE TABLE dr_despite (id int)');
      expect(warnings[0]).toMatch(
        /pggit drift guard could not check this statement \(it ran\): .*sabotage/,
      );
      expect((await c.query("SELECT to_regclass('dr_despite') IS NOT NULL AS ok")).rows[0].ok).toBe(
        true,
      );
    } finally {
      await c.end();
      await db.query(
        'SET pggit.drift_mode = off; ALTER TABLE pggit.tb_pggit_drift DROP CONSTRAINT sabotage; RESET pggit.drift_mode',
      );
    }
  });
});

describe('enforce mode', () => {
  it('refuses undeclared DDL with 42501 and rolls it back; declared DDL runs', async () => {
    await register(db.pool, 'dr-e', 'enforced', 'CREATE TABLE dr_allowed (id int)');
    await setMode('enforce');
    const { c } = await session('dr-e');
    try {
      await c.query('CREATE TABLE dr_allowed (id int)');
      const e = await expectSqlError(
        c.query('CREATE TABLE dr_refused (id int)'),
        '42501',
        /which no active intent of dr-e declares/,
      );
      expect(e.hint).toMatch(/register the change first/);
      expect((await c.query("SELECT to_regclass('dr_refused') IS NULL AS gone")).rows[0].gone).toBe(
        true,
      );
    } finally {
      await c.end();
      await setMode('warn');
    }
  });

  it('fails closed on an internal error, and only the owner may switch it off for a session', async () => {
    await setMode('enforce');
    const agent = await session('dr-x', agentRole);
    const owner = await session('dr-owner-session');
    try {
      // an agent's session override counts for nothing
      await agent.c.query("SET pggit.drift_mode = 'off'");
      await expectSqlError(agent.c.query('CREATE TABLE dr_agent_off (id int)'), '42501');
      // the owner's does
      await owner.c.query("SET pggit.drift_mode = 'off'");
      await owner.c.query('CREATE TABLE dr_owner_off (id int)');
      // sabotage the guard's own query: enforce refuses what it cannot check
      await owner.c.query(
        'ALTER TABLE pggit.tb_pggit_intent RENAME COLUMN applied_objects TO sabotaged',
      );
      await owner.c.query('RESET pggit.drift_mode');
      const e = await expectSqlError(owner.c.query('CREATE TABLE dr_unchecked (id int)'), 'XX000');
      expect(e.message).toMatch(/could not check this statement \(enforce mode refuses it\)/);
    } finally {
      await owner.c.query("SET pggit.drift_mode = 'off'");
      await owner.c.query(
        'ALTER TABLE pggit.tb_pggit_intent RENAME COLUMN sabotaged TO applied_objects',
      );
      await Promise.all([agent.c.end(), owner.c.end()]);
      await setMode('warn');
    }
  });

  it('never blocks pggit’s own install or upgrade', async () => {
    await setMode('enforce');
    try {
      const r = await install({ databaseUrl: db.url });
      expect(r.applied).toEqual([]);
      expect((await db.query("SELECT pggit_version()->>'version' AS v")).rows[0]!.v).toBe(
        r.version,
      );
    } finally {
      await setMode('warn');
    }
  });
});

describe('where no superuser installs pggit (a managed service)', () => {
  it('pggit installs and works without the guard, and says so', async () => {
    const admin = inject();
    const name = `pggit_nosu_${randomBytes(4).toString('hex')}`;
    const owner = `nosu_${randomBytes(3).toString('hex')}`;
    await runOnce(admin, `CREATE ROLE ${owner} LOGIN`);
    await runOnce(admin, `CREATE DATABASE ${name} OWNER ${owner}`);
    try {
      // what a provider does once: the extension (a superuser's job)
      const ext = (
        await db.query("SELECT extname FROM pg_extension WHERE extname IN ('plv8', 'plv8_compat')")
      ).rows[0]!.extname;
      await runOnce(withDatabase(admin, name), `CREATE EXTENSION ${ext}`);
      const notices: string[] = [];
      const r = await install({
        databaseUrl: withDatabase(admin, name, owner),
        log: (l) => notices.push(l),
      });
      expect(r.applied.length).toBeGreaterThan(0);
      const url = withDatabase(admin, name, owner);
      const v = await runOnce(url, 'SELECT pggit_version() AS v');
      expect(v.rows[0].v.drift_guard).toBe(false);
      const reg = await runOnce(
        url,
        "SELECT pggit_register('m', 'managed', 'CREATE TABLE m (id int)') AS r",
      );
      expect(reg.rows[0].r.intent.status).toBe('registered');
      await runOnce(url, 'CREATE TABLE m (id int)'); // no guard, no finding
      expect((await runOnce(url, 'SELECT pggit_drift() AS d')).rows[0].d).toEqual([]);
      expect(
        (
          await runOnce(
            url,
            "SELECT count(*)::int AS n FROM pg_event_trigger WHERE evtname LIKE 'pggit%'",
          )
        ).rows[0].n,
      ).toBe(0);
    } finally {
      await runOnce(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await runOnce(admin, `DROP ROLE IF EXISTS ${owner}`);
    }
  });
});

function inject(): string {
  return withDatabase(db.url, 'postgres');
}
