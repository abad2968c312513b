/**
 * The main job: agents coordinate their schema changes through pggit's SQL
 * API on the local database. Every call below is plain SQL that any client
 * could send; the demo prints each one and what a user would see: conflicts
 * on both sides, a blocked start and its resolution, the history, the drift
 * guard catching DDL nobody declared, and the lease of an agent that went
 * silent running out.
 *
 *   npm run demo        (sets up PostgreSQL, the PLV8 runtime and pggit first)
 */
import pg from 'pg';
import type { Conflict, Intent } from '../client/index.js';
import { freshLocalDatabase } from '../dev/local-db.js';

const DEMO_DB = 'pggit_demo';

async function demoDatabase(): Promise<string> {
  const external = process.env.PGGIT_DATABASE_URL ?? process.env.DATABASE_URL;
  return external ?? freshLocalDatabase(DEMO_DB);
}

const out = (s = '') => process.stdout.write(`${s}\n`);
const names = new Map<string, string>();
const who = (id: string) => names.get(id) ?? id;

async function sql<T>(client: pg.Client, text: string, params: unknown[] = []): Promise<T> {
  out(`  sql> ${text.replace(/\s+/g, ' ').trim()}`);
  const r = await client.query(text, params);
  return r.rows[0]?.result as T;
}

function showConflicts(selfId: string, conflicts: Conflict[]) {
  if (conflicts.length === 0) out('        no conflicts');
  for (const c of conflicts) {
    const other = c.intent_a === selfId ? c.intent_b : c.intent_a;
    out(
      `        ${c.severity.toUpperCase().padEnd(7)} ${c.conflict_type.padEnd(10)} ${c.affected_objects.join(', ')}  (with ${who(other)})${c.reviewed ? '  [resolved]' : ''}`,
    );
    for (const s of c.resolution_suggestions) out(`                advice: ${s}`);
  }
}

async function register(
  client: pg.Client,
  agent: string,
  feature: string,
  ddl: string,
): Promise<Intent> {
  out();
  out(`${agent} declares "${feature}":`);
  for (const line of ddl.trim().split('\n')) out(`      | ${line}`);
  const r = await sql<{ intent: Intent; conflicts: Conflict[] }>(
    client,
    'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3) AS result',
    [agent, feature, ddl],
  );
  names.set(r.intent.id, `${agent}/${feature}`);
  out(`   -> ${r.intent.status}, branch ${r.intent.branch_name}`);
  showConflicts(r.intent.id, r.conflicts);
  return r.intent;
}

async function transition(client: pg.Client, intent: Intent, to: string, reason: string) {
  out();
  out(`${intent.agent_id} moves "${intent.feature_name}" to ${to}:`);
  try {
    const r = await sql<Intent>(
      client,
      `SELECT pggit_mark_${to}(intent_id => $1, reason => $2, changed_by => $3) AS result`,
      [intent.id, reason, intent.agent_id],
    );
    out(`   -> ${r.status}`);
  } catch (e) {
    const err = e as pg.DatabaseError;
    out(`   -> refused: ERROR ${err.code}: ${err.message}`);
    for (const line of (err.detail ?? '').split('\n').filter(Boolean)) out(`      DETAIL: ${line}`);
    if (err.hint) out(`      HINT: ${err.hint}`);
  }
}

async function main() {
  const client = new pg.Client({ connectionString: await demoDatabase() });
  await client.connect();
  try {
    const version = await sql<{ version: string; bundle_hash: string; runtime: string }>(
      client,
      'SELECT pggit_version() AS result',
    );
    out(`   -> pggit ${version.version}, bundle ${version.bundle_hash}, on ${version.runtime}`);

    const payments = await register(
      client,
      'claude-payments',
      'stripe_integration',
      `ALTER TABLE public.users ADD COLUMN IF NOT EXISTS stripe_customer_id text;
CREATE TABLE stripe_charges (id text PRIMARY KEY, user_id int REFERENCES users (id));`,
    );
    const auth = await register(
      client,
      'claude-auth',
      'oauth2',
      'ALTER TABLE ONLY users ADD COLUMN oauth_provider text;',
    );
    const growth = await register(
      client,
      'claude-growth',
      'Stripe billing emails',
      `-- Prisma migration
ALTER TABLE "users" ADD COLUMN "stripe_customer_id" VARCHAR(64);`,
    );

    // Warnings do not block; an error conflict does.
    await transition(client, auth, 'in_progress', 'only a same-table warning');
    await transition(client, growth, 'in_progress', 'trying to start');

    out();
    out('claude-growth agrees to reuse the column that claude-payments adds:');
    const conflicts = await sql<Conflict[]>(client, 'SELECT pggit_get_conflicts($1) AS result', [
      growth.id,
    ]);
    for (const c of conflicts.filter((c) => !c.reviewed)) {
      await sql(
        client,
        'SELECT pggit_resolve_conflict(conflict_id => $1, resolution_notes => $2, reviewed_by => $3) AS result',
        [
          c.id,
          'reuse stripe_customer_id from stripe_integration; no second ADD COLUMN',
          'claude-growth',
        ],
      );
    }
    const after = await sql<Intent>(client, 'SELECT pggit_get_intent($1) AS result', [growth.id]);
    out(`   -> "${after.feature_name}" is ${after.status} again`);
    await transition(client, growth, 'in_progress', 'conflicts resolved');

    await transition(client, payments, 'in_progress', 'writing the migration');
    await transition(client, payments, 'completed', 'migration written and tested');
    await transition(client, payments, 'merged', 'merged to main');

    out();
    out(`History of "${growth.feature_name}" (${growth.branch_name}):`);
    const history = await sql<
      { old_status: string | null; new_status: string; reason: string | null; changed_by: string }[]
    >(client, 'SELECT pggit_history($1) AS result', [growth.id]);
    for (const h of history) {
      out(
        `   ${(h.old_status ?? '(new)').padEnd(12)} -> ${h.new_status.padEnd(12)} by ${h.changed_by}${h.reason ? `: ${h.reason}` : ''}`,
      );
    }

    await driftAndLeases(client, auth);

    out();
    out('Every intent, as psql users see it:');
    out(
      '  sql> SELECT agent_id, feature_name, branch_name, status, open_conflicts FROM pggit_intents',
    );
    const rows = await client.query(
      'SELECT agent_id, feature_name, branch_name, status, open_conflicts FROM pggit_intents ORDER BY created_at',
    );
    for (const r of rows.rows) {
      out(
        `   ${r.agent_id.padEnd(16)} ${r.feature_name.padEnd(22)} ${r.branch_name.padEnd(32)} ${r.status.padEnd(12)} open conflicts: ${r.open_conflicts}`,
      );
    }
  } finally {
    await client.end();
  }
}

/** The drift guard in warn mode, and a lease that runs out. */
async function driftAndLeases(client: pg.Client, auth: Intent) {
  const warnings: string[] = [];
  client.on('notice', (n) => {
    if (n.severity === 'WARNING') warnings.push(n.message ?? '');
  });
  const guard = await sql<{ drift_guard: boolean }>(client, 'SELECT pggit_version() AS result');
  out();
  if (!guard.drift_guard) {
    out('(the drift guard is not installed here: it needs pggit install to run as a superuser)');
  } else {
    out(
      "The application's table exists (the owner creates it, with the guard off for its session):",
    );
    await sql(client, "SELECT set_config('pggit.drift_mode', 'off', false) AS result");
    await sql(client, 'CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, email text)');
    await sql(client, "SELECT set_config('pggit.drift_mode', '', false) AS result");
    out();
    out('claude-auth runs its declared migration, then a statement it never declared:');
    await sql(client, "SELECT set_config('pggit.agent_id', 'claude-auth', false) AS result");
    await sql(client, 'ALTER TABLE ONLY users ADD COLUMN oauth_provider text');
    await sql(client, 'ALTER TABLE users ADD COLUMN last_login timestamptz');
    for (const w of warnings.splice(0)) out(`   -> WARNING: ${w}`);
    const applied = await sql<Intent & { applied_at: string | null }>(
      client,
      'SELECT pggit_get_intent($1) AS result',
      [auth.id],
    );
    out(`   -> "${auth.feature_name}" is applied: ${applied.applied_at !== null}`);
    const drift = await sql<{ agent_id: string; finding: string; command_tag: string }[]>(
      client,
      'SELECT pggit_drift() AS result',
    );
    for (const d of drift) out(`   -> drift: ${d.agent_id} ${d.finding} (${d.command_tag})`);
    await sql(client, "SELECT set_config('pggit.agent_id', '', false) AS result");
  }

  out();
  out('claude-docs declares a change with a one-minute lease, then goes silent:');
  const docs = await register(
    client,
    'claude-docs',
    'user comments',
    "COMMENT ON COLUMN users.email IS 'the login';",
  );
  await sql(client, 'SELECT pggit_heartbeat(intent_id => $1, lease_seconds => 60) AS result', [
    docs.id,
  ]);
  // pggit's clock moves only when the owner allows it (tests and demos do)
  await sql(client, "SELECT pggit_set_setting('clock_override', 'on') AS result");
  await sql(
    client,
    "SELECT set_config('pggit.now', (now() + interval '2 minutes')::text, false) AS result",
  );
  out('   (two minutes later)');
  const check = await sql<{ conflicts: { with_agent: string }[] }>(
    client,
    'SELECT pggit_check(agent_id => $1, feature_name => $2, schema_changes => $3) AS result',
    ['claude-docs-2', 'user comments again', "COMMENT ON COLUMN users.email IS 'e-mail'"],
  );
  const withDocs = check.conflicts.filter((c) => c.with_agent === 'claude-docs').length;
  out(`   -> a newcomer's conflicts with the silent claude-docs: ${withDocs}`);
  const swept = await sql<{ swept: number }>(client, 'SELECT pggit_sweep() AS result');
  out(`   -> pggit_sweep() abandoned ${swept.swept} expired intent(s)`);
  const history = await sql<{ new_status: string; reason: string | null }[]>(
    client,
    'SELECT pggit_history($1) AS result',
    [docs.id],
  );
  const last = history.at(-1);
  out(`   -> "${docs.feature_name}" is ${last?.new_status}: ${last?.reason}`);
  await sql(client, "SELECT set_config('pggit.now', '', false) AS result");
  await sql(client, "SELECT pggit_set_setting('clock_override', 'off') AS result");
}

await main();
