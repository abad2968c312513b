/**
 * pggit's MCP server, over stdio: lets AI agents declare intents, check for
 * conflicts and move their intents along the lifecycle. Each tool is one call
 * of the client (src/client), i.e. one SQL function (plus the client's
 * one-time version check). Results are structured (each tool has an output
 * schema; the same JSON is also the text content); errors are tool errors
 * (`isError`) whose text starts with `error [code]: message`.
 *
 * Run it from the installed package: `npx pggit mcp` (or `pggit mcp`), with
 *   PGGIT_DATABASE_URL (or DATABASE_URL, or --database-url): required;
 *   PGGIT_AGENT_ID: the agent the tools act for; every write records it
 *     (agent_id of new intents, changed_by, reviewed_by). Write tools refuse
 *     to run without it.
 *
 * MCP client configuration, e.g.:
 *   { "command": "npx", "args": ["pggit", "mcp"],
 *     "env": { "PGGIT_DATABASE_URL": "postgres://agent@host/db", "PGGIT_AGENT_ID": "claude-payments" } }
 *
 * Importable too: `import { createServer } from 'pggit/mcp'`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { permissionHint, speak } from '../cli/hints.js';
import { resolveDatabaseUrl } from '../client/config.js';
import { PggitError } from '../client/errors.js';
import {
  type PggitClient,
  PggitClient as PggitClientClass,
  type PggitClientOptions,
} from '../client/index.js';
import {
  DRIFT_FINDINGS,
  LEASE_SECONDS_LIMIT,
  PAGE_LIMIT,
  REVIEW_DECISIONS,
  RISK_LEVELS,
  SEVERITIES,
  STATUSES,
} from '../client/types.js';
import { packageVersion } from '../client/version.js';

// ---------------------------------------------------------------------------
// results

/** A successful tool result: the structured value, and the same JSON as text. */
const result = (value: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  structuredContent: value,
});

/** How many conflicts register_intent and check_intent show unless told (the rest are counted). */
export const DEFAULT_MAX_CONFLICTS = 50;

/**
 * The conflicts pggit listed (at most max_conflicts, the errors kept before
 * any warning), errors first for a model to read.
 */
export function errorsFirst<T extends { severity: string }>(conflicts: readonly T[]): T[] {
  return [
    ...conflicts.filter((c) => c.severity === 'error'),
    ...conflicts.filter((c) => c.severity !== 'error'),
  ];
}

/** A tool error: `error [code]: message`, then detail and hint lines naming MCP tools. */
export function toolError(err: unknown): CallToolResult {
  const lines: string[] = [];
  if (err instanceof PggitError) {
    lines.push(`error [${err.code}]: ${err.message}`);
    if (err.detail) lines.push(`detail: ${speak(err.detail, 'mcp')}`);
    const hint = err.hint ? speak(err.hint, 'mcp') : permissionHint(err.message, 'mcp');
    if (hint) lines.push(`hint: ${hint}`);
  } else {
    lines.push(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}

// ---------------------------------------------------------------------------
// schemas. Objects from the database are loose: a newer pggit may add fields.

const status = z.enum(STATUSES);
const severity = z.enum(SEVERITIES);
const timestamp = z.string().describe('ISO 8601');

const intentShape = {
  id: z.string().describe('UUID; a unique prefix of 4+ characters also names the intent'),
  agent_id: z.string(),
  feature_name: z.string(),
  branch_name: z.string().describe('the git branch to do the work in'),
  schema_changes: z.array(z.string()).describe('the planned DDL, one statement per entry'),
  tables_affected: z.array(z.string()),
  estimated_duration_ms: z.number().int().nullable(),
  risk_level: z.enum(RISK_LEVELS),
  status,
  conflicts_with: z.array(z.string()).describe('ids of the intents it conflicts with'),
  metadata: z.record(z.string(), z.unknown()),
  created_at: timestamp,
  updated_at: timestamp,
  lease_seconds: z.number().int().describe('its lease: heartbeat_intent renews it for this long'),
  lease_expires_at: timestamp.describe(
    'when it expires unless you heartbeat or move it; then it stops counting and is abandoned',
  ),
  expired: z
    .boolean()
    .describe('its lease ran out: it cannot be renewed or started; register again'),
  applied_objects: z
    .array(z.string())
    .describe('declared objects your session has executed so far (the drift guard)'),
  applied_at: timestamp.nullable().describe('when everything it declared had been executed'),
};
const intent = z.looseObject(intentShape);
const {
  schema_changes: _script,
  conflicts_with: _with,
  applied_objects: _applied,
  ...summaryShape
} = intentShape;
const intentSummary = z.looseObject({
  ...summaryShape,
  open_conflicts: z.number().int().describe('unreviewed conflicts with still-active intents'),
  open_errors: z.number().int().describe('the error-severity ones among them'),
});

const conflict = z.looseObject({
  id: z.number().int(),
  intent_a: z.string().describe('the intent that registered later (the newcomer)'),
  intent_b: z.string(),
  conflict_type: z.string(),
  affected_objects: z.array(z.string()),
  severity,
  resolution_suggestions: z.array(z.string()),
  reviewed: z.boolean().describe('true once resolved'),
  reviewed_at: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  resolution_notes: z.string().nullable(),
  created_at: timestamp,
});

const openConflict = z.looseObject({
  id: z.number().int(),
  conflict_type: z.string(),
  severity,
  affected_objects: z.array(z.string()),
  intent_a: z.string(),
  agent_a: z.string(),
  feature_a: z.string(),
  status_a: status,
  intent_b: z.string(),
  agent_b: z.string(),
  feature_b: z.string(),
  status_b: status,
  resolution_suggestions: z.array(z.string()),
  created_at: timestamp,
});

const warning = z.looseObject({
  statement: z.number().int().describe('index of the statement, -1 for the whole script'),
  message: z.string(),
});

const dbObject = z.looseObject({
  kind: z.string(),
  action: z.string(),
  qualified: z.string().describe('normalised, schema-qualified name, e.g. public.users.email'),
});

const checkConflict = z.looseObject({
  intent_b: z.string().describe('the active intent it would conflict with'),
  conflict_type: z.string(),
  severity,
  affected_objects: z.array(z.string()),
  resolution_suggestions: z.array(z.string()),
  with_agent: z.string(),
  with_feature: z.string(),
  with_status: status,
});

const requiredReview = z.looseObject({
  rule_id: z.number().int(),
  owner: z.string().describe('the agent or role (a team: any member) that must approve'),
  objects: z.array(z.string()).describe('your objects the owner rule covers'),
});

const decision = z.enum(REVIEW_DECISIONS);

const reviewState = z.looseObject({
  intent_id: z.string(),
  required: z
    .array(requiredReview.extend({ decision: decision.nullable() }))
    .describe('owner reviews: the intent may not start until each is approved'),
  gate: z
    .looseObject({ enabled: z.boolean(), decision: decision.nullable() })
    .describe(
      'the review gate: when enabled, completed -> merged needs an approval by someone other than its agent',
    ),
  reviews: z
    .array(
      z.looseObject({
        id: z.number().int(),
        rule_id: z.number().int().nullable().describe('null: the review gate'),
        decision,
        reviewer: z.string(),
        notes: z.string().nullable(),
        at: timestamp,
      }),
    )
    .describe('every decision, oldest first; the latest one per rule counts'),
});

const driftFinding = z.looseObject({
  id: z.number().int(),
  at: timestamp,
  agent_id: z.string().describe('who ran it: the session’s pggit.agent_id, else its database user'),
  session_role: z.string(),
  command_tag: z.string().describe('e.g. ALTER TABLE'),
  finding: z
    .enum(DRIFT_FINDINGS)
    .describe(
      'undeclared: no active intent of that agent declared it; foreign: another agent’s active intent did',
    ),
  mode: z.string(),
  objects: z.array(dbObject).describe('what ran undeclared'),
  statement: z.string(),
  own_intents: z.array(z.string()),
  other_intents: z.array(z.string()).describe('other agents’ intents that declared these objects'),
});

const historyEntry = z.looseObject({
  id: z.number().int(),
  intent_id: z.string(),
  old_status: status.nullable(),
  new_status: status,
  reason: z.string().nullable(),
  changed_by: z.string(),
  changed_at: timestamp,
});

// ---------------------------------------------------------------------------
// inputs

const intentId = z
  .string()
  .min(1)
  .describe('the intent id register_intent returned (or a unique prefix of it, 4+ characters)');
const reason = z.string().optional().describe('why, recorded in the intent history');
/** A lease in seconds, within the SQL function's bounds. */
const leaseSeconds = z.number().int().min(1).max(LEASE_SECONDS_LIMIT).optional();
const scriptInput = {
  feature_name: z
    .string()
    .describe('what the change is for, e.g. "user email verification" (names the branch)'),
  schema_changes: z
    .string()
    .describe('the planned DDL: the whole migration script, one or more SQL statements'),
  tables_affected: z
    .array(z.string())
    .optional()
    .describe('tables the change touches that its DDL does not name (e.g. data migrations)'),
};

// ---------------------------------------------------------------------------
// descriptions: enough for a model to coordinate with nothing else

const SEVERITY_ADVICE =
  'Each conflict has a severity: "error" (both change the same column, function, constraint name, view, type, ... or one drops/renames what the other uses) blocks starting until it is resolved or the other intent is merged or abandoned — change your plan (other names, another approach), or agree with the other agent and then resolve_conflict; "warning" (same table, similar index, same feature name) does not block — read the suggestions, coordinate if needed, and resolve it with a note.';

const maxConflicts = z
  .number()
  .int()
  .min(0)
  .max(1000)
  .optional()
  .describe(
    `how many conflicts to show, errors first (default ${DEFAULT_MAX_CONFLICTS}); the others are counted in conflicts_omitted`,
  );

const conflictPage = {
  limit: z.number().int().min(1).max(500).optional().describe('page size, default 50'),
  after: z.number().int().optional().describe('next_after of the previous page'),
};
const nextAfter = z.number().int().nullable().describe('pass as after for the next page');

const HEARTBEAT_ADVICE =
  'Every intent has a lease (lease_seconds, 1 day unless set): while you work on it, call heartbeat_intent regularly, well within the lease (e.g. every third of lease_seconds); starting or completing it renews it too. Once lease_expires_at passes, the intent no longer counts, others may take its objects, and it is abandoned by the next sweep: an expired intent cannot be revived, so register_intent again.';

export const INSTRUCTIONS = `pggit coordinates many agents that change one PostgreSQL schema. Declare first, code second:
1. Before writing any migration, call register_intent with your planned DDL (check_intent first if you only want to look). You get an intent id and a branch name; do the work in that branch.
2. Read the conflicts it returns (errors first; on a busy table conflicts_omitted counts those not shown, and list_conflicts pages through them all). ${SEVERITY_ADVICE} Your own intents never conflict with each other. If it lists required_reviews, the owners of those objects must approve (review_intent) before you may start; list_reviews shows where that stands. Follow any advice it returns.
3. start_intent when you begin writing the migration (refused while an error conflict is open or an owner review is missing).
4. ${HEARTBEAT_ADVICE}
5. complete_intent when the migration is written and applied in your branch; merge_intent once its changes have reached the main schema. Completed-but-unmerged work still conflicts with newcomers.
6. abandon_intent if you give up or change plans: it resolves your open conflicts and releases the agents you were blocking. Register a new intent for a new plan.
Run only the DDL you declared: list_drift shows DDL that ran without an active intent declaring it. Use open_conflicts and list_intents to see what others are doing. Writes are recorded as PGGIT_AGENT_ID.`;

const readOnly: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
const write = (over: Partial<ToolAnnotations> = {}): ToolAnnotations => ({
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
  ...over,
});

export interface ServerOptions {
  /** The agent the tools act for (default: PGGIT_AGENT_ID). Write tools need one. */
  agentId?: string;
}

/**
 * The MCP server over a client factory, called once on the first tool call
 * (so a database that is down is a tool error, not a dead server).
 */
export function createServer(getClient: () => PggitClient, options: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'pggit', version: packageVersion() },
    { instructions: INSTRUCTIONS },
  );
  let client: PggitClient | undefined;
  const agentId = options.agentId || process.env.PGGIT_AGENT_ID || undefined;

  const me = (): string => {
    if (agentId === undefined) {
      throw new PggitError(
        'no_agent_id',
        'PGGIT_AGENT_ID is not set: give the pggit MCP server the agent id it acts for in its environment (e.g. "env": {"PGGIT_AGENT_ID": "claude-payments"}); every write records it',
      );
    }
    return agentId;
  };

  const run =
    <A>(fn: (c: PggitClient, args: A) => Promise<Record<string, unknown>>) =>
    async (args: A): Promise<CallToolResult> => {
      try {
        client ??= getClient();
        return result(await fn(client, args));
      } catch (err) {
        return toolError(err);
      }
    };

  server.registerTool(
    'register_intent',
    {
      title: 'Register a schema-change intent',
      description: `Declare a schema change BEFORE writing its migration: the DDL you plan (e.g. "ALTER TABLE users ADD COLUMN email text"). pggit parses it, compares it with every active intent of other agents, records each conflict on both sides, and gives you a branch name. Returns {intent, conflicts, warnings, required_reviews, advice}; the intent's status is "conflicted" when it has conflicts, else "registered". ${SEVERITY_ADVICE} Your own intents (same agent id) never conflict. Registering again creates another intent: to change plans, abandon_intent the old one. The intent lives for lease_seconds unless you heartbeat_intent it.`,
      inputSchema: {
        ...scriptInput,
        estimated_duration_ms: z.number().int().min(0).optional(),
        risk_level: z.enum(RISK_LEVELS).optional().describe('default low'),
        metadata: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('any JSON object, e.g. {"ticket": "PAY-12"}'),
        lease_seconds: leaseSeconds.describe(
          'how long it lives without a heartbeat_intent (default: the installation’s, 1 day)',
        ),
        max_conflicts: maxConflicts,
      },
      // loose: pggit may return more than these (as it grows)
      outputSchema: z.looseObject({
        intent,
        conflicts: z
          .array(conflict)
          .describe(
            'the conflicts recorded (intent_a is the new intent), errors first, at most max_conflicts of them',
          ),
        conflicts_recorded: z.number().int().describe('all of them, shown or not'),
        conflicts_omitted: z
          .number()
          .int()
          .describe('recorded conflicts not shown here: list_conflicts pages through them all'),
        warnings: z.array(warning).describe('statements pggit could not fully understand'),
        required_reviews: z
          .array(requiredReview)
          .describe('owner rules: each owner must approve (review_intent) before you may start'),
        advice: z.array(z.string()).describe('what the installation’s rules say about this change'),
      }),
      annotations: write(),
    },
    run(async (c, a) => {
      const r = await c.register({
        agentId: me(),
        featureName: a.feature_name,
        schemaChanges: a.schema_changes,
        tablesAffected: a.tables_affected,
        estimatedDurationMs: a.estimated_duration_ms,
        riskLevel: a.risk_level,
        metadata: a.metadata,
        leaseSeconds: a.lease_seconds,
        maxConflicts: a.max_conflicts ?? DEFAULT_MAX_CONFLICTS,
      });
      return { ...r, conflicts: errorsFirst(r.conflicts) };
    }),
  );

  server.registerTool(
    'check_intent',
    {
      title: 'Check planned DDL for conflicts (dry run)',
      description:
        'The conflicts register_intent would record for this DDL right now (errors first, at most max_conflicts of them), with the objects it touches and parse warnings. Writes nothing and reserves nothing: register_intent before you start writing the migration.',
      inputSchema: { ...scriptInput, max_conflicts: maxConflicts },
      outputSchema: z.looseObject({
        conflicts_detected: z.number().int().describe('all of them, shown or not'),
        conflicts: z.array(checkConflict),
        conflicts_omitted: z.number().int().describe('conflicts not shown (past max_conflicts)'),
        objects: z.array(dbObject).describe('what the DDL touches'),
        warnings: z.array(warning),
      }),
      annotations: readOnly,
    },
    run(async (c, a) => {
      const r = await c.check({
        agentId: me(),
        featureName: a.feature_name,
        schemaChanges: a.schema_changes,
        tablesAffected: a.tables_affected,
        maxConflicts: a.max_conflicts ?? DEFAULT_MAX_CONFLICTS,
      });
      return { ...r, conflicts: errorsFirst(r.conflicts) };
    }),
  );

  server.registerTool(
    'list_intents',
    {
      title: 'List intents',
      description:
        'Intents of all agents, newest first, as summaries (what each is for, its agent, status, tables and lease) with open_conflicts and open_errors counts; get_intent gives one intent’s planned DDL and conflicts_with. Filter by status or agent. Pages: pass next_after back as after for the next page (null when there is none).',
      inputSchema: {
        status: status.optional(),
        agent_id: z.string().optional().describe('only this agent’s intents'),
        limit: z.number().int().min(1).max(500).optional().describe('page size, default 50'),
        after: z.string().optional().describe('next_after of the previous page'),
      },
      outputSchema: {
        intents: z.array(intentSummary),
        next_after: z.string().nullable().describe('pass as after for the next page'),
      },
      annotations: readOnly,
    },
    run(async (c, a) => {
      const limit = a.limit ?? 50;
      // One more than asked: whether there is a next page, in the same call.
      const rows = await c.listIntents({
        status: a.status,
        agentId: a.agent_id,
        limit: limit + 1,
        after: a.after,
      });
      const intents = rows.slice(0, limit);
      const last = intents[intents.length - 1];
      return { intents, next_after: rows.length > limit && last ? last.id : null };
    }),
  );

  server.registerTool(
    'get_intent',
    {
      title: 'Get one intent',
      description:
        'One intent: status, branch_name, planned statements and conflicts_with; intent is null when there is no such intent.',
      inputSchema: { intent_id: intentId },
      outputSchema: { intent: intent.nullable() },
      annotations: readOnly,
    },
    run(async (c, a) => ({ intent: await c.getIntent(a.intent_id) })),
  );

  const transitions = [
    [
      'start_intent',
      'in_progress',
      'Start work on your intent: registered (or conflicted with no open error conflict) → in_progress. Refused (55000) while an error-severity conflict is open: resolve it or wait until the other intent is merged or abandoned.',
      write(),
    ],
    [
      'complete_intent',
      'completed',
      'Your migration is written and applied in the intent’s branch: in_progress → completed. It still conflicts with newcomers until merge_intent.',
      write(),
    ],
    [
      'merge_intent',
      'merged',
      'The intent’s changes have reached the main schema (its branch is merged): completed → merged. Final; its conflicts no longer hold anyone back.',
      write(),
    ],
    [
      'abandon_intent',
      'abandoned',
      'Give up an unfinished intent (e.g. to register a different plan): → abandoned. Final. Its open conflicts are resolved with a note, which releases the agents it was blocking.',
      write({ destructiveHint: true }),
    ],
  ] as const;
  for (const [name, to, description, annotations] of transitions) {
    server.registerTool(
      name,
      {
        title: description.split(':')[0],
        description,
        inputSchema: { intent_id: intentId, reason },
        outputSchema: { intent },
        annotations,
      },
      run(async (c, a) => ({
        intent: await c.transition(a.intent_id, to, { reason: a.reason, changedBy: me() }),
      })),
    );
  }

  server.registerTool(
    'list_conflicts',
    {
      title: 'Conflicts of an intent',
      description:
        'Every conflict the intent is part of, on either side, open or resolved (reviewed): type, severity, affected objects, resolution suggestions, who resolved it and how. In id order, a page at a time: pass next_after back as after for the next page (null when there is none).',
      inputSchema: { intent_id: intentId, ...conflictPage },
      outputSchema: { conflicts: z.array(conflict), next_after: nextAfter },
      annotations: readOnly,
    },
    run(async (c, a) => {
      const limit = a.limit ?? 50;
      // One more than asked: whether there is a next page, in the same call.
      const rows = await c.getConflicts(a.intent_id, { limit: limit + 1, after: a.after });
      const conflicts = rows.slice(0, limit);
      const last = conflicts[conflicts.length - 1];
      return { conflicts, next_after: rows.length > limit && last ? last.id : null };
    }),
  );

  server.registerTool(
    'open_conflicts',
    {
      title: 'Open conflicts',
      description:
        'Conflicts still open (unresolved, both intents active), with both sides’ agent, feature and status: all of them, or those of one intent (its full id). Use it to see who you need to coordinate with. In id order, a page at a time: pass next_after back as after for the next page (null when there is none).',
      inputSchema: {
        intent_id: z.string().optional().describe('only this intent’s (full id)'),
        ...conflictPage,
      },
      outputSchema: { conflicts: z.array(openConflict), next_after: nextAfter },
      annotations: readOnly,
    },
    run(async (c, a) => {
      const limit = a.limit ?? 50;
      // One more than asked: whether there is a next page, in the same call.
      const rows = await c.openConflicts(a.intent_id, { limit: limit + 1, after: a.after });
      const conflicts = rows.slice(0, limit);
      const last = conflicts[conflicts.length - 1];
      return { conflicts, next_after: rows.length > limit && last ? last.id : null };
    }),
  );

  server.registerTool(
    'resolve_conflict',
    {
      title: 'Resolve a conflict',
      description:
        'Mark a conflict resolved once it is dealt with (plans changed, or agreed with the other agent), with notes saying how; optionally re-rate its severity. Recorded as reviewed by you. An intent left without open conflicts goes back from conflicted to registered. Resolving it again is refused: reopen_conflict first.',
      inputSchema: {
        conflict_id: z.number().int().min(1),
        resolution_notes: z.string().min(1).describe('how it was resolved'),
        severity: severity.optional().describe('re-rate the conflict'),
      },
      outputSchema: { conflict },
      annotations: write(),
    },
    run(async (c, a) => ({
      conflict: await c.resolveConflict(a.conflict_id, a.resolution_notes, {
        reviewedBy: me(),
        severity: a.severity,
      }),
    })),
  );

  server.registerTool(
    'reopen_conflict',
    {
      title: 'Reopen a conflict',
      description:
        'Open a resolved conflict again, when the resolution did not hold (recorded as you). An intent it holds back becomes conflicted again.',
      inputSchema: {
        conflict_id: z.number().int().min(1),
        reason: z.string().min(1).describe('why it is not resolved after all'),
      },
      outputSchema: { conflict },
      annotations: write(),
    },
    run(async (c, a) => ({ conflict: await c.reopenConflict(a.conflict_id, a.reason, me()) })),
  );

  server.registerTool(
    'heartbeat_intent',
    {
      title: 'Renew an intent’s lease',
      description: `Tell pggit you are still working on an intent: renews its lease for its lease_seconds from now (or for lease_seconds given here, which becomes its lease). ${HEARTBEAT_ADVICE} Refused (55000) once it has expired or is finished.`,
      inputSchema: {
        intent_id: intentId,
        lease_seconds: leaseSeconds.describe('renew for this long instead (it becomes the lease)'),
      },
      outputSchema: { intent },
      // renewing twice is harmless: the lease runs from the last call
      annotations: write({ idempotentHint: true }),
    },
    run(async (c, a) => ({ intent: await c.heartbeat(a.intent_id, a.lease_seconds) })),
  );

  server.registerTool(
    'list_drift',
    {
      title: 'Drift: DDL nobody declared',
      description:
        'Drift findings, newest first. Each is DDL that actually ran in the database without an active intent of its agent declaring it ("undeclared"), or on objects another agent’s active intent declared ("foreign": graver, you may be clobbering their work). The agent is the session’s pggit.agent_id, else its database user. If one is yours, register_intent what you ran (or undo it); if it is another agent’s on your objects, coordinate with them.',
      inputSchema: {
        since: z
          .string()
          .datetime({ offset: true })
          .optional()
          .describe('only findings at or after this ISO 8601 time'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(PAGE_LIMIT)
          .optional()
          .describe('at most this many, default 100'),
      },
      outputSchema: { findings: z.array(driftFinding) },
      annotations: readOnly,
    },
    run(async (c, a) => ({ findings: await c.drift({ since: a.since, limit: a.limit }) })),
  );

  server.registerTool(
    'review_intent',
    {
      title: 'Approve or reject an intent',
      description:
        'Record your decision on another agent’s intent, as you (the latest decision counts, every one is audited). With rule_id: the review an owner rule requires (you must be that owner, or a member of the owning role); the intent may start once every required review is approved. Without rule_id: the review gate (when enabled, completed -> merged needs an approval by someone other than the intent’s agent). Returns the intent’s reviews.',
      inputSchema: {
        intent_id: intentId,
        decision: decision.describe('approved or rejected'),
        notes: z.string().optional().describe('why; with a rejection, what to change'),
        rule_id: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('the owner rule (required_reviews[].rule_id); leave out for the review gate'),
      },
      outputSchema: reviewState,
      annotations: write(),
    },
    run(async (c, a) => ({
      ...(await c.review(a.intent_id, a.decision, {
        notes: a.notes,
        reviewer: me(),
        ruleId: a.rule_id,
      })),
    })),
  );

  server.registerTool(
    'list_reviews',
    {
      title: 'Reviews of an intent',
      description:
        'Where an intent’s reviews stand: the owner reviews its objects require (each with its latest decision; start_intent is refused until all are approved), the review gate, and every decision with its notes. Check it when start_intent or merge_intent is refused for a missing review.',
      inputSchema: { intent_id: intentId },
      outputSchema: reviewState,
      annotations: readOnly,
    },
    run(async (c, a) => ({ ...(await c.reviews(a.intent_id)) })),
  );

  server.registerTool(
    'history',
    {
      title: 'History of an intent',
      description: 'The audit trail of an intent, oldest first: each status change, who and why.',
      inputSchema: { intent_id: intentId },
      outputSchema: { history: z.array(historyEntry) },
      annotations: readOnly,
    },
    run(async (c, a) => ({ history: await c.history(a.intent_id) })),
  );

  server.registerTool(
    'parse_ddl',
    {
      title: 'Parse DDL',
      description:
        'How pggit reads a DDL script: its statements and the objects each touches (normalised names, e.g. public.users.email), with warnings. Writes nothing.',
      inputSchema: {
        schema_changes: z.string().describe('one or more SQL statements'),
        default_schema: z
          .string()
          .optional()
          .describe('schema of unqualified names, default public'),
      },
      outputSchema: z.looseObject({
        statements: z.array(
          z.looseObject({
            index: z.number().int(),
            kind: z.string(),
            text: z.string(),
            objects: z.array(dbObject),
          }),
        ),
        objects: z.array(dbObject),
        warnings: z.array(warning),
      }),
      annotations: readOnly,
    },
    run(async (c, a) => ({ ...(await c.parse(a.schema_changes, a.default_schema)) })),
  );

  const close = server.close.bind(server);
  server.close = async () => {
    await close();
    await client?.close();
  };
  return server;
}

export interface StdioOptions extends ServerOptions {
  /** Default: PGGIT_DATABASE_URL, then DATABASE_URL. */
  databaseUrl?: string;
  apiSchema?: string;
  connectTimeoutMs?: number;
}

/**
 * Serves MCP on stdin/stdout until the client disconnects. The database URL
 * is checked first (a missing or malformed one throws before serving); the
 * connection is made on the first tool call.
 */
export async function runStdioServer(options: StdioOptions = {}): Promise<void> {
  const { url } = resolveDatabaseUrl(options.databaseUrl);
  const agentId = options.agentId || process.env.PGGIT_AGENT_ID || undefined;
  const clientOptions: PggitClientOptions = {
    apiSchema: options.apiSchema,
    connectTimeoutMs: options.connectTimeoutMs,
    applicationName: 'pggit mcp',
    // its connections act for the agent (pggit.agent_id), as its writes do
    agentId,
  };
  const server = createServer(() => new PggitClientClass(url, clientOptions), options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    let done = false;
    const shutdown = () => {
      if (done) return;
      done = true;
      server.close().finally(resolve);
    };
    process.stdin.once('end', shutdown);
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    transport.onclose = shutdown;
  });
  await server.connect(transport);
  await closed;
}
