/**
 * The SQL surface of pggit, declared once. esbuild.config.mjs renders every
 * entry into one `CREATE OR REPLACE FUNCTION ... LANGUAGE plv8` wrapper that
 * calls into the bundle (src/plv8/entry.ts), plus the triggers and grants.
 *
 * Rules (see plv8/README.md for the runtime contract):
 * - volatility is honest: VOLATILE for anything that writes or locks;
 * - no blanket STRICT: NULL arguments reach the code, which validates them;
 * - never DROP FUNCTION: triggers depend on these functions.
 */

export interface SqlArg {
  name: string;
  type: string;
  /** SQL default expression, verbatim. */
  default?: string;
}

export interface SqlFunction {
  name: string;
  args: SqlArg[];
  returns: string;
  volatility: 'VOLATILE' | 'STABLE' | 'IMMUTABLE';
  /** Key of the implementation in the bundle's `functions` table. */
  js: string;
  /** SECURITY DEFINER with a pinned search_path: callers need no table privileges. */
  securityDefiner: boolean;
  /** Granted to the pggit_agent role (and revoked from PUBLIC otherwise). */
  agentApi: boolean;
  comment: string;
}

export interface SqlTrigger {
  name: string;
  table: string;
  timing: 'BEFORE' | 'AFTER';
  events: string;
  level: 'ROW' | 'STATEMENT';
  /** The trigger function (a SqlFunction returning trigger). */
  fn: string;
}

const intentId: SqlArg = { name: 'intent_id', type: 'text' };
const transitionArgs: SqlArg[] = [
  intentId,
  { name: 'reason', type: 'text', default: 'NULL' },
  { name: 'changed_by', type: 'text', default: 'NULL' },
];

const transition = (to: string, js: string): SqlFunction => ({
  name: `pggit_mark_${to}`,
  args: transitionArgs,
  returns: 'jsonb',
  volatility: 'VOLATILE',
  js,
  securityDefiner: true,
  agentApi: true,
  comment: `Move an intent to ${to.replace('_', ' ')}, following the lifecycle; returns the intent.`,
});

const trigger = (name: string, js: string, comment: string): SqlFunction => ({
  name,
  args: [],
  returns: 'trigger',
  volatility: 'VOLATILE',
  js,
  securityDefiner: true,
  agentApi: false,
  comment,
});

export const functions: SqlFunction[] = [
  {
    name: 'pggit_version',
    args: [],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'version',
    securityDefiner: false,
    agentApi: true,
    comment: 'The installed pggit: package version, bundle hash and PLV8 runtime.',
  },
  {
    name: 'pggit_parse',
    args: [
      { name: 'schema_changes', type: 'text' },
      { name: 'default_schema', type: 'text', default: "'public'" },
    ],
    returns: 'jsonb',
    volatility: 'IMMUTABLE',
    js: 'parse',
    securityDefiner: false,
    agentApi: true,
    comment: 'Split a DDL script into statements and list the objects each touches, with warnings.',
  },
  {
    name: 'pggit_detect',
    args: [
      { name: 'intent_a', type: 'jsonb' },
      { name: 'intent_b', type: 'jsonb' },
    ],
    returns: 'jsonb',
    volatility: 'IMMUTABLE',
    js: 'detect',
    securityDefiner: false,
    agentApi: true,
    comment: 'Conflict reports between two intents given as JSON objects; writes nothing.',
  },
  {
    name: 'pggit_register',
    args: [
      { name: 'agent_id', type: 'text' },
      { name: 'feature_name', type: 'text' },
      { name: 'schema_changes', type: 'text' },
      { name: 'tables_affected', type: 'text[]', default: 'NULL' },
      { name: 'estimated_duration_ms', type: 'integer', default: 'NULL' },
      { name: 'risk_level', type: 'text', default: "'low'" },
      { name: 'metadata', type: 'jsonb', default: "'{}'" },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'register',
    securityDefiner: true,
    agentApi: true,
    comment:
      'Declare an intent: parse its DDL, record conflicts with every active intent of other agents on both sides, allocate a branch.',
  },
  {
    name: 'pggit_check',
    args: [
      { name: 'agent_id', type: 'text' },
      { name: 'feature_name', type: 'text' },
      { name: 'schema_changes', type: 'text' },
      { name: 'tables_affected', type: 'text[]', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'check',
    securityDefiner: true,
    agentApi: true,
    comment: 'Dry run of pggit_register: the conflicts it would record. Writes nothing.',
  },
  {
    name: 'pggit_get_intent',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'getIntent',
    securityDefiner: true,
    agentApi: true,
    comment: 'One intent as JSON, or NULL when there is none.',
  },
  {
    name: 'pggit_list_intents',
    args: [
      { name: 'status', type: 'text', default: 'NULL' },
      { name: 'agent_id', type: 'text', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'listIntents',
    securityDefiner: true,
    agentApi: true,
    comment: 'Intents, newest first, optionally filtered by status and agent.',
  },
  transition('in_progress', 'markInProgress'),
  transition('completed', 'markCompleted'),
  transition('merged', 'markMerged'),
  transition('abandoned', 'markAbandoned'),
  {
    name: 'pggit_get_conflicts',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'getConflicts',
    securityDefiner: true,
    agentApi: true,
    comment: 'Every conflict the intent is part of, on either side.',
  },
  {
    name: 'pggit_resolve_conflict',
    args: [
      { name: 'conflict_id', type: 'integer' },
      { name: 'resolution_notes', type: 'text' },
      { name: 'reviewed_by', type: 'text', default: 'NULL' },
    ],
    returns: 'jsonb',
    volatility: 'VOLATILE',
    js: 'resolveConflict',
    securityDefiner: true,
    agentApi: true,
    comment:
      'Mark a conflict reviewed with notes; intents left without open conflicts return to registered.',
  },
  {
    name: 'pggit_history',
    args: [intentId],
    returns: 'jsonb',
    volatility: 'STABLE',
    js: 'history',
    securityDefiner: true,
    agentApi: true,
    comment: 'The audit trail of an intent, oldest first.',
  },
  trigger(
    'pggit_intent_guard',
    'intentGuard',
    'BEFORE INSERT OR UPDATE on tb_pggit_intent: enforces the lifecycle for API calls and direct SQL alike.',
  ),
  trigger(
    'pggit_intent_audit',
    'intentAudit',
    'AFTER INSERT OR UPDATE on tb_pggit_intent: appends the history row and sends the pggit notification.',
  ),
  trigger(
    'pggit_history_immutable',
    'historyImmutable',
    'Refuses UPDATE, DELETE and TRUNCATE on tb_pggit_intent_history: the audit trail is append-only.',
  ),
];

export const triggers: SqlTrigger[] = [
  {
    name: 'pggit_intent_guard',
    table: 'tb_pggit_intent',
    timing: 'BEFORE',
    events: 'INSERT OR UPDATE',
    level: 'ROW',
    fn: 'pggit_intent_guard',
  },
  {
    name: 'pggit_intent_audit',
    table: 'tb_pggit_intent',
    timing: 'AFTER',
    events: 'INSERT OR UPDATE',
    level: 'ROW',
    fn: 'pggit_intent_audit',
  },
  {
    name: 'pggit_history_immutable_rows',
    table: 'tb_pggit_intent_history',
    timing: 'BEFORE',
    events: 'UPDATE OR DELETE',
    level: 'ROW',
    fn: 'pggit_history_immutable',
  },
  {
    name: 'pggit_history_immutable_truncate',
    table: 'tb_pggit_intent_history',
    timing: 'BEFORE',
    events: 'TRUNCATE',
    level: 'STATEMENT',
    fn: 'pggit_history_immutable',
  },
];
