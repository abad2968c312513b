/**
 * Declaring an intent (pggit_register) and its dry run (pggit_check).
 *
 * Race freedom: a registration locks the stripes of its conflict keys (row
 * locks on tb_pggit_lock, in the one lock order of sql.ts) before it reads
 * the active intents. Two registrations that share any key serialise, and the
 * second sees the first (READ COMMITTED takes a fresh snapshot per
 * statement); two that share none wait for each other only when their keys
 * hash to a common stripe (about 5 keys each in 4096 stripes: rarely).
 *
 * Parse once: the newcomer's script is parsed here, once; every candidate is
 * compared from the objects stored when it registered, never parsed again
 * (unless it was stored by another object-model version).
 */
import {
  detectPrepared,
  MODEL_VERSION,
  normalizeFeatureName,
  type PreparedIntent,
  parseScript,
  prepareIntent,
} from '../detector/index.js';
import type { ConflictReport, DetectOptions, ParseResult } from '../detector/types.js';
import { branchSlug } from './branch.js';
import {
  type Candidate,
  type CandidateEntry,
  type CandidateRow,
  candidateOf,
  candidates,
} from './candidates.js';
import type { Registry } from './context.js';
import { invalidArgument } from './errors.js';
import { checkAgent, requireReadCommitted, type Session } from './identity.js';
import type { Status } from './lifecycle.js';
import { listed } from './listing.js';
import type { ConflictRow } from './rows.js';
import {
  adviceFor,
  adviceForIntent,
  loadRules,
  type Rule,
  requiredReviews,
  severityFor,
} from './rules.js';
import * as v from './validate.js';

function parseChanges(schemaChanges: string): ParseResult {
  // parsing stops at the limit: a script of 111,111 statements is refused
  // after 5,001 of them, not after all
  const parsed = parseScript(schemaChanges, { maxStatements: v.LIMITS.statements });
  if (parsed.truncated) {
    throw invalidArgument(
      `schema_changes has more than ${v.LIMITS.statements} statements, the limit is ${v.LIMITS.statements}`,
      'register the change in parts, one intent per migration file',
    );
  }
  const lexical = parsed.warnings.find((w) => w.lexical);
  if (lexical !== undefined) {
    // An unterminated quote swallows the rest of the script: nothing after it
    // could be analysed, and the migration could never run as written.
    throw invalidArgument(
      `schema_changes is not valid SQL: ${lexical.message}`,
      'close the quote, dollar-quoted body or comment; everything after it was read as part of it',
    );
  }
  if (parsed.statements.length === 0) {
    throw invalidArgument('schema_changes contains no SQL statement');
  }
  return parsed;
}

function validateIntent(
  agentId: unknown,
  featureName: unknown,
  schemaChanges: unknown,
  tables: unknown,
): PreparedIntent {
  const intent = {
    agent_id: v.requiredText('agent_id', agentId),
    feature_name: v.requiredText('feature_name', featureName),
    schema_changes: v.requiredText('schema_changes', schemaChanges, v.LIMITS.schemaChanges),
    tables_affected: v.tablesAffected(tables),
  };
  return prepareIntent(intent, parseChanges(intent.schema_changes));
}

export interface FoundConflict extends ConflictReport {
  other: Candidate;
  /** The same conflict's advice, addressed to the other intent's agent. */
  resolution_suggestions_b: string[];
  /** The severity rule that set the severity, if one did. */
  severity_rule: number | null;
  /** Its place in the order found. */
  seq: number;
}

/** The detector's advice and the rules' (the detector's own list when no rule adds any). */
const NO_ADVICE: readonly string[] = Object.freeze([]);

function reportOfType(reports: ConflictReport[], type: string): ConflictReport | undefined {
  for (const r of reports) if (r.conflict_type === type) return r;
  return undefined;
}

/** Reports without advice: a result lists the advice of the conflicts it keeps only. */
const NO_ADVICE_PLEASE: DetectOptions = Object.freeze({ advice: false });

const withAdvice = (advice: string[], extra: readonly string[]) =>
  extra.length === 0 ? advice : [...advice, ...extra];

/**
 * The conflicts found, as they are found: every one, or (`max`) only those a
 * result of at most `max` can list (the first `max` errors and the first
 * `max` warnings; listed() picks among them). The others are counted and
 * dropped at once: on a hot table they are most of them, and a conflict
 * kept until the end is copied by every young-generation collection on the way.
 */
class Found {
  /** With no max: every conflict found. */
  readonly all: FoundConflict[] = [];
  readonly errors: FoundConflict[] = [];
  readonly warnings: FoundConflict[] = [];
  total = 0;
  constructor(readonly max: number | null) {}
  /** Whether a conflict of this severity would be kept (else add() only counts it). */
  keeps(severity: string): boolean {
    if (this.max === null) return true;
    return (severity === 'error' ? this.errors : this.warnings).length < this.max;
  }
  /** Counts a conflict that is not kept. */
  skip(): void {
    this.total++;
  }
  add(c: FoundConflict): void {
    this.total++;
    if (this.max === null) {
      this.all.push(c);
      return;
    }
    const into = c.severity === 'error' ? this.errors : this.warnings;
    if (into.length < this.max) into.push(c);
  }
  /** What a result lists, in the order found. */
  listed(): FoundConflict[] {
    if (this.max === null) return this.all;
    return listed(
      [...this.errors, ...this.warnings].sort((x, y) => x.seq - y.seq),
      this.max,
    );
  }
}

/**
 * Conflicts between the newcomer and every candidate, with advice for both
 * sides, after the rules: a severity rule may change a conflict's severity or
 * drop it, an advice rule adds advice.
 */
function findConflicts(
  r: Registry,
  mine: PreparedIntent,
  metadata: Record<string, unknown>,
  rules: Rule[],
  bothSides: boolean,
  max: number | null,
): Found {
  const found = new Found(max);
  // With a max, most conflicts of a hot table are counted and never listed:
  // they are found without advice (most of the cost), and a candidate is
  // compared again, with advice, only when one of its conflicts is kept.
  const lean = max !== null;
  const { rows, entries } = candidates(r, mine);
  for (let i = 0; i < rows.length; i++) {
    const entry = entries[i] as CandidateEntry;
    const theirs = entry.prepared;
    const reports = detectPrepared(mine, theirs, lean ? NO_ADVICE_PLEASE : undefined);
    if (reports.length === 0) continue;
    let advised = lean ? undefined : reports;
    let other: Candidate | undefined;
    // a dry run shows only the newcomer's side
    const theirSide = bothSides ? detectPrepared(theirs, mine) : [];
    for (const report of reports) {
      // no rules (the common case): the detector's severity, no extra advice,
      // and nothing allocated for them (a hot table has hundreds of reports)
      let severity = report.severity;
      let rule: number | null = null;
      if (rules.length > 0) {
        const set = severityFor(
          rules,
          report.conflict_type,
          report.affected_objects,
          report.severity,
        );
        if (set.severity === null) continue; // a rule says this one is not worth recording
        severity = set.severity;
        rule = set.rule;
      }
      if (!found.keeps(severity)) {
        found.skip();
        continue;
      }
      if (advised === undefined) advised = detectPrepared(mine, theirs);
      if (other === undefined) other = candidateOf(rows[i] as CandidateRow, entry);
      const advice = (reportOfType(advised, report.conflict_type) ?? report).resolution_suggestions;
      const extra =
        rules.length === 0
          ? NO_ADVICE
          : adviceFor(rules, report.conflict_type, report.affected_objects, [
              metadata,
              entry.metadata,
            ]);
      const mineAdvice = withAdvice(advice, extra);
      const back = reportOfType(theirSide, report.conflict_type);
      // a literal, not {...report, …}: V8 gives each spread-and-extended
      // object a hidden class of its own (about 80 times slower in Node)
      found.add({
        seq: found.total,
        conflict_type: report.conflict_type,
        affected_objects: report.affected_objects,
        severity,
        severity_rule: rule,
        resolution_suggestions: mineAdvice,
        resolution_suggestions_b:
          back === undefined ? mineAdvice : withAdvice(back.resolution_suggestions, extra),
        other,
      });
    }
  }
  return found;
}

/**
 * Locks the stripes of the keys (the first lock of every write path; see
 * sql.ts for the order) and reads the session in the same round trip.
 */
export function lockKeys(
  r: Registry,
  keys: string[],
  audit: { reason?: string | null; by?: string | null } = {},
  statement: string = r.sql.lockAndSession,
): Session {
  return r.row<Session>(statement, [keys, audit.reason ?? '', audit.by ?? '']) as Session;
}

/** What the table assigns to a recorded conflict. */
interface Assigned {
  id: number;
  intent_b: string;
  conflict_type: string;
  created_at: string;
}

/**
 * Records the conflicts in one statement and returns those `max` lets the
 * result list (see listed) as the table holds them (the row as to_jsonb
 * renders it, without the other side's advice), in id order. Only the id and
 * created_at come back from the database: the rest is what was written, and
 * the other columns start at their defaults. test/registry/lifecycle.test.ts
 * compares the result with the stored rows.
 */
function recordConflicts(
  r: Registry,
  id: string,
  conflicts: FoundConflict[],
  max: number | null,
): ConflictRow[] {
  const assigned = new Map<string, Assigned>();
  for (const a of r.rows<Assigned>(r.sql.insertConflicts, [
    id,
    conflicts.map((c) => ({
      intent_b: c.other.id,
      conflict_type: c.conflict_type,
      affected_objects: c.affected_objects,
      severity: c.severity,
      resolution_suggestions: c.resolution_suggestions,
      resolution_suggestions_b: c.resolution_suggestions_b,
      severity_rule: c.severity_rule,
    })),
  ])) {
    // one conflict per (pair, type): the table's unique index says so
    assigned.set(`${a.intent_b} ${a.conflict_type}`, a);
  }
  const stored: { c: FoundConflict; a: Assigned; severity: string }[] = [];
  for (const c of conflicts) {
    const a = assigned.get(`${c.other.id} ${c.conflict_type}`);
    if (a === undefined) {
      throw new Error(
        `pggit: the insert returned no ${c.conflict_type} conflict with ${c.other.id}`,
      );
    }
    stored.push({ c, a, severity: c.severity });
  }
  stored.sort((x, y) => x.a.id - y.a.id);
  return listed(stored, max).map(({ c, a }) => ({
    id: a.id,
    intent_a: id,
    intent_b: c.other.id,
    conflict_type: c.conflict_type,
    affected_objects: c.affected_objects,
    severity: c.severity,
    resolution_suggestions: c.resolution_suggestions,
    reviewed: false,
    reviewed_at: null,
    reviewed_by: null,
    resolution_notes: null,
    severity_rule: c.severity_rule,
    created_at: a.created_at,
  }));
}

export function register(
  r: Registry,
  agentIdArg: unknown,
  featureNameArg: unknown,
  schemaChangesArg: unknown,
  tablesArg: unknown,
  durationArg: unknown,
  riskArg: unknown,
  metadataArg: unknown,
  leaseArg: unknown,
  maxArg: unknown,
) {
  const mine = validateIntent(agentIdArg, featureNameArg, schemaChangesArg, tablesArg);
  const { intent, parsed, keys } = mine;
  const max = v.maxConflicts(maxArg);
  const duration = v.estimatedDuration(durationArg);
  const risk = v.riskLevel(riskArg);
  const meta = v.metadata(metadataArg);
  const lease = v.leaseSeconds(leaseArg);
  const slug = branchSlug(intent.feature_name);
  // the first lock, the session and the rules in force, in one statement
  const s = lockKeys(r, keys, { by: intent.agent_id }, r.sql.lockSessionRules) as Session & {
    rules: Rule[];
  };
  checkAgent(s, intent.agent_id);
  requireReadCommitted(s, 'pggit_register');
  const { rules } = s;
  // every conflict is recorded: all of them kept
  const conflicts = findConflicts(r, mine, meta.value, rules, true, null).listed();

  // the other sides, in registration order (candidates come in seq order):
  // the new intent's conflicts_with
  const others = [...new Set(conflicts.map((c) => c.other.id))];
  const status: Status = conflicts.length > 0 ? 'conflicted' : 'registered';
  const values = [
    intent.agent_id,
    intent.feature_name,
    normalizeFeatureName(intent.feature_name),
    slug,
    parsed.statements.map((st) => st.text),
    intent.tables_affected,
    duration,
    risk,
    status,
    meta.text,
    keys,
    parsed.objects,
    MODEL_VERSION,
    lease ?? s.lease_seconds,
    others.length === 0
      ? 'registered'
      : `registered with ${conflicts.length} conflict(s) with ${others.length} intent(s)`,
  ];
  // A taken name (a slug like "user_001" against the second use of "user")
  // inserts nothing: the next use of the counter gives the next name.
  let created: { id: string } | undefined;
  while (created === undefined) created = r.row<{ id: string }>(r.sql.insertIntent, values);

  const recorded = conflicts.length === 0 ? [] : recordConflicts(r, created.id, conflicts, max);
  // Objects an owner rule protects: the owner reviews before the intent starts.
  const reviews = requiredReviews(r, rules, intent.agent_id, parsed.objects);
  if (reviews.length > 0) r.exec(r.sql.insertRequiredReviews, [created.id, reviews]);
  // The SQL API function replaces `intent` with the row read in SQL (exact
  // values), with these conflicts_with (registered_json).
  return {
    intent: { id: created.id, conflicts_with: others },
    conflicts_recorded: conflicts.length,
    conflicts: recorded,
    conflicts_omitted: conflicts.length - recorded.length,
    warnings: parsed.warnings,
    required_reviews: reviews,
    advice: adviceForIntent(rules, parsed.objects, meta.value),
  };
}

export function check(
  r: Registry,
  agentIdArg: unknown,
  featureNameArg: unknown,
  schemaChangesArg: unknown,
  tablesArg: unknown,
  maxArg: unknown,
) {
  const mine = validateIntent(agentIdArg, featureNameArg, schemaChangesArg, tablesArg);
  const { intent, parsed } = mine;
  const max = v.maxConflicts(maxArg);
  const rules = loadRules(r);
  const found = findConflicts(r, mine, {}, rules, false, max);
  const shown = found.listed();
  return {
    conflicts_detected: found.total,
    conflicts_omitted: found.total - shown.length,
    conflicts: shown.map((c) => ({
      intent_a: null,
      intent_b: c.other.id,
      conflict_type: c.conflict_type,
      severity: c.severity,
      affected_objects: c.affected_objects,
      resolution_suggestions: c.resolution_suggestions,
      with_agent: c.other.agent_id,
      with_feature: c.other.feature_name,
      with_status: c.other.status,
    })),
    objects: parsed.objects,
    statements: parsed.statements.map((st) => ({ kind: st.kind, text: st.text })),
    warnings: parsed.warnings,
    branch_slug: branchSlug(intent.feature_name),
    required_reviews: requiredReviews(r, rules, intent.agent_id, parsed.objects),
    advice: adviceForIntent(rules, parsed.objects, {}),
  };
}
