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
import type { ConflictReport, DbObject, ParseResult } from '../detector/types.js';
import { branchSlug } from './branch.js';
import type { Registry } from './context.js';
import { invalidArgument } from './errors.js';
import { checkAgent, requireReadCommitted, type Session } from './identity.js';
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

/**
 * Locks the stripes of the keys (the first lock of every write path; see
 * sql.ts for the order) and reads the session in the same round trip.
 */
export function lockKeys(
  r: Registry,
  keys: string[],
  audit: { reason?: string | null; by?: string | null } = {},
): Session {
  return r.row<Session>(r.sql.lockAndSession, [
    keys,
    audit.reason ?? '',
    audit.by ?? '',
  ]) as Session;
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
  const slug = branchSlug(intent.feature_name);
  const s = lockKeys(r, keys, { by: intent.agent_id });
  checkAgent(s, intent.agent_id);
  requireReadCommitted(s, 'pggit_register');
  const conflicts = findConflicts(r, mine);

  const others = [...new Set(conflicts.map((c) => c.other.id))].sort();
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
    others,
    meta.text,
    keys,
    parsed.objects,
    MODEL_VERSION,
  ];
  // A taken name (a slug like "user_001" against the second use of "user")
  // inserts nothing: the next use of the counter gives the next name.
  let created: { id: string } | undefined;
  while (created === undefined) created = r.row<{ id: string }>(r.sql.insertIntent, values);

  // Both sides, rows locked in id order before the conflicts reference them.
  if (others.length > 0) r.db.execute(r.sql.addConflictsWith, [created.id, others]);
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
  // The SQL API function replaces `intent` with the row read in SQL (exact values).
  return {
    intent: { id: created.id },
    conflicts: recorded,
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
