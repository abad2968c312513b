/**
 * The SQL surface of pggit, declared once. esbuild.config.mjs renders it:
 *
 * - every entry becomes one `LANGUAGE plv8` function in pggit's own schema
 *   (`pggit.register`, ...), SECURITY DEFINER with a pinned search_path, that
 *   calls into the bundle (src/plv8/entry.ts);
 * - every entry with an `api` name also gets the SQL API function users call
 *   from a default search_path (`public.pggit_register`, ...): a one-line
 *   `LANGUAGE sql` function in the API schema that calls the first. That
 *   layer is also where an argument is handed over in a form PLV8 keeps
 *   exactly (metadata as jsonb text: a JS number cannot hold every numeric);
 * - the triggers, comments and grants.
 *
 * The readers are SQL: they need no PLV8 start on a new connection, and give
 * back every value exactly as stored (a JS number cannot hold every jsonb
 * number, so nothing users wrote goes through JS on its way out).
 *
 * Rules (see plv8/README.md for the runtime contract):
 * - volatility is honest: VOLATILE for anything that writes or locks;
 * - no blanket STRICT: NULL arguments reach the code, which validates them;
 * - never DROP FUNCTION: triggers depend on these functions.
 */

export interface SqlArg {
  name: string;
  type: string;
  /** SQL default expression, verbatim (API functions only). */
  default?: string;
  /** How the API function passes it on, when not as is: the internal type and the SQL expression. */
  passAs?: { type: string; expr: string };
}

export interface SqlFunction {
  /** The function's name in pggit's schema. */
  name: string;
  /** The name of the SQL API function (in the API schema) that calls it, if users call it. */
  api?: string;
  args: SqlArg[];
  returns: string;
  volatility: 'VOLATILE' | 'STABLE' | 'IMMUTABLE';
  /** LANGUAGE plv8: the key of the implementation in the bundle's `functions` table... */
  js?: string;
  /** ...or LANGUAGE sql / plpgsql with this body, for what needs no JS at all (readers). */
  body?: { language: 'sql' | 'plpgsql'; text: string };
  /**
   * What the API function returns, as an SQL expression of `r`, the internal
   * function's result (default: `r` itself). Writers return the intent's id,
   * and the API function reads the intent back in SQL, exactly as stored.
   */
  apiResult?: string;
  /** EXECUTE granted to pggit_agent (and revoked from PUBLIC either way). */
  agentApi: boolean;
  /** EXECUTE granted to pggit_admin: managing rules and settings. */
  adminApi?: boolean;
  comment: string;
}

export interface SqlTrigger {
  name: string;
  /** A table of pggit's schema. */
  table: string;
  timing: 'BEFORE' | 'AFTER';
  events: string;
  level: 'ROW' | 'STATEMENT';
  /** The trigger function (a SqlFunction returning trigger). */
  fn: string;
}

import { DEFAULT_MAX_CONFLICTS } from '../registry/listing.js';
import { statements } from '../registry/sql.js';

/** The schema placeholder graphile-migrate fills in at install (see esbuild.config.mjs). */
const S = ':PGGIT_SCHEMA';
const sql = statements(S);
const sqlBody = (text: string) => ({ language: 'sql' as const, text });
const plpgsql = (text: string) => ({ language: 'plpgsql' as const, text });
/** A writer's API function returns the intent, read in SQL. */
const intentResult = `${S}.intent_json(r ->> 'id')`;

const intentId: SqlArg = { name: 'intent_id', type: 'text' };
const transitionArgs: SqlArg[] = [
  intentId,
  { name: 'reason', type: 'text', default: 'NULL' },
  { name: 'changed_by', type: 'text', default: 'NULL' },
];

const transition = (to: string, js: string): SqlFunction => ({
  name: `mark_${to}`,
  api: `pggit_mark_${to}`,
  args: transitionArgs,
  returns: 'jsonb',
  volatility: 'VOLATILE',
  js,
  apiResult: intentResult,
  agentApi: true,
  comment: `Move an intent to ${to.replace('_', ' ')}, following the lifecycle; returns the intent.`,
});

/** Triggers are PL/pgSQL: the row never goes through JS, so every value is kept exactly. */
const trigger = (
  name: string,
  body: { language: 'plpgsql'; text: string },
  comment: string,
): SqlFunction => ({
  name,
  args: [],
  returns: 'trigger',
  volatility: 'VOLATILE',
  body,
  agentApi: false,
  comment,
});

/**
 * How many conflicts a registration's or a dry run's result lists (errors
 * first): on a hot table there are hundreds; all are recorded and counted.
 */
const maxConflicts: SqlArg = {
  name: 'max_conflicts',
  type: 'integer',
  default: String(DEFAULT_MAX_CONFLICTS),
};

export const functions: SqlFunction[] = [
  // first: the SQL functions below call them
  {
    name: 'intent_id',
    args: [
      { name: 'given', type: 'text' },
      { name: 'arg', type: 'text' },
      { name: 'must_exist', type: 'boolean' },
    ],
    returns: 'text',
    volatility: 'STABLE',
    body: plpgsql(sql.intentIdFn),
    agentApi: false,
    comment:
      'The full id of an intent named by its id (any case) or a unique prefix of 4 or more characters.',
  },
  {
    name: 'intent_json',
    args: [{ name: 'id', type: 'text' }],
    returns: 'jsonb',
    // VOLATILE for its snapshot: a writer's API function reads back, in the
    // same statement, the row its internal function has just written
    volatility: 'VOLATILE',
    body: sqlBody(sql.intentJsonFn),
    // the writers' API functions (run as the caller) read the intent back through it
    agentApi: true,
    comment: 'An intent as the API shows it, or NULL.',
  },
  {
    name: 'registered_json',
    args: [
      { name: 'id', type: 'text' },
      { name: 'conflicts_with', type: 'jsonb' },
    ],
    returns: 'jsonb',
    // VOLATILE as intent_json: it reads the row pggit_register has just written
    volatility: 'VOLATILE',
    body: sqlBody(sql.registeredJsonFn),
    agentApi: true,
    comment:
      'The intent a registration has just written, as intent_json shows it, with the conflicts_with the registration computed.',
  },
  {
    name: 'version',
    api: 'pggit_version',
    args: [],
    returns: 'jsonb',
    volatility: 'STABLE',
    // Plain SQL: clients check the installed version before their first call,
    // and that must not cost a PLV8 start on a new connection.
    body: sqlBody(`SELECT jsonb_build_object(
    'version', (SELECT value FROM :PGGIT_SCHEMA.tb_pggit_settings WHERE key = 'version'),
    'bundle_hash', (SELECT value FROM :PGGIT_SCHEMA.tb_pggit_settings WHERE key = 'bundle_hash'),
    'schema', ':PGGIT_SCHEMA',
    'api_schema', ':PGGIT_API_SCHEMA',
    'runtime', (SELECT extname || ' ' || extversion FROM pg_extension
                 WHERE extname IN ('plv8', 'plv8_compat') ORDER BY extname LIMIT 1),
    'drift_guard', EXISTS (SELECT 1 FROM pg_event_trigger
                            WHERE evtname = 'pggit_drift_ddl_:PGGIT_SCHEMA' AND evtenabled <> 'D'))`),
    agentApi: true,
    comment:
      'The installed pggit: package version, bundle hash, schemas and PLV8 runtime (answers without starting PLV8).',
  },
  {
    name: 'parse',
    api: 'pggit_parse',
    args: [
      { name: 'schema_changes', type: 'text' },
      { name: 'default_schema', type: 'text', default: "'public'" },
    ],
    returns: 'jsonb',
    volatility: 'IMMUTABLE',
    js: 'parse',
    agentApi: true,
    comment: 'Split a DDL script into statements and list the objects each touches, with warnings.',
  },
  {
    name: 'detect',
    api: 'pggit_detect',
    args: [
      { name: 'intent_a', type: 'jsonb' },
      { name: 'intent_b', type: 'jsonb' },
    ],
    returns: 'jsonb',
    volatility: 'IMMUTABLE',
    js: 'detect',
    agentApi: true,
    comment: 'Conflict reports between two intents given as JSON objects; writes nothing.',
  },
  {
    name: 'register',
    api: 'pggit_register',
    args: [
      { name: 'agent_id', type: 'text' },
      { name: 'feature_name', type: 'text' },
      { name: 'schema_changes', type: 'text' },
      { name: 'tables_affected', type: 'text[]', default: 'NULL' },
      { name: 'estimated_duration_ms', type: 'integer', default: 'NULL' },
      { name: 'risk_level', type: 'text', default: "'low'" },
      {
        name: 'metadata',
        type: 'jsonb',
        default: "'{}'",
        passAs: { type: 'text', expr: '$7::text' },
      },
      { name: 'lease_seconds', type: 'integer', default: 'NULL' },
      maxConflicts,
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'register',
    apiResult: `r || jsonb_build_object('intent', ${S}.registered_json(r #>> '{intent,id}', r #> '{intent,conflicts_with}'))`,
    agentApi: true,
    comment:
      'Declare an intent: parse its DDL, record conflicts with every active intent of other agents on both sides, allocate a branch. The result lists at most max_conflicts of them (errors first; NULL for all) and counts the rest; pggit_get_conflicts has every one.',
  },
  {
    name: 'check',
    api: 'pggit_check',
    args: [
      { name: 'agent_id', type: 'text' },
      { name: 'feature_name', type: 'text' },
      { name: 'schema_changes', type: 'text' },
      { name: 'tables_affected', type: 'text[]', default: 'NULL' },
      maxConflicts,
    ],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'check',
    agentApi: true,
    comment:
      'Dry run of pggit_register: the conflicts it would record, at most max_conflicts of them listed (errors first; NULL for all) and all counted. Writes nothing.',
  },
  {
    name: 'get_intent',
    api: 'pggit_get_intent',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.getIntentFn),
    agentApi: true,
    comment: 'One intent as JSON (by id or unique id prefix), or NULL when there is none.',
  },
  {
    name: 'list_intents',
    api: 'pggit_list_intents',
    args: [
      { name: 'status', type: 'text', default: 'NULL' },
      { name: 'agent_id', type: 'text', default: 'NULL' },
      { name: 'limit', type: 'integer', default: '100' },
      { name: 'after', type: 'text', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: plpgsql(sql.listIntentsFn),
    agentApi: true,
    comment:
      'Intents, newest first, as summaries (no script, keys or conflicts_with: pggit_get_intent has those) with their open conflict counts; optionally filtered by status and agent. One page of at most "limit" (1 to 1000); pass the last id as "after" for the next page.',
  },
  transition('in_progress', 'markInProgress'),
  transition('completed', 'markCompleted'),
  transition('merged', 'markMerged'),
  transition('abandoned', 'markAbandoned'),
  {
    name: 'get_conflicts',
    api: 'pggit_get_conflicts',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.getConflictsFn),
    agentApi: true,
    comment:
      'Every conflict the intent is part of, on either side, with advice addressed to it and its resolution log.',
  },
  {
    name: 'resolve_conflict',
    api: 'pggit_resolve_conflict',
    args: [
      { name: 'conflict_id', type: 'integer' },
      { name: 'resolution_notes', type: 'text' },
      { name: 'reviewed_by', type: 'text', default: 'NULL' },
      { name: 'severity', type: 'text', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'resolveConflict',
    agentApi: true,
    comment:
      'Mark a conflict reviewed with notes, optionally adjusting its severity (audited); intents left without open conflicts return to registered.',
  },
  {
    name: 'reopen_conflict',
    api: 'pggit_reopen_conflict',
    args: [
      { name: 'conflict_id', type: 'integer' },
      { name: 'reason', type: 'text' },
      { name: 'reopened_by', type: 'text', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'reopenConflict',
    agentApi: true,
    comment:
      'Re-open a resolved conflict (audited), so that it can be resolved again; an intent it holds back becomes conflicted again.',
  },
  {
    name: 'heartbeat',
    api: 'pggit_heartbeat',
    args: [intentId, { name: 'lease_seconds', type: 'integer', default: 'NULL' }],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'heartbeat',
    apiResult: intentResult,
    agentApi: true,
    comment:
      "Renew an active intent's lease, for its TTL or for lease_seconds from now; an expired intent cannot be renewed. Returns the intent.",
  },
  {
    name: 'sweep',
    api: 'pggit_sweep',
    args: [{ name: 'limit', type: 'integer', default: '1000' }],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'sweep',
    agentApi: true,
    comment:
      'Abandon active intents whose lease has expired (history: lease expired), releasing their conflicts. Safe to run concurrently and from cron.',
  },
  {
    name: 'history',
    api: 'pggit_history',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.historyFn),
    agentApi: true,
    comment: 'The audit trail of an intent: its status changes, oldest first.',
  },
  {
    name: 'bundle_init',
    args: [],
    returns: 'void',
    volatility: 'VOLATILE',
    agentApi: false,
    comment: 'Loads the pggit bundle into this PLV8 context (called by the other functions).',
  },
  {
    name: 'rederive_intents',
    args: [],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'rederive',
    agentApi: false,
    comment:
      'Derives again the objects and conflict keys of active intents stored under another object model (run at the end of every install and upgrade).',
  },
  {
    name: 'check_transition',
    args: [
      { name: 'intent_id', type: 'text' },
      { name: 'from_status', type: 'text' },
      { name: 'to_status', type: 'text' },
    ],
    returns: 'void',
    volatility: 'STABLE',
    js: 'checkTransition',
    agentApi: false,
    comment:
      'The lifecycle rules, for the guard trigger: refuses (55000) a status change they forbid.',
  },
  trigger(
    'intent_guard',
    plpgsql(sql.intentGuardFn),
    'BEFORE INSERT OR UPDATE on tb_pggit_intent: enforces the lifecycle for API calls and direct SQL alike.',
  ),
  trigger(
    'intent_fixed',
    plpgsql(sql.intentFixedFn),
    'BEFORE UPDATE OF what an intent declared on tb_pggit_intent: refuses (55000) a change to it; its objects change only with its model version.',
  ),
  trigger(
    'intent_audit',
    plpgsql(sql.intentAuditFn),
    'AFTER INSERT OR UPDATE on tb_pggit_intent: appends the history row and sends the pggit notification.',
  ),
  trigger(
    'chain_history',
    plpgsql(sql.chainHistoryFn),
    "BEFORE INSERT on tb_pggit_intent_history: links the row into its intent's hash chain.",
  ),
  trigger(
    'chain_event',
    plpgsql(sql.chainEventFn),
    "BEFORE INSERT on tb_pggit_conflict_event: links the event into its conflict's hash chain.",
  ),
  {
    name: 'verify',
    api: 'pggit_verify',
    args: [],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.verifyFn),
    agentApi: true,
    comment:
      "Recomputes the hash chains of every intent's history and every conflict's log: ok, the first broken link, and a digest of the chain heads to keep elsewhere.",
  },
  {
    name: 'review_state',
    api: 'pggit_reviews',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.reviewStateFn),
    agentApi: true,
    comment:
      "An intent's reviews: those owner rules require (with their latest decision), the review gate, every decision.",
  },
  {
    name: 'review',
    api: 'pggit_review',
    args: [
      intentId,
      { name: 'decision', type: 'text' },
      { name: 'notes', type: 'text', default: 'NULL' },
      { name: 'reviewer', type: 'text', default: 'NULL' },
      { name: 'rule_id', type: 'integer', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'review',
    agentApi: true,
    comment:
      'Approve or reject an intent: for an owner rule (rule_id, by the owner: it may then start), or for the review gate (by anyone but its agent: it may then merge). Audited; the latest decision counts.',
  },
  {
    name: 'rules',
    api: 'pggit_rules',
    args: [],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.rulesFn),
    agentApi: true,
    adminApi: true,
    comment: 'The active rules (owners, severities, advice), in the order they apply.',
  },
  {
    name: 'add_rule',
    api: 'pggit_add_rule',
    args: [
      { name: 'kind', type: 'text' },
      { name: 'pattern', type: 'text', default: 'NULL' },
      { name: 'owner', type: 'text', default: 'NULL' },
      { name: 'severity', type: 'text', default: 'NULL' },
      { name: 'conflict_type', type: 'text', default: 'NULL' },
      { name: 'advice', type: 'text', default: 'NULL' },
      { name: 'metadata_key', type: 'text', default: 'NULL' },
      { name: 'metadata_value', type: 'text', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'addRule',
    agentApi: false,
    adminApi: true,
    comment:
      'Add a rule (pggit_admin): owner (pattern, owner), severity (conflict_type and/or pattern, severity warning/error/none) or advice (pattern or metadata_key/value, advice).',
  },
  {
    name: 'remove_rule',
    api: 'pggit_remove_rule',
    args: [{ name: 'rule_id', type: 'integer' }],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'removeRule',
    agentApi: false,
    adminApi: true,
    comment: 'Retire a rule (pggit_admin); it stays, inactive, for what it decided.',
  },
  {
    name: 'settings',
    api: 'pggit_settings',
    args: [],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: sqlBody(sql.settingsFn),
    agentApi: true,
    adminApi: true,
    comment: 'The settings of this installation.',
  },
  {
    name: 'set_setting',
    api: 'pggit_set_setting',
    args: [
      { name: 'key', type: 'text' },
      { name: 'value', type: 'text' },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'setSetting',
    agentApi: false,
    adminApi: true,
    comment:
      'Change a setting (pggit_admin): bind_agent_identity, agent_isolation, review_gate, drift_mode, lease_seconds, clock_override.',
  },
  {
    name: 'drift_check',
    args: [
      { name: 'commands', type: 'jsonb' },
      { name: 'query', type: 'text' },
    ],
    returns: 'void',
    volatility: 'VOLATILE',
    js: 'driftCheck',
    agentApi: false,
    comment:
      "The drift guard, for the event triggers: compares executed DDL with the executing agent's active intents.",
  },
  {
    name: 'drift_ddl',
    args: [],
    returns: 'event_trigger',
    volatility: 'VOLATILE',
    body: plpgsql(sql.driftDdlFn),
    agentApi: false,
    comment: 'Event trigger on ddl_command_end: hands each command to the drift guard.',
  },
  {
    name: 'drift_drop',
    args: [],
    returns: 'event_trigger',
    volatility: 'VOLATILE',
    body: plpgsql(sql.driftDropFn),
    agentApi: false,
    comment: 'Event trigger on sql_drop: hands what a statement dropped to the drift guard.',
  },
  {
    name: 'drift',
    api: 'pggit_drift',
    args: [
      { name: 'since', type: 'timestamptz', default: 'NULL' },
      { name: 'limit', type: 'integer', default: '100' },
    ],
    returns: 'jsonb',
    volatility: 'STABLE',
    body: plpgsql(sql.driftFn),
    agentApi: true,
    comment:
      'Drift findings, newest first: DDL executed that no active intent of its agent declared (undeclared), or that another agent declared (foreign).',
  },
  trigger(
    'append_only',
    plpgsql(sql.appendOnlyFn),
    'Refuses UPDATE, DELETE and TRUNCATE on the audit tables: the history can only grow.',
  ),
];

export interface SqlEventTrigger {
  /** Database-wide: the schema name is appended, so two installs never share one. */
  name: string;
  event: 'ddl_command_end' | 'sql_drop';
  fn: string;
}

/** Created only by an install that runs as a superuser (PostgreSQL's rule for event triggers). */
export const eventTriggers: SqlEventTrigger[] = [
  { name: 'pggit_drift_ddl', event: 'ddl_command_end', fn: 'drift_ddl' },
  { name: 'pggit_drift_drop', event: 'sql_drop', fn: 'drift_drop' },
];

export const triggers: SqlTrigger[] = [
  {
    name: 'pggit_chain_history',
    table: 'tb_pggit_intent_history',
    timing: 'BEFORE',
    events: 'INSERT',
    level: 'ROW',
    fn: 'chain_history',
  },
  {
    name: 'pggit_chain_event',
    table: 'tb_pggit_conflict_event',
    timing: 'BEFORE',
    events: 'INSERT',
    level: 'ROW',
    fn: 'chain_event',
  },
  {
    name: 'pggit_intent_guard',
    table: 'tb_pggit_intent',
    timing: 'BEFORE',
    events: 'INSERT OR UPDATE',
    level: 'ROW',
    fn: 'intent_guard',
  },
  {
    // only when one of these columns is set: a status change or a heartbeat
    // compares none of them
    name: 'pggit_intent_fixed',
    table: 'tb_pggit_intent',
    timing: 'BEFORE',
    events:
      'UPDATE OF feature_name, feature_key, schema_changes, tables_affected, metadata, objects, object_keys',
    level: 'ROW',
    fn: 'intent_fixed',
  },
  {
    name: 'pggit_intent_audit',
    table: 'tb_pggit_intent',
    timing: 'AFTER',
    events: 'INSERT OR UPDATE',
    level: 'ROW',
    fn: 'intent_audit',
  },
  ...[
    'tb_pggit_intent_history',
    'tb_pggit_conflict_event',
    'tb_pggit_drift',
    'tb_pggit_review',
    'tb_pggit_required_review',
  ].flatMap((table): SqlTrigger[] => [
    {
      name: 'pggit_append_only_rows',
      table,
      timing: 'BEFORE',
      events: 'UPDATE OR DELETE',
      level: 'ROW',
      fn: 'append_only',
    },
    {
      name: 'pggit_append_only_truncate',
      table,
      timing: 'BEFORE',
      events: 'TRUNCATE',
      level: 'STATEMENT',
      fn: 'append_only',
    },
  ]),
];
