/**
 * The shapes pggit's SQL functions take and return, and the few constants
 * the client, the CLI and the MCP server share. No dependency at run time.
 */
import type {
  ConflictReport,
  ConflictType,
  DbObject,
  IntentInput,
  ParseResult,
  ParseWarning,
  Severity,
} from '../detector/types.js';
import { RISK_LEVELS, type RiskLevel, STATUSES, type Status } from '../registry/lifecycle.js';

export type {
  ConflictReport,
  ConflictType,
  DbObject,
  IntentInput,
  ParseResult,
  ParseWarning,
  RiskLevel,
  Severity,
  Status,
};
export { RISK_LEVELS, STATUSES };

export const SEVERITIES = ['warning', 'error'] as const satisfies readonly Severity[];

/** The largest page pggit_list_intents returns (its "limit" is 1 to this). */
export const PAGE_LIMIT = 1000;

/** Statuses an intent can be moved to through the API. */
export const TRANSITION_TARGETS = ['in_progress', 'completed', 'merged', 'abandoned'] as const;
export type TransitionTarget = (typeof TRANSITION_TARGETS)[number];

// ---------------------------------------------------------------------------
// results: the JSON the SQL functions return

/** One row of tb_pggit_intent, as `to_jsonb` renders it. */
export interface Intent {
  /** A UUID; every function that takes an intent id also takes a unique prefix of it (≥ 4 characters). */
  id: string;
  agent_id: string;
  feature_name: string;
  /** Normalised feature name (the timing rule's key). */
  feature_key?: string;
  branch_name: string;
  /** The script split into statements. */
  schema_changes: string[];
  tables_affected: string[];
  estimated_duration_ms: number | null;
  risk_level: RiskLevel;
  status: Status;
  /** Ids of the intents this one conflicts with (both sides are kept up to date). */
  conflicts_with: string[];
  metadata: Record<string, unknown>;
  object_keys: string[];
  /** ISO timestamps. */
  created_at: string;
  updated_at: string;
}

/** An intent as pggit_list_intents returns it: with its open conflicts counted. */
export interface IntentSummary extends Intent {
  /** Unreviewed conflicts whose both intents are still active. */
  open_conflicts: number;
  /** The error-severity ones among them (they keep a conflicted intent from starting). */
  open_errors: number;
}

/** One row of tb_pggit_conflict. */
export interface Conflict {
  id: number;
  intent_a: string;
  intent_b: string;
  conflict_type: ConflictType;
  affected_objects: string[];
  severity: Severity;
  resolution_suggestions: string[];
  reviewed: boolean;
  reviewed_at: string | null;
  reviewed_by: string | null;
  resolution_notes: string | null;
  created_at: string;
  /** pggit_get_conflicts: the conflict's log, oldest first (resolved, reopened, ...). */
  events?: ConflictEvent[];
}

/** One entry of a conflict's log (an append-only, hash-chained audit). */
export interface ConflictEvent {
  id: number;
  event: string;
  /** Who: reviewed_by, reopened_by, or pggit itself. */
  actor: string;
  notes: string | null;
  old_severity: Severity;
  new_severity: Severity;
  at: string;
}

/** One row of the pggit_open_conflicts view: unreviewed, both intents still active. */
export interface OpenConflict {
  id: number;
  conflict_type: ConflictType;
  severity: Severity;
  affected_objects: string[];
  intent_a: string;
  agent_a: string;
  feature_a: string;
  status_a: Status;
  intent_b: string;
  agent_b: string;
  feature_b: string;
  status_b: Status;
  resolution_suggestions: string[];
  created_at: string;
}

/** One row of tb_pggit_intent_history. */
export interface HistoryEntry {
  id: number;
  intent_id: string;
  old_status: Status | null;
  new_status: Status;
  reason: string | null;
  changed_by: string;
  changed_at: string;
}

export interface RegisterResult {
  intent: Intent;
  /** The conflicts recorded for the new intent (it is always `intent_a`). */
  conflicts: Conflict[];
  warnings: ParseWarning[];
}

/** A conflict pggit_check would record; nothing is written. */
export interface CheckConflict {
  intent_a: string | null;
  intent_b: string;
  conflict_type: ConflictType;
  severity: Severity;
  affected_objects: string[];
  resolution_suggestions: string[];
  with_agent: string;
  with_feature: string;
  with_status: Status;
}

export interface CheckResult {
  conflicts_detected: number;
  conflicts: CheckConflict[];
  objects: DbObject[];
  statements?: { kind: string; text: string }[];
  warnings: ParseWarning[];
  branch_slug?: string;
}

export interface VersionInfo {
  version: string;
  bundle_hash: string | null;
  runtime: string | null;
  /** pggit's own schema (tables, internal functions). */
  schema?: string;
  /** The schema of the SQL API functions and views. */
  api_schema?: string;
}

/** A broken link pggit_verify found. */
export interface VerifyProblem {
  chain: 'intent' | 'conflict';
  /** The intent's id, or the conflict's id as text. */
  id: string;
  /** The history row or conflict event, when the problem is one row. */
  row_id: number | null;
  problem: string;
}

/** What pggit_verify says of the audit trail's hash chains. */
export interface VerifyResult {
  ok: boolean;
  problems: number;
  first_broken: VerifyProblem | null;
  /** The first 100. */
  broken: VerifyProblem[];
  intents: number;
  history_rows: number;
  conflict_events: number;
  /** A digest of the chain heads, to keep elsewhere and compare later. */
  digest: string;
}

/**
 * Payloads of `NOTIFY pggit`. Any role may LISTEN on a channel, so they carry
 * ids and statuses only; ask pggit (getIntent, getConflicts) for the rest.
 */
export interface PggitEvent {
  event: 'registered' | 'status_changed';
  intent_id: string;
  old_status: Status | null;
  status: Status;
}

// ---------------------------------------------------------------------------
// inputs

export interface RegisterInput {
  agentId: string;
  featureName: string;
  schemaChanges: string;
  tablesAffected?: string[];
  estimatedDurationMs?: number;
  /** Defaults to 'low' in SQL. */
  riskLevel?: RiskLevel;
  /** Defaults to '{}' in SQL. */
  metadata?: Record<string, unknown>;
}

export interface CheckInput {
  agentId: string;
  featureName: string;
  schemaChanges: string;
  tablesAffected?: string[];
}

export interface ListFilter {
  status?: Status;
  agentId?: string;
  /** Page size (SQL's default: 100). */
  limit?: number;
  /** The id of the last intent of the previous page (newest first). */
  after?: string;
}

export interface TransitionOptions {
  reason?: string;
  /** Recorded in the history (SQL's default: the session user). */
  changedBy?: string;
}

export interface ResolveOptions {
  /** Recorded as reviewed_by (SQL's default: the session user). */
  reviewedBy?: string;
  /** Re-rate the conflict while resolving it. */
  severity?: Severity;
}
