/**
 * Declaring an intent (pggit_register) and its dry run (pggit_check).
 *
 * Race freedom: a registration takes transaction-scoped locks on its conflict
 * keys, in one global order, before it reads the active intents. Two
 * registrations that share any key serialise, and the second sees the first
 * (READ COMMITTED takes a fresh snapshot per statement); two that share none
 * never wait for each other.
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
import type { ConflictReport, DbObject, ParseResult } from '../detector/types.js';
import { branchName, branchSlug } from './branch.js';
import type { Registry } from './context.js';
import { invalidArgument } from './errors.js';
import { checkAgent, requireReadCommitted, session } from './identity.js';
import type { Status } from './lifecycle.js';
import type { ConflictRow } from './rows.js';
import * as v from './validate.js';

function parseChanges(schemaChanges: string): ParseResult {
  const parsed = parseScript(schemaChanges);
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
  if (parsed.statements.length > v.LIMITS.statements) {
    throw invalidArgument(
      `schema_changes has ${parsed.statements.length} statements, the limit is ${v.LIMITS.statements}`,
    );
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

export interface Candidate {
  id: string;
  agent_id: string;
  feature_name: string;
  tables_affected: string[];
  status: Status;
  objects: DbObject[];
  model_version: number;
  /** Only when the objects were stored by another model version. */
  schema_changes: string[] | null;
}

/** A candidate ready for comparison, from its stored objects (or its script, after an upgrade). */
function prepareCandidate(c: Candidate): PreparedIntent {
  const intent = {
    id: c.id,
    agent_id: c.agent_id,
    feature_name: c.feature_name,
    schema_changes: c.schema_changes ?? [],
    tables_affected: c.tables_affected,
  };
  if (c.model_version === MODEL_VERSION) {
    return prepareIntent(intent, { statements: [], objects: c.objects, warnings: [] });
  }
  return prepareIntent(intent);
}

export interface FoundConflict extends ConflictReport {
  other: Candidate;
  /** The same conflict's advice, addressed to the other intent's agent. */
  resolution_suggestions_b: string[];
}

/** Conflicts between the newcomer and every candidate, with advice for both sides. */
function findConflicts(r: Registry, mine: PreparedIntent): FoundConflict[] {
  const candidates = r.rows<Candidate>(r.sql.candidates, [
    mine.keys,
    mine.intent.agent_id,
    MODEL_VERSION,
  ]);
  const found: FoundConflict[] = [];
  for (const other of candidates) {
    const theirs = prepareCandidate(other);
    const reports = detectPrepared(mine, theirs);
    if (reports.length === 0) continue;
    const fromTheirSide = new Map(detectPrepared(theirs, mine).map((x) => [x.conflict_type, x]));
    for (const report of reports) {
      found.push({
        ...report,
        other,
        resolution_suggestions_b:
          fromTheirSide.get(report.conflict_type)?.resolution_suggestions ??
          report.resolution_suggestions,
      });
    }
  }
  return found;
}

export function lockKeys(r: Registry, keys: string[]): void {
  r.db.execute(r.sql.lockKeys, [LOCK_CLASS, keys]);
}

/** classid of every pggit advisory lock (the int4 form: pg_advisory_xact_lock(int, int)). */
export const LOCK_CLASS = 0x70676974; // 'pgit'

/**
 * The branch: a counter per exact slug, then a lock on the candidate name so
 * a slug like "user_001" and the second use of "user" can never both take it.
 */
function allocateBranch(r: Registry, featureName: string): string {
  const slug = branchSlug(featureName);
  for (;;) {
    const { uses } = r.row<{ uses: number }>(r.sql.branchUse, [slug]) as { uses: number };
    const branch = branchName(slug, uses);
    lockKeys(r, [`branch:${branch}`]);
    if (r.row(r.sql.branchTaken, [branch]) === undefined) return branch;
  }
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
) {
  const mine = validateIntent(agentIdArg, featureNameArg, schemaChangesArg, tablesArg);
  const { intent, parsed, keys } = mine;
  const duration = v.estimatedDuration(durationArg);
  const risk = v.riskLevel(riskArg);
  const meta = v.metadata(metadataArg);
  const s = session(r);
  checkAgent(s, intent.agent_id);
  requireReadCommitted(s, 'pggit_register');

  lockKeys(r, keys);
  const conflicts = findConflicts(r, mine);
  const branch = allocateBranch(r, intent.feature_name);

  const others = [...new Set(conflicts.map((c) => c.other.id))].sort();
  const status: Status = conflicts.length > 0 ? 'conflicted' : 'registered';
  r.db.execute(r.sql.setAudit, [
    conflicts.length > 0 ? `registered with ${conflicts.length} conflict(s)` : 'registered',
    intent.agent_id,
  ]);
  const created = r.row<{ id: string }>(r.sql.insertIntent, [
    intent.agent_id,
    intent.feature_name,
    normalizeFeatureName(intent.feature_name),
    branch,
    parsed.statements.map((st) => st.text),
    intent.tables_affected,
    duration,
    risk,
    status,
    others,
    meta.text,
    keys,
    parsed.objects,
    MODEL_VERSION,
  ]) as { id: string };
  r.db.execute(r.sql.setAudit, ['', '']);

  const recorded =
    conflicts.length === 0
      ? []
      : r
          .rows<{ j: ConflictRow }>(r.sql.insertConflicts, [
            created.id,
            conflicts.map((c) => ({
              intent_b: c.other.id,
              conflict_type: c.conflict_type,
              affected_objects: c.affected_objects,
              severity: c.severity,
              resolution_suggestions: c.resolution_suggestions,
              resolution_suggestions_b: c.resolution_suggestions_b,
            })),
          ])
          .map((x) => x.j)
          .sort((a, b) => a.id - b.id);
  if (others.length > 0) r.db.execute(r.sql.addConflictsWith, [created.id, others]);
  // The SQL API function replaces `intent` with the row read in SQL (exact values).
  return {
    intent: { id: created.id },
    conflicts: recorded.map(({ resolution_suggestions_b: _, ...c }) => c),
    warnings: parsed.warnings,
  };
}

export function check(
  r: Registry,
  agentIdArg: unknown,
  featureNameArg: unknown,
  schemaChangesArg: unknown,
  tablesArg: unknown,
) {
  const mine = validateIntent(agentIdArg, featureNameArg, schemaChangesArg, tablesArg);
  const { intent, parsed } = mine;
  const conflicts = findConflicts(r, mine);
  return {
    conflicts_detected: conflicts.length,
    conflicts: conflicts.map((c) => ({
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
  };
}
