/**
 * The MCP server as MCP clients see it: `pggit mcp` spawned over stdio by the
 * SDK's StdioClientTransport (the CLI from source, from a neutral cwd), with
 * PGGIT_DATABASE_URL and PGGIT_AGENT_ID, against a real database. The SDK
 * client validates every structured result against the tool's output schema.
 */
import { tmpdir } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentIdOptions,
  type CheckResult,
  type Conflict,
  type DriftFinding,
  type HistoryEntry,
  type Intent,
  type IntentSummary,
  type OpenConflict,
  type ParseResult,
  type RegisterResult,
  type ReviewState,
} from '../../src/client/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { CLI, cleanEnv, intentCount, PENDING, pggit, type SqlApi, sqlApi, TSX } from './support.js';

let db: TestDatabase;
let api: SqlApi;
const clients: Client[] = [];

/** An MCP client connected to a fresh `pggit mcp` acting for `agentId`. */
async function connect(agentId: string | undefined): Promise<Client> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(
    cleanEnv({ PGGIT_DATABASE_URL: db.url, PGGIT_AGENT_ID: agentId }),
  )) {
    if (v !== undefined) env[k] = v;
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', TSX, CLI, 'mcp'],
    cwd: tmpdir(),
    env,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'pggit-test', version: '0.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

let alice: Client;
let bob: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await sqlApi(db);
  [alice, bob] = await Promise.all([connect('mcp-alice'), connect('mcp-bob')]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await db?.close();
});

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

async function call(
  c: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolResult> {
  return (await c.callTool({ name, arguments: args })) as ToolResult;
}

/** The structured result of a successful call (validated by the SDK), which the text repeats. */
async function ok<T>(c: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = await call(c, name, args);
  expect(r.isError ?? false, r.content[0]?.text).toBe(false);
  expect(r.structuredContent).toBeDefined();
  expect(JSON.parse(r.content[0]?.text ?? '')).toEqual(r.structuredContent);
  return r.structuredContent as T;
}

async function toolError(
  c: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const r = await call(c, name, args);
  expect(r.isError).toBe(true);
  return r.content[0]?.text ?? '';
}

const READ = [
  'list_drift',
  'list_reviews',
  'check_intent',
  'list_intents',
  'get_intent',
  'list_conflicts',
  'open_conflicts',
  'history',
  'parse_ddl',
];
const WRITE = [
  'heartbeat_intent',
  'review_intent',
  'register_intent',
  'start_intent',
  'complete_intent',
  'merge_intent',
  'abandon_intent',
  'resolve_conflict',
  'reopen_conflict',
];

describe('pggit mcp: tools', () => {
  it('lists the reference’s verbs, each with an output schema and all four annotations', async () => {
    const { tools } = await alice.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...READ, ...WRITE].sort());
    for (const t of tools) {
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(t.annotations, t.name).toEqual({
        readOnlyHint: READ.includes(t.name),
        destructiveHint: t.name === 'abandon_intent',
        // a second heartbeat only moves the same lease again
        idempotentHint: READ.includes(t.name) || t.name === 'heartbeat_intent',
        openWorldHint: false,
      });
      expect((t.description ?? '').length, t.name).toBeGreaterThan(60);
    }
    const register = tools.find((t) => t.name === 'register_intent');
    expect(register?.inputSchema.required).toEqual(['feature_name', 'schema_changes']);
    expect(JSON.stringify(register?.inputSchema)).not.toContain('agent_id'); // from the environment
    expect(register?.outputSchema?.required).toEqual([
      'intent',
      'conflicts',
      'conflicts_recorded',
      'conflicts_omitted',
      'warnings',
      'required_reviews',
      'advice',
    ]);
    // rules and settings are for people: no tools
    expect(tools.map((t) => t.name).filter((n) => /rule|setting|sweep/.test(n))).toEqual([]);
  });

  it('the descriptions say how to coordinate: when to register, the severities, completed vs merged, abandoning, own intents', async () => {
    const { tools } = await alice.listTools();
    const d = (name: string) => tools.find((t) => t.name === name)?.description ?? '';
    expect(d('register_intent')).toMatch(/BEFORE writing its migration/);
    expect(d('register_intent')).toMatch(/"error" .* blocks starting/);
    expect(d('register_intent')).toMatch(/"warning" .* does not block/);
    expect(d('register_intent')).toMatch(/own intents .* never conflict/);
    expect(d('complete_intent')).toMatch(/written and applied in the intent’s branch/);
    expect(d('merge_intent')).toMatch(/reached the main schema/);
    expect(d('abandon_intent')).toMatch(/releases the agents it was blocking/);
    expect(d('heartbeat_intent')).toMatch(
      /well within the lease \(e\.g\. every third of lease_seconds\)/,
    );
    expect(d('heartbeat_intent')).toMatch(
      /an expired intent cannot be revived, so register_intent again/,
    );
    expect(d('list_drift')).toMatch(
      /DDL that actually ran .* without an active intent of its agent declaring it/,
    );
    expect(d('review_intent')).toMatch(/rule_id: the review an owner rule requires/);
    expect(alice.getInstructions()).toMatch(/Declare first, code second/);
    expect(alice.getInstructions()).toMatch(/call heartbeat_intent regularly/);
    expect(alice.getInstructions()).toMatch(/required_reviews/);
  });
});

describe('pggit mcp: coordinating two agents', () => {
  let a: Intent;
  let b: Intent;

  it('register_intent records the environment’s agent id; a second agent’s overlapping intent conflicts', async () => {
    const first = await ok<RegisterResult>(alice, 'register_intent', {
      feature_name: 'mcp orders',
      schema_changes: 'ALTER TABLE mcp_orders ADD COLUMN total numeric',
      risk_level: 'medium',
      metadata: { via: 'mcp' },
    });
    a = first.intent;
    expect(a).toMatchObject({
      agent_id: 'mcp-alice',
      status: 'registered',
      branch_name: 'feature/mcp_orders',
      risk_level: 'medium',
      metadata: { via: 'mcp' },
    });
    const second = await ok<RegisterResult>(bob, 'register_intent', {
      feature_name: 'mcp totals',
      schema_changes: 'ALTER TABLE mcp_orders ADD COLUMN total integer',
      tables_affected: ['mcp_orders'],
    });
    b = second.intent;
    expect(b).toMatchObject({ agent_id: 'mcp-bob', status: 'conflicted', conflicts_with: [a.id] });
    expect(second.conflicts).toContainEqual(
      expect.objectContaining({
        conflict_type: 'column',
        severity: 'error',
        affected_objects: ['public.mcp_orders.total'],
        intent_a: b.id,
        intent_b: a.id,
      }),
    );
    const history = await ok<{ history: HistoryEntry[] }>(alice, 'history', { intent_id: b.id });
    expect(history.history.map((h) => h.changed_by)).toEqual(['mcp-bob']);
  });

  it('an agent’s own intents never conflict', async () => {
    const mine = await ok<RegisterResult>(alice, 'register_intent', {
      feature_name: 'mcp orders again',
      schema_changes: 'ALTER TABLE mcp_orders ADD COLUMN total numeric(12,2)',
    });
    expect(mine.conflicts.filter((c) => c.intent_b === a.id)).toEqual([]);
    await ok(alice, 'abandon_intent', { intent_id: mine.intent.id, reason: 'duplicate' });
  });

  it('check_intent is a dry run; get_intent, list_conflicts, open_conflicts and parse_ddl read', async () => {
    const before = await intentCount(db);
    const r = await ok<CheckResult>(bob, 'check_intent', {
      feature_name: 'mcp drop',
      schema_changes: 'ALTER TABLE mcp_orders DROP COLUMN total',
    });
    expect(r.conflicts.map((c) => c.with_agent)).toContain('mcp-alice');
    expect(r.conflicts.map((c) => c.with_agent)).not.toContain('mcp-bob');
    expect(await intentCount(db)).toBe(before);

    expect(await ok(alice, 'get_intent', { intent_id: a.id })).toMatchObject({
      intent: { id: a.id, conflicts_with: [b.id] },
    });
    expect(await ok(alice, 'get_intent', { intent_id: 'no-such-intent' })).toEqual({
      intent: null,
    });
    const listed = await ok<{ conflicts: Conflict[] }>(alice, 'list_conflicts', {
      intent_id: a.id,
    });
    expect(listed.conflicts.map((c) => c.conflict_type).sort()).toEqual(['column', 'table']);
    const open = await ok<{ conflicts: OpenConflict[] }>(alice, 'open_conflicts', {
      intent_id: b.id,
    });
    expect(open.conflicts.map((c) => [c.agent_a, c.agent_b])).toEqual([
      ['mcp-bob', 'mcp-alice'],
      ['mcp-bob', 'mcp-alice'],
    ]);
    expect(
      (await ok<{ conflicts: OpenConflict[] }>(alice, 'open_conflicts')).conflicts.length,
    ).toBe(2);
    const parsed = await ok<ParseResult>(alice, 'parse_ddl', {
      schema_changes: 'CREATE TABLE p (id int); CREATE INDEX ON p (id)',
      default_schema: 'app',
    });
    expect(parsed.statements.map((s) => s.kind)).toEqual(['CREATE TABLE', 'CREATE INDEX']);
    expect(parsed.objects.map((o) => o.qualified)).toContain('app.p');
  });

  it('errors are tool errors with the SQLSTATE and hints naming tools; the server keeps serving', async () => {
    const blocked = await toolError(bob, 'start_intent', { intent_id: b.id });
    expect(blocked).toMatch(/^error \[55000\]: cannot move intent/);
    expect(blocked).toContain('hint: resolve them with the resolve_conflict tool');
    expect(blocked).not.toContain('pggit_resolve_conflict');
    expect(await toolError(bob, 'history', { intent_id: 'no-such-intent' })).toMatch(
      /^error \[P0002\]: /,
    );
    expect(await toolError(bob, 'register_intent', { feature_name: 'x' })).toMatch(
      /schema_changes/,
    );
    expect(
      await toolError(bob, 'resolve_conflict', { conflict_id: 999_999, resolution_notes: 'x' }),
    ).toMatch(/^error \[P0002\]: /);
    expect(await ok(bob, 'get_intent', { intent_id: a.id })).toMatchObject({
      intent: { id: a.id },
    });
  });

  it('resolve, then start → complete → merge: every write recorded as the environment’s agent', async () => {
    const { conflicts } = await ok<{ conflicts: Conflict[] }>(bob, 'list_conflicts', {
      intent_id: b.id,
    });
    // (those with alice's abandoned duplicate were resolved when it was abandoned)
    for (const c of conflicts.filter((x) => !x.reviewed)) {
      const { conflict } = await ok<{ conflict: Conflict }>(bob, 'resolve_conflict', {
        conflict_id: c.id,
        resolution_notes: 'one total column, numeric',
      });
      expect(conflict).toMatchObject({ id: c.id, reviewed: true, reviewed_by: 'mcp-bob' });
    }
    expect(
      (await ok<{ intent: Intent }>(bob, 'get_intent', { intent_id: b.id })).intent.status,
    ).toBe('registered');
    for (const [tool, status] of [
      ['start_intent', 'in_progress'],
      ['complete_intent', 'completed'],
      ['merge_intent', 'merged'],
    ] as const) {
      const { intent } = await ok<{ intent: Intent }>(bob, tool, {
        intent_id: b.id,
        reason: `${tool} by bob`,
      });
      expect(intent.status).toBe(status);
    }
    const { history } = await ok<{ history: HistoryEntry[] }>(bob, 'history', { intent_id: b.id });
    expect(history.map((h) => [h.old_status, h.new_status, h.changed_by])).toEqual([
      [null, 'conflicted', 'mcp-bob'],
      ['conflicted', 'registered', 'mcp-bob'],
      ['registered', 'in_progress', 'mcp-bob'],
      ['in_progress', 'completed', 'mcp-bob'],
      ['completed', 'merged', 'mcp-bob'],
    ]);
    expect(history[2]?.reason).toBe('start_intent by bob');
    const abandoned = await ok<{ intent: Intent }>(alice, 'abandon_intent', { intent_id: a.id });
    expect(abandoned.intent.status).toBe('abandoned');
    const ofA = await ok<{ history: HistoryEntry[] }>(alice, 'history', { intent_id: a.id });
    expect(ofA.history.at(-1)).toMatchObject({ new_status: 'abandoned', changed_by: 'mcp-alice' });
  });

  it('reopen_conflict records the environment’s agent in the conflict’s log', async () => {
    const x = await ok<RegisterResult>(alice, 'register_intent', {
      feature_name: 'mcp reopen a',
      schema_changes: 'ALTER TABLE mcp_reopen ADD COLUMN c int',
    });
    const y = await ok<RegisterResult>(bob, 'register_intent', {
      feature_name: 'mcp reopen b',
      schema_changes: 'ALTER TABLE mcp_reopen ADD COLUMN c text',
    });
    const col = y.conflicts.find((c) => c.conflict_type === 'column') as Conflict;
    await ok(bob, 'resolve_conflict', { conflict_id: col.id, resolution_notes: 'fine' });
    const { conflict } = await ok<{ conflict: Conflict }>(alice, 'reopen_conflict', {
      conflict_id: col.id,
      reason: 'not fine',
    });
    expect(conflict).toMatchObject({ id: col.id, reviewed: false });
    const { conflicts } = await ok<{ conflicts: Conflict[] }>(alice, 'list_conflicts', {
      intent_id: y.intent.id,
    });
    const log = conflicts.find((c) => c.id === col.id)?.events;
    expect(log?.map((e) => [e.event, e.actor])).toEqual([
      ['resolved', 'mcp-bob'],
      ['reopened', 'mcp-alice'],
    ]);
    await ok(alice, 'abandon_intent', { intent_id: x.intent.id });
    await ok(bob, 'abandon_intent', { intent_id: y.intent.id });
  });

  it('list_intents pages, with open conflict counts', async (ctx) => {
    ctx.skip(!api.paging, PENDING);
    const page = await ok<{ intents: IntentSummary[]; next_after: string | null }>(
      alice,
      'list_intents',
      {
        limit: 1,
      },
    );
    expect(page.intents).toHaveLength(1);
    expect(page.next_after).toBe(page.intents[0]?.id);
    const rest = await ok<{ intents: IntentSummary[]; next_after: string | null }>(
      alice,
      'list_intents',
      {
        after: page.next_after,
      },
    );
    expect(rest.next_after).toBeNull();
    expect(rest.intents.every((i) => typeof i.open_conflicts === 'number')).toBe(true);
    const bobs = await ok<{ intents: IntentSummary[] }>(alice, 'list_intents', {
      agent_id: 'mcp-bob',
      status: 'merged',
    });
    expect(bobs.intents.map((i) => i.id)).toEqual([b.id]);
  });
});

describe('pggit mcp: a busy table', () => {
  // 30 intents of other agents each add a column to busy_mcp (a table warning
  // with a newcomer there), and one more adds the column the newcomer adds (an
  // error); registered last, so pggit's own order puts the error last
  const N = 30;
  beforeAll(async () => {
    for (let i = 0; i < N; i++) {
      await db.query(
        'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3)',
        [`busy-${i}`, `busy ${i}`, `ALTER TABLE busy_mcp ADD COLUMN c_${i} integer`],
      );
    }
    await db.query(
      'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3)',
      ['busy-e', 'busy shared', 'ALTER TABLE busy_mcp ADD COLUMN shared integer'],
    );
  });
  const ddl = 'ALTER TABLE busy_mcp ADD COLUMN shared integer';

  it('check_intent shows at most max_conflicts, errors first, and counts the rest', async () => {
    type Check = CheckResult & { conflicts_omitted: number };
    const all = await ok<Check>(alice, 'check_intent', {
      feature_name: 'busy check',
      schema_changes: ddl,
    });
    // the newcomer meets all 31: a table warning with each, and the column error with busy-e
    expect(all.conflicts_detected).toBe(N + 2);
    expect(all.conflicts).toHaveLength(N + 2); // under the default of 50
    expect(all.conflicts_omitted).toBe(0);
    expect(all.conflicts.at(-1)?.with_agent).toBe('busy-e'); // pggit's order: by candidate

    const five = await ok<Check>(alice, 'check_intent', {
      feature_name: 'busy check',
      schema_changes: ddl,
      max_conflicts: 5,
    });
    expect(five.conflicts_detected).toBe(N + 2);
    expect(five.conflicts_omitted).toBe(N + 2 - 5);
    expect(five.conflicts.map((c) => c.severity)).toEqual([
      'error',
      'warning',
      'warning',
      'warning',
      'warning',
    ]);
    expect(five.conflicts[0]).toMatchObject({ conflict_type: 'column', with_agent: 'busy-e' });
    // the warnings are the first ones of the full result, in its order
    expect(five.conflicts.slice(1)).toEqual(
      all.conflicts.filter((c) => c.severity !== 'error').slice(0, 4),
    );

    const none = await ok<Check>(alice, 'check_intent', {
      feature_name: 'busy check',
      schema_changes: ddl,
      max_conflicts: 0,
    });
    expect([none.conflicts, none.conflicts_omitted]).toEqual([[], N + 2]);
    await toolError(alice, 'check_intent', {
      feature_name: 'busy check',
      schema_changes: ddl,
      max_conflicts: -1,
    });
  });

  it('register_intent records every conflict and shows max_conflicts; list_conflicts and open_conflicts page through all', async () => {
    type Registered = RegisterResult & { conflicts_omitted: number };
    const r = await ok<Registered>(alice, 'register_intent', {
      feature_name: 'busy register',
      schema_changes: ddl,
      max_conflicts: 3,
    });
    const id = r.intent.id;
    const stored = await db.query<{ n: number; errors: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE severity = 'error')::int AS errors
         FROM pggit.tb_pggit_conflict WHERE intent_a = $1`,
      [id],
    );
    expect(stored.rows[0]).toEqual({ n: N + 2, errors: 1 });
    expect(r.conflicts).toHaveLength(3);
    expect(r.conflicts[0]?.severity).toBe('error');
    expect(r.conflicts_omitted).toBe(N + 2 - 3);

    const walk = async (tool: string, args: Record<string, unknown>) => {
      const ids: number[] = [];
      let after: number | null | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await ok<{ conflicts: { id: number }[]; next_after: number | null }>(
          alice,
          tool,
          { ...args, limit: 10, ...(after == null ? {} : { after }) },
        );
        expect(page.conflicts.length).toBeLessThanOrEqual(10);
        ids.push(...page.conflicts.map((c) => c.id));
        after = page.next_after;
        if (after === null) return ids;
        expect(after).toBe(ids.at(-1));
      }
      throw new Error(`${tool} never reached its last page`);
    };
    const expected = (
      await db.query<{ id: number }>(
        'SELECT id FROM pggit.tb_pggit_conflict WHERE intent_a = $1 OR intent_b = $1 ORDER BY id',
        [id],
      )
    ).rows.map((x) => x.id);
    expect(expected).toHaveLength(N + 2);
    expect(await walk('list_conflicts', { intent_id: id })).toEqual(expected);
    expect(await walk('open_conflicts', { intent_id: id })).toEqual(expected);
  });
});

describe('pggit mcp: leases, drift and reviews', () => {
  it('register_intent takes lease_seconds; heartbeat_intent renews the lease, for another length if given', async () => {
    const r = await ok<RegisterResult>(alice, 'register_intent', {
      feature_name: 'mcp lease',
      schema_changes: 'CREATE TABLE mcp_lease (id int)',
      lease_seconds: 3600,
    });
    expect(r.intent).toMatchObject({ lease_seconds: 3600, expired: false, applied_objects: [] });
    expect(r).toMatchObject({ required_reviews: [], advice: [] });
    const { intent } = await ok<{ intent: Intent }>(alice, 'heartbeat_intent', {
      intent_id: r.intent.id,
      lease_seconds: 120,
    });
    expect(intent).toMatchObject({ id: r.intent.id, lease_seconds: 120 });
    const left = (Date.parse(intent.lease_expires_at) - Date.now()) / 1000;
    expect(left).toBeGreaterThan(60);
    expect(left).toBeLessThanOrEqual(120);
    expect(
      await toolError(alice, 'heartbeat_intent', { intent_id: r.intent.id, lease_seconds: 0 }),
    ).toMatch(/lease_seconds/);
  });

  it('an expired intent cannot be renewed: a tool error saying to register again', async () => {
    const r = await ok<RegisterResult>(bob, 'register_intent', {
      feature_name: 'mcp short',
      schema_changes: 'CREATE TABLE mcp_short (id int)',
      lease_seconds: 1,
    });
    for (let i = 0; i < 100; i++) {
      const { intent } = await ok<{ intent: Intent }>(bob, 'get_intent', {
        intent_id: r.intent.id,
      });
      if (intent.expired) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const err = await toolError(bob, 'heartbeat_intent', { intent_id: r.intent.id });
    expect(err).toMatch(/^error \[55000\]: the lease of intent \S+ expired at /);
    expect(err).toContain(
      '\nhint: intents registered since did not see it: register the change again',
    );
  });

  it('list_drift shows DDL that ran undeclared, under the agent that ran it', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const c = new pg.Client({ connectionString: db.url, options: agentIdOptions('mcp-alice') });
    await c.connect();
    try {
      await c.query('CREATE TABLE mcp_drifted (id int)');
    } finally {
      await c.end();
    }
    const { findings } = await ok<{ findings: DriftFinding[] }>(bob, 'list_drift', { since });
    expect(findings).toEqual([
      expect.objectContaining({
        agent_id: 'mcp-alice',
        finding: 'undeclared',
        command_tag: 'CREATE TABLE',
        objects: expect.arrayContaining([
          expect.objectContaining({ kind: 'table', qualified: 'public.mcp_drifted' }),
        ]),
      }),
    ]);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(await ok(bob, 'list_drift', { since: later, limit: 5 })).toEqual({ findings: [] });
    expect(await toolError(bob, 'list_drift', { since: 'yesterday' })).toMatch(/since/);
  });

  it('owner reviews: required_reviews on register, list_reviews, review_intent by the owner only, then the intent may start', async () => {
    const rule = await db.query<{ id: number }>(
      "SELECT (pggit_add_rule(kind => 'owner', pattern => 'public.mcp_pay*', owner => 'mcp-bob') ->> 'id')::int AS id",
    );
    const ruleId = rule.rows[0]?.id as number;
    const r = await ok<RegisterResult>(alice, 'register_intent', {
      feature_name: 'mcp refunds',
      schema_changes: 'ALTER TABLE mcp_payments ADD COLUMN refunded_at timestamptz',
    });
    expect(r.required_reviews).toEqual([
      {
        rule_id: ruleId,
        owner: 'mcp-bob',
        objects: ['public.mcp_payments', 'public.mcp_payments.refunded_at'],
      },
    ]);
    expect(await toolError(alice, 'start_intent', { intent_id: r.intent.id })).toMatch(
      /^error \[55000\]: .*owner review/,
    );
    const pending = await ok<ReviewState>(alice, 'list_reviews', { intent_id: r.intent.id });
    expect(pending.required).toEqual([
      expect.objectContaining({ rule_id: ruleId, owner: 'mcp-bob', decision: null }),
    ]);
    // alice is not the owner
    expect(
      await toolError(alice, 'review_intent', {
        intent_id: r.intent.id,
        decision: 'approved',
        rule_id: ruleId,
      }),
    ).toMatch(/^error \[42501\]: rule \d+ gives mcp-bob the review/);
    const approved = await ok<ReviewState>(bob, 'review_intent', {
      intent_id: r.intent.id,
      decision: 'approved',
      rule_id: ruleId,
      notes: 'payments agrees',
    });
    expect(approved.required.map((q) => q.decision)).toEqual(['approved']);
    expect(approved.reviews).toEqual([
      expect.objectContaining({
        reviewer: 'mcp-bob',
        decision: 'approved',
        notes: 'payments agrees',
      }),
    ]);
    const { intent } = await ok<{ intent: Intent }>(alice, 'start_intent', {
      intent_id: r.intent.id,
    });
    expect(intent.status).toBe('in_progress');
    await db.query('SELECT pggit_remove_rule($1)', [ruleId]);
  });
});

describe('pggit mcp: configuration', () => {
  it('without PGGIT_AGENT_ID, write tools refuse with a clear error; reads work', async () => {
    const anonymous = await connect(undefined);
    const err = await toolError(anonymous, 'register_intent', {
      feature_name: 'anon',
      schema_changes: 'CREATE TABLE anon (id int)',
    });
    expect(err).toMatch(/^error \[no_agent_id\]: PGGIT_AGENT_ID is not set/);
    expect(await intentCount(db, "feature_name = 'anon'")).toBe(0);
    // a read: the same first page as an agent's
    expect(await ok(anonymous, 'open_conflicts', { limit: 5 })).toEqual(
      await ok(alice, 'open_conflicts', { limit: 5 }),
    );
  });

  it('without a database URL, `pggit mcp` exits 2 at once with one line', async () => {
    const r = await pggit(['mcp'], { env: { PGGIT_AGENT_ID: 'x' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: no database: give --database-url/);
  });
});
