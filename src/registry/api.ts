/**
 * The registry: every SQL API function's logic, run inside PostgreSQL by PLV8.
 * SQL holds the tables, constraints and indexes; this module decides.
 *
 * Race freedom: a registration takes transaction-scoped advisory locks on the
 * hashes of its conflict keys, in ascending order, before it reads the active
 * intents. Two registrations that share any key serialise, and the second sees
 * the first (READ COMMITTED takes a fresh snapshot per statement); two that
 * share none never wait for each other.
 */
import {
  detectPrepared,
  normalizeFeatureName,
  type PreparedIntent,
  parseScript,
  prepareIntent,
} from '../detector/index.js';
import type { ConflictReport, ParseResult } from '../detector/types.js';
import { branchName, branchSlug } from './branch.js';
import { invalidArgument, notFound, PggitError, SqlState, wrongState } from './errors.js';
import { ACTIVE_STATUS_SQL, type Status } from './lifecycle.js';
import { type Plv8, row, rows } from './plv8-api.js';
import * as v from './validate.js';

/** classid of every pggit advisory lock (the int4 form: pg_advisory_xact_lock(int, int)). */
export const LOCK_CLASS = 0x70676974; // 'pgit'

export interface IntentRow {
  id: string;
  agent_id: string;
  feature_name: string;
  branch_name: string;
  schema_changes: string[];
  tables_affected: string[];
  estimated_duration_ms: number | null;
  risk_level: string;
  status: Status;
  conflicts_with: string[];
  metadata: Record<string, unknown>;
  object_keys: string[];
  created_at: string;
  updated_at: string;
}

export interface ConflictRow {
  id: number;
  intent_a: string;
  intent_b: string;
  conflict_type: string;
  affected_objects: string[];
  severity: 'warning' | 'error';
  resolution_suggestions: string[];
  reviewed: boolean;
  reviewed_at: string | null;
  reviewed_by: string | null;
  resolution_notes: string | null;
  created_at: string;
}

const INTENT_JSON = 'to_jsonb(i.*)';
const CONFLICT_JSON = 'to_jsonb(c.*)';

// ---------------------------------------------------------------------------
// helpers

function sessionUser(db: Plv8): string {
  return (row<{ u: string }>(db, 'SELECT session_user::text AS u') as { u: string }).u;
}

function setting(db: Plv8, key: string): string | null {
  const r = row<{ value: string }>(db, 'SELECT value FROM tb_pggit_settings WHERE key = $1', [key]);
  return r === undefined ? null : r.value;
}

/** With bind_agent_identity on, an agent may act only as its own session user. */
function checkIdentity(db: Plv8, agentId: string): void {
  if (setting(db, 'bind_agent_identity') !== 'on') return;
  const user = sessionUser(db);
  if (user !== agentId) {
    throw new PggitError(
      SqlState.insufficientPrivilege,
      `agent_id "${agentId}" does not match the session user "${user}"`,
      { hint: 'bind_agent_identity is on: connect as the agent role whose name is the agent_id' },
    );
  }
}

/** Who and why, for the history trigger; cleared again by clearAudit. */
function setAudit(db: Plv8, reason: string | null, changedBy: string | null): void {
  db.execute(
    "SELECT set_config('pggit.reason', $1, true), set_config('pggit.changed_by', $2, true)",
    [reason ?? '', changedBy ?? ''],
  );
}

function clearAudit(db: Plv8): void {
  setAudit(db, null, null);
}

function requireReadCommitted(db: Plv8): void {
  const iso = (
    row<{ iso: string }>(db, "SELECT current_setting('transaction_isolation') AS iso") as {
      iso: string;
    }
  ).iso;
  if (iso !== 'read committed') {
    throw new PggitError(
      SqlState.invalidTransactionState,
      `pggit_register needs READ COMMITTED isolation, not ${iso.toUpperCase()}`,
      {
        hint: 'a snapshot taken before the registration locks could miss a concurrent intent; register in a READ COMMITTED transaction',
      },
    );
  }
}

/** Takes the advisory locks of the keys, in ascending order of lock id. */
function lockKeys(db: Plv8, keys: string[]): void {
  const ids = rows<{ h: number }>(
    db,
    'SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY 1',
    [keys],
  );
  for (const { h } of ids) {
    db.execute('SELECT pg_advisory_xact_lock($1::int, $2::int)', [LOCK_CLASS, h]);
  }
}

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

interface Candidate {
  id: string;
  agent_id: string;
  feature_name: string;
  schema_changes: string[];
  tables_affected: string[];
  status: Status;
}

interface FoundConflict extends ConflictReport {
  other: Candidate;
}

/** Active intents of other agents that share a key: served by the partial GIN index on object_keys. */
export const CANDIDATES_SQL = `SELECT id, agent_id, feature_name, schema_changes, tables_affected, status
       FROM tb_pggit_intent
      WHERE status IN (${ACTIVE_STATUS_SQL})
        AND object_keys && $1::text[]
        AND agent_id <> $2
      ORDER BY created_at, id`;

/** Conflicts between the intent and every candidate, from the newcomer's point of view. */
function findConflicts(db: Plv8, mine: PreparedIntent): FoundConflict[] {
  const candidates = rows<Candidate>(db, CANDIDATES_SQL, [mine.keys, mine.intent.agent_id]);
  const found: FoundConflict[] = [];
  for (const other of candidates) {
    for (const r of detectPrepared(mine, prepareIntent(other))) found.push({ ...r, other });
  }
  return found;
}

function intentById(db: Plv8, id: string, forUpdate = false): IntentRow | undefined {
  const r = row<{ j: IntentRow }>(
    db,
    `SELECT ${INTENT_JSON} AS j FROM tb_pggit_intent i WHERE i.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return r?.j;
}

function requireIntent(db: Plv8, idArg: unknown, forUpdate = false): IntentRow {
  const id = v.requiredText('intent_id', idArg);
  const intent = intentById(db, id, forUpdate);
  if (intent === undefined) throw notFound(`intent ${id} does not exist`);
  return intent;
}

function notify(db: Plv8, payload: Record<string, unknown>): void {
  db.execute("SELECT pg_notify('pggit', $1)", [JSON.stringify(payload)]);
}

/**
 * A conflicted intent whose conflicts are all resolved, or whose other sides
 * are all merged or abandoned, returns to registered.
 */
function releaseIfClear(db: Plv8, intentIds: string[], reason: string, by: string | null): void {
  // Lock the conflicted intents first, then look at their conflicts in a new
  // statement (a fresh READ COMMITTED snapshot). Two transactions that each
  // clear one of an intent's last conflicts (a resolution and a merge, say)
  // thus take turns, and the second sees the first's change; checking in the
  // locking statement itself would let both see the other's conflict open.
  const locked = rows<{ id: string }>(
    db,
    `SELECT id FROM tb_pggit_intent
      WHERE id = ANY($1::text[]) AND status = 'conflicted'
      ORDER BY id
      FOR UPDATE`,
    [intentIds],
  );
  for (const { id } of locked) {
    const clear = row<{ clear: boolean }>(
      db,
      `SELECT NOT EXISTS (${openConflictsSql('$1')}) AS clear`,
      [id],
    );
    if (!clear?.clear) continue;
    setAudit(db, reason, by);
    db.execute(
      "UPDATE tb_pggit_intent SET status = 'registered', updated_at = now() WHERE id = $1",
      [id],
    );
  }
  clearAudit(db);
}

/**
 * The conflicts that hold an intent back (`intentExpr` is an SQL expression
 * for its id): those it recorded itself when it registered, against intents
 * declared before it, that are not reviewed and whose other side is still
 * active. Conflicts that later newcomers record against it never count: first
 * to declare, first to proceed. Optionally errors only.
 */
export const openConflictsSql = (intentExpr: string, errorsOnly = false) => `
  SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
         o.id AS other_id, o.agent_id AS other_agent, o.feature_name AS other_feature
    FROM tb_pggit_conflict c
    JOIN tb_pggit_intent o ON o.id = c.intent_b
   WHERE c.intent_a = ${intentExpr}
     AND NOT c.reviewed
     AND o.status IN (${ACTIVE_STATUS_SQL})${errorsOnly ? " AND c.severity = 'error'" : ''}`;

function conflictView(c: FoundConflict, newId: string | null) {
  return {
    intent_a: newId,
    intent_b: c.other.id,
    conflict_type: c.conflict_type,
    severity: c.severity,
    affected_objects: c.affected_objects,
    resolution_suggestions: c.resolution_suggestions,
    with_agent: c.other.agent_id,
    with_feature: c.other.feature_name,
    with_status: c.other.status,
  };
}

// ---------------------------------------------------------------------------
// the API

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

export function register(
  db: Plv8,
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
  checkIdentity(db, intent.agent_id);
  requireReadCommitted(db);

  lockKeys(db, keys);
  const conflicts = findConflicts(db, mine);

  // Branch: a counter per exact slug, then a lock on the candidate name so a
  // slug like "user_001" and the second use of "user" can never both take it.
  const slug = branchSlug(intent.feature_name);
  let branch = '';
  for (;;) {
    const { uses } = row<{ uses: number }>(
      db,
      `INSERT INTO tb_pggit_branch_counter AS b (slug, uses) VALUES ($1, 1)
       ON CONFLICT (slug) DO UPDATE SET uses = b.uses + 1
       RETURNING b.uses`,
      [slug],
    ) as { uses: number };
    branch = branchName(slug, uses);
    lockKeys(db, [`branch:${branch}`]);
    const taken = row(db, 'SELECT 1 FROM tb_pggit_intent WHERE branch_name = $1', [branch]);
    if (taken === undefined) break;
  }

  const others = [...new Set(conflicts.map((c) => c.other.id))].sort();
  const status: Status = conflicts.length > 0 ? 'conflicted' : 'registered';
  setAudit(
    db,
    conflicts.length > 0 ? `registered with ${conflicts.length} conflict(s)` : 'registered',
    intent.agent_id,
  );
  const inserted = row<{ j: IntentRow }>(
    db,
    `INSERT INTO tb_pggit_intent AS i
       (agent_id, feature_name, feature_key, branch_name, schema_changes, tables_affected,
        estimated_duration_ms, risk_level, status, conflicts_with, metadata, object_keys)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::int, $8, $9, $10::jsonb, $11::jsonb, $12::text[])
     RETURNING ${INTENT_JSON} AS j`,
    [
      intent.agent_id,
      intent.feature_name,
      normalizeFeatureName(intent.feature_name),
      branch,
      parsed.statements.map((s) => s.text),
      intent.tables_affected,
      duration,
      risk,
      status,
      others,
      meta,
      keys,
    ],
  ) as { j: IntentRow };
  clearAudit(db);
  const created = inserted.j;

  const recorded: ConflictRow[] = [];
  for (const c of conflicts) {
    const r = row<{ j: ConflictRow }>(
      db,
      `INSERT INTO tb_pggit_conflict AS c
         (intent_a, intent_b, conflict_type, affected_objects, severity, resolution_suggestions)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb)
       RETURNING ${CONFLICT_JSON} AS j`,
      [
        created.id,
        c.other.id,
        c.conflict_type,
        c.affected_objects,
        c.severity,
        c.resolution_suggestions,
      ],
    ) as { j: ConflictRow };
    recorded.push(r.j);
    notify(db, {
      event: 'conflict',
      conflict_id: r.j.id,
      conflict_type: c.conflict_type,
      severity: c.severity,
      intent_a: created.id,
      agent_a: created.agent_id,
      intent_b: c.other.id,
      agent_b: c.other.agent_id,
    });
  }
  // Both sides: the earlier intents learn of the newcomer, keeping their status.
  if (others.length > 0) {
    db.execute(
      `UPDATE tb_pggit_intent
          SET conflicts_with = conflicts_with || jsonb_build_array($1::text), updated_at = now()
        WHERE id = ANY($2::text[]) AND NOT conflicts_with ? $1`,
      [created.id, others],
    );
  }
  return {
    intent: created,
    conflicts: recorded,
    warnings: parsed.warnings,
  };
}

export function check(
  db: Plv8,
  agentIdArg: unknown,
  featureNameArg: unknown,
  schemaChangesArg: unknown,
  tablesArg: unknown,
) {
  const mine = validateIntent(agentIdArg, featureNameArg, schemaChangesArg, tablesArg);
  const { intent, parsed } = mine;
  const conflicts = findConflicts(db, mine);
  return {
    conflicts_detected: conflicts.length,
    conflicts: conflicts.map((c) => conflictView(c, null)),
    objects: parsed.objects,
    statements: parsed.statements.map((s) => ({ kind: s.kind, text: s.text })),
    warnings: parsed.warnings,
    branch_slug: branchSlug(intent.feature_name),
  };
}

export function getIntent(db: Plv8, idArg: unknown) {
  if (idArg === null || idArg === undefined) return null;
  const id = v.requiredText('intent_id', idArg);
  return intentById(db, id) ?? null;
}

export function listIntents(db: Plv8, statusArg: unknown, agentArg: unknown) {
  const status = v.statusFilter(statusArg);
  const agent = v.optionalText('agent_id', agentArg, v.LIMITS.name);
  const r = row<{ j: IntentRow[] }>(
    db,
    `SELECT coalesce(jsonb_agg(${INTENT_JSON} ORDER BY i.created_at DESC, i.id DESC), '[]') AS j
       FROM tb_pggit_intent i
      WHERE ($1::text IS NULL OR i.status = $1) AND ($2::text IS NULL OR i.agent_id = $2)`,
    [status, agent],
  ) as { j: IntentRow[] };
  return r.j;
}

function transition(db: Plv8, to: Status, idArg: unknown, reasonArg: unknown, byArg: unknown) {
  const reason = v.optionalText('reason', reasonArg, v.LIMITS.note);
  const by = v.optionalText('changed_by', byArg, v.LIMITS.name);
  if (to === 'merged' || to === 'abandoned') {
    // Leaving the active set: first wait for registrations that share an
    // object with this intent (they hold its keys' locks), so that a conflict
    // one of them is recording right now is seen and released below. Advisory
    // locks before row locks, in the same order as pggit_register.
    const keys = row<{ k: string[] }>(
      db,
      'SELECT object_keys AS k FROM tb_pggit_intent WHERE id = $1',
      [v.requiredText('intent_id', idArg)],
    );
    if (keys !== undefined) lockKeys(db, keys.k);
  }
  const intent = requireIntent(db, idArg, true);
  checkIdentity(db, intent.agent_id);
  if (intent.status === to) {
    throw wrongState(`cannot move intent ${intent.id} from ${to} to ${to}: it is already ${to}`);
  }
  // The guard trigger enforces the lifecycle (and the blocked start), so that
  // direct SQL obeys the same rules; here we only say who and why.
  setAudit(db, reason, by);
  db.execute('UPDATE tb_pggit_intent SET status = $2, updated_at = now() WHERE id = $1', [
    intent.id,
    to,
  ]);
  clearAudit(db);
  if (to === 'abandoned' || to === 'merged') {
    const who = `intent ${intent.id} (${intent.agent_id}, "${intent.feature_name}")`;
    // Abandoning resolves the intent's open conflicts with a note; merging
    // leaves them as they are (they stop counting once this side is merged).
    const others =
      to === 'abandoned'
        ? rows<{ other: string }>(
            db,
            `UPDATE tb_pggit_conflict
                SET reviewed = true, reviewed_at = now(), reviewed_by = 'pggit', resolution_notes = $2
              WHERE (intent_a = $1 OR intent_b = $1) AND NOT reviewed
              RETURNING CASE WHEN intent_a = $1 THEN intent_b ELSE intent_a END AS other`,
            [intent.id, `auto-resolved: ${who} was abandoned`],
          )
        : rows<{ other: string }>(
            db,
            `SELECT CASE WHEN intent_a = $1 THEN intent_b ELSE intent_a END AS other
               FROM tb_pggit_conflict WHERE (intent_a = $1 OR intent_b = $1) AND NOT reviewed`,
            [intent.id],
          );
    releaseIfClear(
      db,
      others.map((o) => o.other),
      `conflicting ${who} was ${to}`,
      by,
    );
  }
  return intentById(db, intent.id);
}

export const markInProgress = (db: Plv8, id: unknown, reason: unknown, by: unknown) =>
  transition(db, 'in_progress', id, reason, by);
export const markCompleted = (db: Plv8, id: unknown, reason: unknown, by: unknown) =>
  transition(db, 'completed', id, reason, by);
export const markMerged = (db: Plv8, id: unknown, reason: unknown, by: unknown) =>
  transition(db, 'merged', id, reason, by);
export const markAbandoned = (db: Plv8, id: unknown, reason: unknown, by: unknown) =>
  transition(db, 'abandoned', id, reason, by);

export function getConflicts(db: Plv8, idArg: unknown) {
  const intent = requireIntent(db, idArg);
  const r = row<{ j: ConflictRow[] }>(
    db,
    `SELECT coalesce(jsonb_agg(${CONFLICT_JSON} ORDER BY c.id), '[]') AS j
       FROM tb_pggit_conflict c WHERE c.intent_a = $1 OR c.intent_b = $1`,
    [intent.id],
  ) as { j: ConflictRow[] };
  return r.j;
}

export function resolveConflict(db: Plv8, idArg: unknown, notesArg: unknown, byArg: unknown) {
  const id = v.conflictId(idArg);
  const notes = v.requiredText('resolution_notes', notesArg, v.LIMITS.note);
  const by = v.optionalText('reviewed_by', byArg, v.LIMITS.name) ?? sessionUser(db);
  const r = row<{ j: ConflictRow }>(
    db,
    `UPDATE tb_pggit_conflict AS c
        SET reviewed = true, reviewed_at = now(), reviewed_by = $3, resolution_notes = $2
      WHERE c.id = $1
      RETURNING ${CONFLICT_JSON} AS j`,
    [id, notes, by],
  );
  if (r === undefined) throw notFound(`conflict ${id} does not exist`);
  releaseIfClear(
    db,
    [r.j.intent_a, r.j.intent_b],
    `all conflicts resolved (last: conflict ${id})`,
    by,
  );
  return r.j;
}

export function history(db: Plv8, idArg: unknown) {
  const intent = requireIntent(db, idArg);
  const r = row<{ j: unknown[] }>(
    db,
    `SELECT coalesce(jsonb_agg(to_jsonb(h.*) ORDER BY h.id), '[]') AS j
       FROM tb_pggit_intent_history h WHERE h.intent_id = $1`,
    [intent.id],
  ) as { j: unknown[] };
  return r.j;
}
