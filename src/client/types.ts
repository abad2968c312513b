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

/** The longest lease pggit gives (lease_seconds: 1 second to a year). */
export const LEASE_SECONDS_LIMIT = 31_536_000;

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
  /** The lease it was given (the installation's lease_seconds setting unless registered with one). */
  lease_seconds: number;
  /**
   * When its lease runs out unless its agent heartbeats or moves it; from then
   * on it no longer counts for detection, and a sweep abandons it.
   */
  lease_expires_at: string;
  /** Its lease has run out: it can be abandoned, never renewed (register again). */
  expired: boolean;
  /** The drift guard: the declared objects its agent has executed so far (`kind|name`). */
  applied_objects: string[];
  /** When its agent had executed everything it declared (null until then). */
  applied_at: string | null;
}

/**
 * An intent as pggit_list_intents returns it: what it is and where it stands,
 * with its open conflicts counted; its script, keys, applied objects and
 * conflicts_with are left to getIntent().
 */
export interface IntentSummary
  extends Omit<Intent, 'schema_changes' | 'object_keys' | 'applied_objects' | 'conflicts_with'> {
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
  /** The severity rule that set the severity (null: pggit's own). */
  severity_rule?: number | null;
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
  /** How many conflicts were recorded for the new intent. */
  conflicts_recorded: number;
  /**
   * The conflicts recorded for the new intent (it is always `intent_a`), in
   * id order: at most maxConflicts of them, errors kept before warnings.
   */
  conflicts: Conflict[];
  /** Recorded but not listed (past maxConflicts): getConflicts has them. */
  conflicts_omitted: number;
  warnings: ParseWarning[];
  /** Owner rules whose objects it changes: it may not start before each owner approves (review). */
  required_reviews: RequiredReview[];
  /** What advice rules say about its objects or metadata. */
  advice: string[];
}

/** An owner rule's review an intent needs. */
export interface RequiredReview {
  rule_id: number;
  /** The agent or role (a team: any member) that reviews. */
  owner: string;
  /** The intent's objects the rule's pattern matches. */
  objects: string[];
  /** pggit_reviews: the latest decision, or null. */
  decision?: ReviewDecision | null;
}

export const REVIEW_DECISIONS = ['approved', 'rejected'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** One decision of tb_pggit_review (append-only; the latest one counts). */
export interface Review {
  id: number;
  intent_id: string;
  /** The owner rule it answers, or null for the review gate. */
  rule_id: number | null;
  decision: ReviewDecision;
  reviewer: string;
  /** The database user who recorded it. */
  session_role: string;
  notes: string | null;
  at: string;
}

/** What pggit_reviews and pggit_review return: an intent's reviews. */
export interface ReviewState {
  intent_id: string;
  /** The owner reviews it needs, each with its latest decision. */
  required: (RequiredReview & { decision: ReviewDecision | null })[];
  /** The review gate (setting review_gate): completed -> merged needs an approval by someone else. */
  gate: { enabled: boolean; decision: ReviewDecision | null };
  /** Every decision, oldest first. */
  reviews: Review[];
}

export const RULE_KINDS = ['owner', 'severity', 'advice'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
/** A severity rule's severity: none means the conflict is not recorded at all. */
export const RULE_SEVERITIES = ['warning', 'error', 'none'] as const;
export type RuleSeverity = (typeof RULE_SEVERITIES)[number];

/** One row of tb_pggit_rule. */
export interface Rule {
  id: number;
  kind: RuleKind;
  /** A glob over normalised names, optionally after a kind: `public.payments*`, `function:public.charge*`. */
  pattern: string | null;
  conflict_type: ConflictType | null;
  metadata_key: string | null;
  metadata_value: string | null;
  owner: string | null;
  severity: RuleSeverity | null;
  advice: string | null;
  created_at: string;
  created_by: string;
  /** Set once removed (a removed rule stays, inactive). */
  removed_at: string | null;
}

/** pggit_settings(): every setting an owner may change, as text. */
export type Settings = Record<string, string>;

/** What pggit_sweep did: the expired intents it abandoned. */
export interface SweepResult {
  swept: number;
  intents: string[];
}

export const DRIFT_FINDINGS = ['undeclared', 'foreign'] as const;
export type DriftFindingKind = (typeof DRIFT_FINDINGS)[number];

/** One row of tb_pggit_drift: DDL that ran without an active intent of its agent declaring it. */
export interface DriftFinding {
  id: number;
  at: string;
  /** The executing agent: the session's pggit.agent_id, else its user. */
  agent_id: string;
  /** The database user of the session. */
  session_role: string;
  command_tag: string;
  /** undeclared: no active intent of the agent declared it; foreign: another agent's did. */
  finding: DriftFindingKind;
  /** The drift mode it was found in (enforce refuses the DDL instead of recording it). */
  mode: 'warn' | 'enforce';
  /** What ran undeclared. */
  objects: DbObject[];
  /** The statement (at most 10,000 characters). */
  statement: string;
  /** The agent's active intents that declared part of the command. */
  own_intents: string[];
  /** Other agents' active intents that touch what it did not declare. */
  other_intents: string[];
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
  /** At most maxConflicts of them, errors kept before warnings. */
  conflicts: CheckConflict[];
  /** Detected but not listed (past maxConflicts). */
  conflicts_omitted: number;
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
  /** The drift guard's event triggers exist and are enabled (an install by a superuser). */
  drift_guard?: boolean;
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
 * ids and statuses only; ask pggit (getIntent, getConflicts, drift) for the rest.
 */
export type PggitEvent = IntentEvent | DriftEvent;

/** An intent was registered, or its status changed. */
export interface IntentEvent {
  event: 'registered' | 'status_changed';
  intent_id: string;
  old_status: Status | null;
  status: Status;
}

/** The drift guard recorded a finding (drift() has it). */
export interface DriftEvent {
  event: 'drift';
  drift_id: number;
  finding: DriftFindingKind;
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
  /** Its lease, 1 second to a year (default: the installation's lease_seconds setting). */
  leaseSeconds?: number;
  /**
   * How many of the recorded conflicts the result lists, errors first (SQL's
   * default: 100; 'all' for every one). All are recorded and counted either way.
   */
  maxConflicts?: number | 'all';
}

export interface CheckInput {
  agentId: string;
  featureName: string;
  schemaChanges: string;
  tablesAffected?: string[];
  /** How many conflicts the result lists, errors first (SQL's default: 100; 'all' for every one). */
  maxConflicts?: number | 'all';
}

export interface ListFilter {
  status?: Status;
  agentId?: string;
  /** Page size (SQL's default: 100). */
  limit?: number;
  /** The id of the last intent of the previous page (newest first). */
  after?: string;
}

/** A page of conflicts, in id order. */
export interface ConflictPage {
  /** Page size (default: all). */
  limit?: number;
  /** The id of the last conflict of the previous page. */
  after?: number;
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

export interface DriftFilter {
  /** Only findings at or after this time (a Date or an ISO 8601 string). */
  since?: Date | string;
  /** At most this many, newest first: 1 to PAGE_LIMIT (SQL's default: 100). */
  limit?: number;
}

export interface ReviewOptions {
  notes?: string;
  /** Recorded as the reviewer (SQL's default: the session user). */
  reviewer?: string;
  /** The owner rule whose review this is; without it, the review gate's. */
  ruleId?: number;
}

/** pggit_add_rule's arguments (see Rule). */
export interface RuleInput {
  kind: RuleKind;
  pattern?: string;
  owner?: string;
  severity?: RuleSeverity;
  conflictType?: ConflictType;
  advice?: string;
  metadataKey?: string;
  metadataValue?: string;
}
