/**
 * PggitClient against the real SQL functions: every method, both sides of a
 * conflict, the lifecycle, resolution, history, SQLSTATEs preserved in
 * PggitError, and LISTEN notifications.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentIdOptions,
  type Conflict,
  compareVersions,
  connectionStringFromEnv,
  type Intent,
  PAGE_LIMIT,
  PggitClient,
  PggitError,
  type PggitEvent,
  packageVersion,
  resolveDatabaseUrl,
  type Status,
} from '../../src/client/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { withDatabase } from '../support/server.js';
import {
  closedPort,
  intentCount,
  PENDING,
  qualified,
  type SqlApi,
  silentServer,
  sqlApi,
} from './support.js';

let db: TestDatabase;
let client: PggitClient;
let api: SqlApi;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new PggitClient(db.pool);
  api = await sqlApi(db);
});
afterAll(async () => {
  await client?.close();
  await db?.close();
});

/** The PggitError a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<PggitError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PggitError);
    return err as PggitError;
  }
  throw new Error('expected a PggitError, but the call succeeded');
}

describe('where the database is', () => {
  it('connectionStringFromEnv() prefers PGGIT_DATABASE_URL, then DATABASE_URL', () => {
    expect(
      connectionStringFromEnv({
        PGGIT_DATABASE_URL: 'postgres://a/x',
        DATABASE_URL: 'postgres://b/y',
      }),
    ).toBe('postgres://a/x');
    expect(connectionStringFromEnv({ DATABASE_URL: 'postgresql://b/y' })).toBe('postgresql://b/y');
  });

  it('else it is an error: an installed client never starts or guesses a database', () => {
    const started = Date.now();
    const err = (() => {
      try {
        connectionStringFromEnv({ PATH: process.env.PATH });
      } catch (e) {
        return e as PggitError;
      }
      throw new Error('expected an error');
    })();
    expect(err).toBeInstanceOf(PggitError);
    expect(err.code).toBe('no_database');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a URL that is not postgres:// is refused before any connection, password hidden', () => {
    expect(() => new PggitClient('not-a-url')).toThrow(
      expect.objectContaining({ code: 'bad_url', message: expect.stringContaining('"not-a-url"') }),
    );
    expect(() => resolveDatabaseUrl(undefined, { DATABASE_URL: 'mysql://me:secret@h/db' })).toThrow(
      expect.objectContaining({
        code: 'bad_url',
        message: expect.stringMatching(
          /^DATABASE_URL must be a postgres:\/\/ URL .*mysql:\/\/me:\*\*\*@h\/db/,
        ),
      }),
    );
  });

  it('a pg options object or anything else that is not a pool is refused at once, saying what to pass', () => {
    for (const bad of [{ connectionString: db.url }, null, 42, {}]) {
      expect(() => new PggitClient(bad as never)).toThrow(
        new TypeError(
          'PggitClient takes a postgres:// connection string or a pg.Pool; for pg options, pass new pg.Pool(options)',
        ),
      );
    }
  });

  it('a connectTimeoutMs a Node timer cannot hold is refused, not turned into an instant timeout', async () => {
    for (const bad of [2 ** 31, -1, 1.5, Number.NaN]) {
      expect(() => new PggitClient(db.url, { connectTimeoutMs: bad })).toThrow(RangeError);
    }
    const patient = new PggitClient(db.url, { connectTimeoutMs: 2 ** 31 - 1 });
    try {
      expect((await patient.version()).version).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      await patient.close();
    }
  });

  it('an unreachable server is `unreachable`: refused, or silent past connectTimeoutMs', async () => {
    const refused = new PggitClient(`postgres://u@127.0.0.1:${await closedPort()}/x`);
    try {
      const err = await rejection(refused.listIntents());
      expect(err.code).toBe('unreachable');
      expect(err.message).toMatch(
        /^cannot connect to postgres:\/\/u@127\.0\.0\.1:\d+\/x: connection refused \(ECONNREFUSED\)$/,
      );
    } finally {
      await refused.close();
    }
    const silent = await silentServer();
    const hung = new PggitClient(`postgres://u@127.0.0.1:${silent.port}/x`, {
      connectTimeoutMs: 300,
    });
    try {
      const err = await rejection(hung.version());
      expect(err).toMatchObject({
        code: 'unreachable',
        message: expect.stringMatching(/: timed out$/),
      });
      await waitUntil(() => silent.held().length === 1);
      // hung up after connectTimeoutMs, not the default 5 s
      expect(silent.held()[0]).toBeGreaterThan(250);
      expect(silent.held()[0]).toBeLessThan(3_000);
    } finally {
      await hung.close();
      await silent.close();
    }
  });
});

describe('the installed pggit', () => {
  it('a database without pggit: `not_installed`, saying to run pggit install', async () => {
    const name = `${db.name}_bare`;
    await db.admin(`CREATE DATABASE ${name}`);
    const bare = new PggitClient(withDatabase(db.url, name));
    try {
      for (const call of [
        () => bare.listIntents(),
        () => bare.version(),
        () => bare.openConflicts(),
      ]) {
        const err = await rejection(call());
        expect(err.code).toBe('not_installed');
        expect(err.message).toMatch(
          /^pggit is not installed in this database \(database "\w+_bare" on 127\.0\.0\.1:\d+\): run `pggit install --database-url …`$/,
        );
      }
    } finally {
      await bare.close();
      await db.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('the API schema can be named; a schema without pggit is `not_installed`', async () => {
    const inPublic = new PggitClient(db.pool, { apiSchema: 'public' });
    expect((await inPublic.version()).version).toBe(packageVersion());
    const elsewhere = new PggitClient(db.pool, { apiSchema: 'nowhere' });
    const err = await rejection(elsewhere.listIntents());
    expect(err.code).toBe('not_installed');
    expect(err.message).toContain('schema "nowhere"');
  });

  it('compares the installed version once per client, before its first call; another version is one error and no write', async () => {
    const other = await createTestDatabase();
    try {
      // pggit_version() counting its calls, reporting the version we set
      await other.query(`CREATE TABLE public.version_calls (n int); INSERT INTO public.version_calls VALUES (0);
        CREATE TABLE public.fake_version (v text); INSERT INTO public.fake_version VALUES ('${packageVersion()}');
        CREATE OR REPLACE FUNCTION ${await qualified(other, 'pggit_version')}() RETURNS jsonb LANGUAGE sql VOLATILE AS $$
          UPDATE public.version_calls SET n = n + 1;
          SELECT jsonb_build_object('version', v, 'bundle_hash', NULL, 'runtime', NULL) FROM public.fake_version $$`);
      const calls = async () =>
        (await other.query('SELECT n FROM public.version_calls')).rows[0]?.n;
      const c = new PggitClient(other.pool);
      await c.register({
        agentId: 'v',
        featureName: 'v',
        schemaChanges: 'CREATE TABLE v (id int)',
      });
      await c.listIntents();
      await c.openConflicts();
      await c.parse('CREATE TABLE w (id int)');
      expect(await calls()).toBe(1);
      await new PggitClient(other.pool).listIntents();
      expect(await calls()).toBe(2);
      // without the check, none
      await new PggitClient(other.pool, { checkVersion: false }).listIntents();
      expect(await calls()).toBe(2);

      await other.query(`UPDATE public.fake_version SET v = '0.0.1'`);
      const older = await rejection(
        new PggitClient(other.pool).register({
          agentId: 'v',
          featureName: 'w',
          schemaChanges: 'CREATE TABLE w (id int)',
        }),
      );
      expect(older).toMatchObject({
        code: 'version_mismatch',
        message: `pggit 0.0.1 is installed here, this is ${packageVersion()}: run pggit install`,
      });
      expect(await intentCount(other)).toBe(1);
      await other.query(`UPDATE public.fake_version SET v = '99.0.0'`);
      const newer = await rejection(new PggitClient(other.pool).listIntents());
      expect(newer.message).toBe(
        `pggit 99.0.0 is installed here, this is ${packageVersion()}: upgrade this client (npm i pggit@99.0.0)`,
      );
      // version() never compares: it is how one finds out
      expect((await new PggitClient(other.pool).version()).version).toBe('99.0.0');
    } finally {
      await other.close();
    }
  });

  it('PAGE_LIMIT is the largest page pggit_list_intents allows', async () => {
    const { LIMITS } = await import('../../src/registry/validate.js');
    expect(PAGE_LIMIT).toBe(LIMITS.page);
    expect((await rejection(client.listIntents({ limit: PAGE_LIMIT + 1 }))).code).toBe('22023');
    expect(await client.listIntents({ limit: PAGE_LIMIT })).toEqual(expect.any(Array));
  });

  it('compareVersions orders versions', () => {
    expect(compareVersions('0.1.0', '0.1.0')).toBe(0);
    expect(compareVersions('0.1.0', '0.2.0')).toBe(-1);
    expect(compareVersions('0.10.0', '0.9.1')).toBe(1);
    expect(compareVersions('1.0.0', '1.0.0-rc.1')).toBe(1);
    expect(compareVersions('unknown', '0.1.0')).toBeNull();
  });
});

describe('stateless functions', () => {
  it('version() reports the package version and the PLV8 runtime', async () => {
    const v = await client.version();
    expect(v.version).toBe(packageVersion());
    expect(typeof v.runtime).toBe('string');
  });

  it('parse() lists the objects a script touches, in the default schema given', async () => {
    const sql =
      'ALTER TABLE users ADD COLUMN email text; CREATE INDEX users_email_idx ON users (email)';
    const parsed = await client.parse(sql);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['ALTER TABLE', 'CREATE INDEX']);
    expect(parsed.objects.map((o) => o.qualified)).toContain('public.users.email');
    const inApp = await client.parse(sql, 'app');
    expect(inApp.objects.map((o) => o.qualified)).toContain('app.users.email');
  });

  it('detect() compares two intents without writing anything', async () => {
    const reports = await client.detect(
      { agent_id: 'x', feature_name: 'one', schema_changes: 'ALTER TABLE t ADD COLUMN c int' },
      { agent_id: 'y', feature_name: 'two', schema_changes: 'ALTER TABLE t ADD COLUMN c text' },
    );
    expect(reports).toContainEqual(
      expect.objectContaining({
        conflict_type: 'column',
        severity: 'error',
        affected_objects: ['public.t.c'],
      }),
    );
    expect(await client.listIntents()).toEqual([]);
  });
});

describe('two conflicting intents, resolution and lifecycle', () => {
  let a: Intent;
  let b: Intent;

  it('register() returns a registered intent with every column, options passed through', async () => {
    const r = await client.register({
      agentId: 'agent-a',
      featureName: 'user_email',
      schemaChanges: 'ALTER TABLE users ADD COLUMN email TEXT',
      tablesAffected: ['users'],
      estimatedDurationMs: 60_000,
      riskLevel: 'medium',
      metadata: { ticket: 'PG-1' },
    });
    a = r.intent;
    expect(r.conflicts).toEqual([]);
    expect(a).toMatchObject({
      agent_id: 'agent-a',
      feature_name: 'user_email',
      branch_name: 'feature/user_email',
      schema_changes: ['ALTER TABLE users ADD COLUMN email TEXT'],
      tables_affected: ['users'],
      estimated_duration_ms: 60_000,
      risk_level: 'medium',
      status: 'registered',
      conflicts_with: [],
      metadata: { ticket: 'PG-1' },
    });
    expect(a.object_keys.length).toBeGreaterThan(0);
    expect(new Date(a.created_at).toISOString()).not.toBe('Invalid Date');
    expect(typeof a.updated_at).toBe('string');
  });

  it('register() leaves out omitted options, so SQL applies its defaults', async () => {
    const r = await client.register({
      agentId: 'agent-a',
      featureName: 'audit log',
      schemaChanges: 'CREATE TABLE audit_log (id bigint PRIMARY KEY)',
    });
    expect(r.intent).toMatchObject({
      risk_level: 'low',
      metadata: {},
      tables_affected: [],
      estimated_duration_ms: null,
      status: 'registered',
    });
  });

  it('a conflicting registration records conflicts seen from both sides', async () => {
    const r = await client.register({
      agentId: 'agent-b',
      featureName: 'email_verification',
      schemaChanges: 'ALTER TABLE users ADD COLUMN email VARCHAR(255)',
    });
    b = r.intent;
    expect(b.status).toBe('conflicted');
    expect(b.conflicts_with).toEqual([a.id]);
    const byType = Object.fromEntries(r.conflicts.map((c) => [c.conflict_type, c]));
    expect(byType.column).toMatchObject({
      intent_a: b.id,
      intent_b: a.id,
      severity: 'error',
      affected_objects: ['public.users.email'],
      reviewed: false,
      reviewed_at: null,
      reviewed_by: null,
      resolution_notes: null,
    });
    expect(byType.table).toMatchObject({ severity: 'warning', affected_objects: ['public.users'] });
    expect(byType.column?.resolution_suggestions.length).toBeGreaterThan(0);
    expect(typeof byType.column?.id).toBe('number');

    // The earlier intent learns of the newcomer, keeping its status.
    const aNow = await client.getIntent(a.id);
    expect(aNow).toMatchObject({ status: 'registered', conflicts_with: [b.id] });
    const ids = r.conflicts.map((c) => c.id).sort();
    expect((await client.getConflicts(a.id)).map((c) => c.id).sort()).toEqual(ids);
    expect((await client.getConflicts(b.id)).map((c) => c.id).sort()).toEqual(ids);
  });

  it('check() reports what register would record, and writes nothing', async () => {
    const before = await client.listIntents();
    const r = await client.check({
      agentId: 'agent-c',
      featureName: 'email_index',
      schemaChanges: 'ALTER TABLE users DROP COLUMN email',
      tablesAffected: ['users'],
    });
    expect(r.conflicts_detected).toBe(r.conflicts.length);
    expect(r.conflicts_detected).toBeGreaterThan(0);
    expect(r.conflicts.map((c) => c.with_agent)).toEqual(
      expect.arrayContaining(['agent-a', 'agent-b']),
    );
    expect(r.conflicts[0]).toMatchObject({ intent_a: null });
    expect(r.objects.map((o) => o.qualified)).toContain('public.users.email');
    expect(await client.listIntents()).toEqual(before);
  });

  it('listIntents() returns newest first and filters by status and agent', async () => {
    const all = await client.listIntents();
    expect(all).toHaveLength(3);
    expect(all[0]?.id).toBe(b.id);
    expect(all[2]?.id).toBe(a.id);
    expect((await client.listIntents({ status: 'conflicted' })).map((i) => i.id)).toEqual([b.id]);
    expect((await client.listIntents({ agentId: 'agent-b' })).map((i) => i.id)).toEqual([b.id]);
    expect(await client.listIntents({ status: 'merged', agentId: 'agent-a' })).toEqual([]);
  });

  it('getIntent() returns null for an unknown id', async () => {
    expect(await client.getIntent('no-such-intent')).toBeNull();
  });

  it('openConflicts() reads the open-conflicts view: all, or one intent’s', async () => {
    const all = await client.openConflicts();
    const ofB = await client.openConflicts(b.id);
    expect(ofB.length).toBeGreaterThanOrEqual(2);
    expect(ofB.every((c) => c.intent_a === b.id || c.intent_b === b.id)).toBe(true);
    expect(ofB[0]).toMatchObject({
      agent_a: 'agent-b',
      agent_b: 'agent-a',
      status_a: 'conflicted',
    });
    expect(all.map((c) => c.id)).toEqual(expect.arrayContaining(ofB.map((c) => c.id)));
    expect(await client.openConflicts(b.id.toUpperCase())).toEqual(ofB);
    expect(await client.openConflicts('no-such-intent')).toEqual([]);
  });

  it('a conflicted intent cannot start while an error conflict is open: 55000 with detail and hint', async () => {
    const err = await rejection(client.markInProgress(b.id));
    expect(err.code).toBe('55000');
    expect(err.message).toContain(b.id);
    expect(err.detail).toContain('column');
    expect(err.hint).toContain('pggit_resolve_conflict');
    expect((await client.getIntent(b.id))?.status).toBe('conflicted');
  });

  it('resolveConflict() marks conflicts reviewed; once all are, the intent returns to registered', async () => {
    const open = await client.getConflicts(b.id);
    for (const c of open) {
      const resolved = await client.resolveConflict(c.id, 'B reuses the email column of A', 'lead');
      expect(resolved).toMatchObject({
        id: c.id,
        reviewed: true,
        reviewed_by: 'lead',
        resolution_notes: 'B reuses the email column of A',
      });
      expect(resolved.reviewed_at).not.toBeNull();
    }
    expect((await client.getIntent(b.id))?.status).toBe('registered');
    const started = await client.markInProgress(b.id, { reason: 'conflicts resolved' });
    expect(started.status).toBe('in_progress');
  });

  it('the lifecycle runs registered → in_progress → completed → merged, recorded in history', async () => {
    expect(
      (await client.markInProgress(a.id, { reason: 'coding', changedBy: 'agent-a' })).status,
    ).toBe('in_progress');
    expect((await client.markCompleted(a.id, { reason: 'tests pass' })).status).toBe('completed');
    expect((await client.markMerged(a.id, { changedBy: 'ci' })).status).toBe('merged');

    const history = await client.history(a.id);
    expect(history.map((h) => [h.old_status, h.new_status])).toEqual([
      [null, 'registered'],
      ['registered', 'in_progress'],
      ['in_progress', 'completed'],
      ['completed', 'merged'],
    ]);
    expect(history[1]).toMatchObject({ intent_id: a.id, reason: 'coding', changed_by: 'agent-a' });
    expect(history[2]?.reason).toBe('tests pass');
    expect(history[3]?.changed_by).toBe('ci');
    expect(typeof history[0]?.changed_at).toBe('string');
  });

  it('a forbidden transition is 55000 and changes nothing', async () => {
    const err = await rejection(client.markAbandoned(a.id, { reason: 'too late' }));
    expect(err.code).toBe('55000');
    expect(err.message).toContain('merged');
    expect((await client.getIntent(a.id))?.status).toBe('merged');
    const again = await rejection(client.transition(b.id, 'merged'));
    expect(again.code).toBe('55000');
  });

  it('abandoning works from an unfinished state', async () => {
    const r = await client.register({
      agentId: 'agent-d',
      featureName: 'scratch',
      schemaChanges: 'CREATE TABLE scratch (id int)',
    });
    const abandoned = await client.markAbandoned(r.intent.id, { reason: 'not needed' });
    expect(abandoned.status).toBe('abandoned');
    expect((await client.history(r.intent.id)).at(-1)).toMatchObject({
      new_status: 'abandoned',
      reason: 'not needed',
    });
  });
});

describe('paging, severity and reopening', () => {
  it('listIntents() pages newest first with limit and after; listAllIntents() reads every page; open counts come along', async (ctx) => {
    ctx.skip(!api.paging, PENDING);
    for (let i = 0; i < 5; i++) {
      await client.register({
        agentId: 'pager',
        featureName: `page ${i}`,
        schemaChanges: `CREATE TABLE page_${i} (id int)`,
      });
    }
    const all = await client.listIntents({ agentId: 'pager' });
    expect(all.map((i) => i.feature_name)).toEqual([
      'page 4',
      'page 3',
      'page 2',
      'page 1',
      'page 0',
    ]);
    const first = await client.listIntents({ agentId: 'pager', limit: 2 });
    const second = await client.listIntents({ agentId: 'pager', limit: 2, after: first[1]?.id });
    expect([...first, ...second].map((i) => i.id)).toEqual(all.slice(0, 4).map((i) => i.id));
    expect((await client.listAllIntents({ agentId: 'pager' }, 2)).map((i) => i.id)).toEqual(
      all.map((i) => i.id),
    );
    expect(all[0]).toMatchObject({ open_conflicts: 0, open_errors: 0 });
  });

  it('resolveConflict() can re-rate the severity; a second resolve is 55000 until reopenConflict()', async (ctx) => {
    ctx.skip(!api.resolveSeverity || !api.reopen, PENDING);
    await client.register({
      agentId: 'sev-a',
      featureName: 'sev a',
      schemaChanges: 'ALTER TABLE sev ADD COLUMN c int',
    });
    const r = await client.register({
      agentId: 'sev-b',
      featureName: 'sev b',
      schemaChanges: 'ALTER TABLE sev ADD COLUMN c text',
    });
    const col = r.conflicts.find((c) => c.conflict_type === 'column') as Conflict;
    const resolved = await client.resolveConflict(col.id, 'fine', {
      reviewedBy: 'lead',
      severity: 'warning',
    });
    expect(resolved).toMatchObject({ reviewed: true, reviewed_by: 'lead', severity: 'warning' });
    expect((await rejection(client.resolveConflict(col.id, 'again'))).code).toBe('55000');
    const reopened = await client.reopenConflict(col.id, 'not fine after all');
    expect(reopened).toMatchObject({ id: col.id, reviewed: false });
    expect((await client.resolveConflict(col.id, 'now fine')).reviewed).toBe(true);
  });
});

describe('errors keep their SQLSTATE, message, detail and hint', () => {
  it('22023: a bad argument, named in the message', async () => {
    const empty = await rejection(
      client.register({ agentId: '', featureName: 'x', schemaChanges: 'CREATE TABLE x (id int)' }),
    );
    expect(empty.code).toBe('22023');
    expect(empty.message).toContain('agent_id');

    const risk = await rejection(
      client.register({
        agentId: 'agent-e',
        featureName: 'x',
        schemaChanges: 'CREATE TABLE x (id int)',
        riskLevel: 'extreme' as 'low',
      }),
    );
    expect(risk.code).toBe('22023');
    expect(risk.message).toContain('risk_level');

    const status = await rejection(client.listIntents({ status: 'bogus' as Status }));
    expect(status.code).toBe('22023');
    expect(status.message).toContain('status');

    const none = await rejection(
      client.check({ agentId: 'agent-e', featureName: 'x', schemaChanges: '  ' }),
    );
    expect(none.code).toBe('22023');
    expect(none.message).toContain('schema_changes');
  });

  it('P0002: an unknown intent or conflict', async () => {
    for (const call of [
      () => client.getConflicts('no-such-intent'),
      () => client.history('no-such-intent'),
      () => client.markInProgress('no-such-intent'),
      () => client.resolveConflict(999_999, 'notes'),
    ]) {
      const err = await rejection(call());
      expect(err.code).toBe('P0002');
      expect(err.message).toMatch(/does not exist/);
    }
  });

  it('a transition target that is not an SQL function is refused before any call', async () => {
    const err = await rejection(client.transition('x', 'registered' as 'merged'));
    expect(err.code).toBe('22023');
  });
});

describe('listen()', () => {
  it('receives registration and status events, and stops after unsubscribing', async () => {
    const events: PggitEvent[] = [];
    const stop = await client.listen((e) => events.push(e));
    const r = await client.register({
      agentId: 'agent-l',
      featureName: 'listen_feature',
      schemaChanges: 'CREATE TABLE listened (id int)',
    });
    await client.markInProgress(r.intent.id);
    await waitUntil(() => events.length >= 2);
    expect(events).toEqual([
      { event: 'registered', intent_id: r.intent.id, old_status: null, status: 'registered' },
      {
        event: 'status_changed',
        intent_id: r.intent.id,
        old_status: 'registered',
        status: 'in_progress',
      },
    ]);

    await stop();
    await client.markAbandoned(r.intent.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toHaveLength(2);
    // The connection went back to the pool, which still works.
    expect((await client.getIntent(r.intent.id))?.status).toBe('abandoned');
  });

  it('reports a lost connection to onError, with its SQLSTATE', async () => {
    const errors: Error[] = [];
    const stop = await client.listen(
      () => {},
      (err) => errors.push(err),
    );
    const killed = await db.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN pggit' AND pid <> pg_backend_pid()`,
    );
    expect(killed.rows).toEqual([{ ok: true }]);
    await waitUntil(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(PggitError);
    expect((errors[0] as PggitError).code).toBe('57P01');
    await stop(); // safe after the loss; the broken connection is discarded
    expect((await client.listIntents({ agentId: 'agent-l' })).length).toBe(1);
  });

  it('works on a client built from a connection string, and close() stops its listeners', async () => {
    const own = new PggitClient(db.url);
    const events: PggitEvent[] = [];
    await own.listen((e) => events.push(e));
    await client.register({
      agentId: 'agent-m',
      featureName: 'own_pool',
      schemaChanges: 'CREATE TABLE own_pool (id int)',
    });
    const r = await client.listIntents({ agentId: 'agent-m' });
    await waitUntil(() => events.length >= 1);
    expect(events[0]).toMatchObject({ event: 'registered', intent_id: r[0]?.id });
    await own.close();
    expect(own.pool.totalCount).toBe(0);
  });
});

describe('leases: heartbeat() and sweep()', () => {
  it('register() gives the lease asked for; heartbeat() renews it, for another length if given', async () => {
    const r = await client.register({
      agentId: 'lease-a',
      featureName: 'lease one',
      schemaChanges: 'CREATE TABLE lease_one (id int)',
      leaseSeconds: 3600,
    });
    expect(r.intent).toMatchObject({ lease_seconds: 3600, expired: false, applied_objects: [] });
    expect(r.intent.applied_at).toBeNull();
    const ahead = (iso: string) => (Date.parse(iso) - Date.now()) / 1000;
    expect(ahead(r.intent.lease_expires_at)).toBeGreaterThan(3500);
    const renewed = await client.heartbeat(r.intent.id.slice(0, 8), 120);
    expect(renewed).toMatchObject({ id: r.intent.id, lease_seconds: 120, expired: false });
    expect(ahead(renewed.lease_expires_at)).toBeGreaterThan(60);
    expect(ahead(renewed.lease_expires_at)).toBeLessThanOrEqual(120);
    // without a length: its own lease again, from now
    const again = await client.heartbeat(r.intent.id);
    expect(again.lease_seconds).toBe(120);
    expect(Date.parse(again.lease_expires_at)).toBeGreaterThanOrEqual(
      Date.parse(renewed.lease_expires_at),
    );
  });

  it('an expired intent cannot be renewed (55000); sweep() abandons it and says which', async () => {
    const r = await client.register({
      agentId: 'lease-b',
      featureName: 'lease short',
      schemaChanges: 'CREATE TABLE lease_short (id int)',
      leaseSeconds: 1,
    });
    await waitUntilAsync(async () => (await client.getIntent(r.intent.id))?.expired === true);
    const err = await rejection(client.heartbeat(r.intent.id));
    expect(err.code).toBe('55000');
    expect(err.message).toMatch(/lease of intent .* expired at/);
    expect(err.hint).toMatch(/register the change again/);
    const swept = await client.sweep();
    expect(swept.intents).toContain(r.intent.id);
    expect(swept.swept).toBe(swept.intents.length);
    expect((await client.getIntent(r.intent.id))?.status).toBe('abandoned');
    expect((await client.history(r.intent.id)).at(-1)).toMatchObject({
      new_status: 'abandoned',
      reason: 'lease expired',
    });
    expect(await client.sweep(10)).toEqual({ swept: 0, intents: [] });
    expect((await rejection(client.sweep(0))).code).toBe('22023');
  });
});

describe('the drift guard: agentId and drift()', () => {
  const odd = `o'brien "the" agent\\ 9 = -c x\ttab`;

  it('agentIdOptions() escapes what PostgreSQL splits on, so any name arrives exactly', async () => {
    for (const name of [odd, 'plain', ' lead and trail ', 'back\\\\slash\\', 'ünïcødé ✓', '--c']) {
      const c = new pg.Client({ connectionString: db.url, options: agentIdOptions(name) });
      await c.connect();
      try {
        const { rows } = await c.query("SELECT current_setting('pggit.agent_id') AS v");
        expect(rows[0].v, name).toBe(name);
      } finally {
        await c.end();
      }
    }
    expect(() => agentIdOptions('')).toThrow(/non-empty/);
  });

  it('DDL run through a client with agentId is attributed to that agent in drift()', async () => {
    const version = await client.version();
    expect(version.drift_guard).toBe(true); // the test template is installed by a superuser
    const agent = new PggitClient(db.url, { agentId: odd });
    try {
      const before = new Date(Date.now() - 1000);
      // declared: no finding, and the intent is marked applied
      const declared = await agent.register({
        agentId: odd,
        featureName: 'drift declared',
        schemaChanges: 'CREATE TABLE drift_declared (id int)',
      });
      await agent.pool.query('CREATE TABLE drift_declared (id int)');
      const applied = await agent.getIntent(declared.intent.id);
      expect(applied?.applied_at).not.toBeNull();
      expect(applied?.applied_objects).toContain('table|public.drift_declared');
      // undeclared: a finding under the agent's name, not the database user's
      await agent.pool.query('CREATE TABLE drift_undeclared (id int)');
      const findings = await client.drift({ since: before });
      expect(findings).toEqual([
        expect.objectContaining({
          agent_id: odd,
          finding: 'undeclared',
          command_tag: 'CREATE TABLE',
          objects: expect.arrayContaining([
            expect.objectContaining({ kind: 'table', qualified: 'public.drift_undeclared' }),
          ]),
        }),
      ]);
      expect(findings[0]?.session_role).not.toBe(odd);
      // without agentId, the database user is the agent
      await client.pool.query('CREATE TABLE drift_by_user (id int)');
      const newest = await client.drift({ since: before.toISOString(), limit: 1 });
      expect(newest).toHaveLength(1);
      expect(newest[0]?.agent_id).toBe(newest[0]?.session_role);
      expect((await rejection(client.drift({ limit: 0 }))).code).toBe('22023');
    } finally {
      await agent.close();
    }
  });

  it('the URL’s own options are kept beside the agent’s; a pool of your own takes agentIdOptions()', async () => {
    const url = new URL(db.url);
    url.searchParams.set('options', '-c statement_timeout=4321');
    const agent = new PggitClient(url.toString(), { agentId: 'url-agent' });
    try {
      const { rows } = await agent.pool.query(
        "SELECT current_setting('pggit.agent_id') AS a, current_setting('statement_timeout') AS t",
      );
      expect(rows[0]).toEqual({ a: 'url-agent', t: '4321ms' });
    } finally {
      await agent.close();
    }
    expect(() => new PggitClient(db.pool, { agentId: 'x' })).toThrow(/agentIdOptions/);
  });
});

describe('reviews, rules and settings', () => {
  it('addRule() makes an owner rule; register() says which reviews it needs and the advice; review() and reviews() follow it', async () => {
    const owner = await client.addRule({
      kind: 'owner',
      pattern: 'public.rv_pay*',
      owner: 'rv-team',
    });
    expect(owner).toMatchObject({ kind: 'owner', pattern: 'public.rv_pay*', removed_at: null });
    const advice = await client.addRule({
      kind: 'advice',
      metadataKey: 'org',
      metadataValue: 'finance',
      advice: 'ask compliance',
    });
    expect((await client.rules()).map((r) => r.id)).toEqual(
      expect.arrayContaining([owner.id, advice.id]),
    );
    const r = await client.register({
      agentId: 'rv-outsider',
      featureName: 'rv refunds',
      schemaChanges: 'ALTER TABLE rv_payments ADD COLUMN refunded_at timestamptz',
      metadata: { org: 'finance' },
    });
    expect(r.required_reviews).toEqual([
      {
        rule_id: owner.id,
        owner: 'rv-team',
        objects: ['public.rv_payments', 'public.rv_payments.refunded_at'],
      },
    ]);
    expect(r.advice).toEqual(['ask compliance']);
    expect((await rejection(client.markInProgress(r.intent.id))).code).toBe('55000');
    const pending = await client.reviews(r.intent.id);
    expect(pending.required).toEqual([
      expect.objectContaining({ rule_id: owner.id, decision: null }),
    ]);
    // someone else may not review in the owner's place
    const refused = await rejection(
      client.review(r.intent.id, 'approved', { ruleId: owner.id, reviewer: 'rv-outsider' }),
    );
    expect(refused.code).toBe('42501');
    const state = await client.review(r.intent.id, 'approved', {
      ruleId: owner.id,
      reviewer: 'rv-team',
      notes: 'fine by payments',
    });
    expect(state.required.map((q) => q.decision)).toEqual(['approved']);
    expect(state.reviews).toEqual([
      expect.objectContaining({
        rule_id: owner.id,
        decision: 'approved',
        reviewer: 'rv-team',
        notes: 'fine by payments',
      }),
    ]);
    expect((await client.markInProgress(r.intent.id)).status).toBe('in_progress');
    const removed = await client.removeRule(owner.id);
    expect(removed.removed_at).not.toBeNull();
    await client.removeRule(advice.id);
    expect((await client.rules()).map((x) => x.id)).not.toContain(owner.id);
    expect((await rejection(client.removeRule(owner.id))).code).toBe('22023');
  });

  it('settings() and setSetting(); a review gate decision needs someone other than the agent', async () => {
    expect(await client.settings()).toMatchObject({ review_gate: 'off', drift_mode: 'warn' });
    expect(await client.setSetting('review_gate', 'on')).toEqual({ review_gate: 'on' });
    try {
      const r = await client.register({
        agentId: 'gate-a',
        featureName: 'gated',
        schemaChanges: 'CREATE TABLE gated_c (id int)',
      });
      expect((await client.reviews(r.intent.id)).gate).toEqual({ enabled: true, decision: null });
      const self = await rejection(client.review(r.intent.id, 'approved', { reviewer: 'gate-a' }));
      expect(self.code).toBe('42501');
      const state = await client.review(r.intent.id, 'rejected', {
        reviewer: 'gate-b',
        notes: 'needs an index',
      });
      expect(state.gate).toEqual({ enabled: true, decision: 'rejected' });
    } finally {
      await client.setSetting('review_gate', 'off');
    }
    expect((await rejection(client.setSetting('colour', 'blue'))).code).toBe('22023');
  });

  it('a role with pggit_agent only may read rules and settings, not change them (42501)', async () => {
    const role = `client_agent_${Math.random().toString(36).slice(2, 8)}`;
    await db.admin(`CREATE ROLE ${role} LOGIN IN ROLE pggit_agent`);
    const agent = new PggitClient(db.urlFor(role));
    try {
      expect(Array.isArray(await agent.rules())).toBe(true);
      expect((await agent.settings()).drift_mode).toBe('warn');
      const err = await rejection(
        agent.addRule({ kind: 'advice', pattern: 'public.x*', advice: 'x' }),
      );
      expect(err.code).toBe('42501');
      expect(err.message).toMatch(/permission denied for function pggit_add_rule/);
      expect((await rejection(agent.setSetting('drift_mode', 'off'))).code).toBe('42501');
    } finally {
      await agent.close();
      await db.admin(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

async function waitUntil(done: () => boolean, ms = 5_000) {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
}

async function waitUntilAsync(done: () => Promise<boolean>, ms = 10_000) {
  const until = Date.now() + ms;
  while (!(await done()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}

describe('getIntents()', () => {
  it('getIntents() reads several whole intents in one call, in order, null where there is none', async () => {
    const reg = async (agentId: string) =>
      (
        await client.register({
          agentId,
          featureName: `many ${agentId}`,
          schemaChanges: `CREATE TABLE ${agentId.replace('-', '_')} (id int)`,
        })
      ).intent.id;
    const first = await reg('many-a');
    const second = await reg('many-b');
    const got = await client.getIntents([
      second,
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      first.slice(0, 8),
    ]);
    expect(got).toEqual([await client.getIntent(second), null, await client.getIntent(first)]);
    expect(got[0]).toHaveProperty('schema_changes');
    expect(await client.getIntents([])).toEqual([]);
    // what getIntent gives for a name that is no intent id: null
    expect(await client.getIntents(['abc'])).toEqual([await client.getIntent('abc')]);
  });
});

describe('maxConflicts', () => {
  it("lists 100 by default, a number, or every one with 'all' (SQL NULL); all are recorded", async () => {
    // 51 intents on one table, each adding a column and a constraint: a
    // newcomer of the same shape meets each twice, 102 conflicts
    const shape = (c: string) =>
      `ALTER TABLE mc_hot ADD COLUMN ${c} int; ALTER TABLE mc_hot ADD CONSTRAINT mc_${c}_check CHECK (${c} > 0)`;
    for (let i = 0; i < 51; i++) {
      await client.register({
        agentId: `mc-${i}`,
        featureName: `mc ${i}`,
        schemaChanges: shape(`c${i}`),
      });
    }
    const input = { agentId: 'mc-new', featureName: 'mc new', schemaChanges: shape('cnew') };
    const byDefault = await client.check(input);
    expect([
      byDefault.conflicts_detected,
      byDefault.conflicts.length,
      byDefault.conflicts_omitted,
    ]).toEqual([102, 100, 2]);
    const all = await client.check({ ...input, maxConflicts: 'all' });
    expect([all.conflicts.length, all.conflicts_omitted]).toEqual([102, 0]);
    const five = await client.register({ ...input, maxConflicts: 5 });
    expect([five.conflicts_recorded, five.conflicts.length, five.conflicts_omitted]).toEqual([
      102, 5, 97,
    ]);
    expect(await client.getConflicts(five.intent.id)).toHaveLength(102);
  });
});
