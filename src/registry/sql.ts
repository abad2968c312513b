/**
 * Every SQL text the registry runs, in one place (as pg-boss keeps its SQL),
 * built for one installation's schema. Parameters carry explicit casts, so a
 * statement means the same on real PLV8 and on our runtime whatever JS value
 * is bound (see plv8-api.ts).
 *
 * One lock order for every path, so that plain calls never deadlock:
 *   1. stripes of tb_pggit_lock (FOR UPDATE, ascending, in one statement),
 *      before any row lock: a conflict key hashes to one of STRIPES stripes;
 *   2. intent rows (ascending id, in one statement);
 *   3. conflict rows.
 * A transaction waiting for a stripe holds no row, and one waiting for a row
 * waits for a higher id than any it holds, so no cycle can form.
 */
import { ACTIVE_STATUS_SQL, STATUSES } from './lifecycle.js';
import { LIMITS } from './validate.js';

export type Statements = ReturnType<typeof statements>;

/** What the registry reads of a rule in force (rules.ts, Rule). */
const RULE_COLUMNS = [
  'id',
  'kind',
  'pattern',
  'conflict_type',
  'metadata_key',
  'metadata_value',
  'owner',
  'severity',
  'advice',
] as const;

/** Lock stripes: tb_pggit_lock holds rows 0 .. STRIPES - 1 (migration 000002). */
export const STRIPES = 4096;

const STATUS_SQL = STATUSES.map((x) => `'${x}'`).join(', ');

export function statements(s: string) {
  const intent = `${s}.tb_pggit_intent`;
  const conflict = `${s}.tb_pggit_conflict`;
  const conflictEvent = `${s}.tb_pggit_conflict_event`;
  const history = `${s}.tb_pggit_intent_history`;
  const settings = `${s}.tb_pggit_settings`;
  const branchCounter = `${s}.tb_pggit_branch_counter`;
  const lock = `${s}.tb_pggit_lock`;
  /** An intent as the API shows it: every column but the registry's own bookkeeping. */
  /**
   * An intent as the API shows it: every column but the stored objects, the
   * model version and seq, with conflicts_with and expired. Built in one
   * jsonb_build_object: `to_jsonb(i.*) - 'objects' - …` serialised the
   * objects only to copy the result three times to drop them (1–3 % of a
   * no-conflict registration, interleaved A/B). A column of the table
   * missing here fails test/registry/intent-json.test.ts.
   */
  const intentJson = (alias: string, conflictsWith = conflictsWithSql(s, `${alias}.id`)) =>
    `jsonb_build_object(${INTENT_JSON_COLUMNS.map((c) => `'${c}', ${alias}.${c}`).join(', ')},
       'conflicts_with', ${conflictsWith},
       'expired', ${alias}.lease_expires_at <= ${clockSql(s)})`;
  /**
   * An intent in a list: what it is and where it stands, without its script,
   * keys, applied objects or conflicts_with (pggit_get_intent has them all).
   * A page of summaries stays small however long the scripts are.
   */
  const intentSummaryJson = (alias: string, counts: string) =>
    `jsonb_build_object('id', ${alias}.id, 'agent_id', ${alias}.agent_id,
       'feature_name', ${alias}.feature_name, 'feature_key', ${alias}.feature_key,
       'branch_name', ${alias}.branch_name, 'status', ${alias}.status,
       'risk_level', ${alias}.risk_level, 'estimated_duration_ms', ${alias}.estimated_duration_ms,
       'tables_affected', ${alias}.tables_affected, 'metadata', ${alias}.metadata,
       'lease_seconds', ${alias}.lease_seconds, 'lease_expires_at', ${alias}.lease_expires_at,
       'expired', ${alias}.lease_expires_at <= ${clockSql(s)}, 'applied_at', ${alias}.applied_at,
       'created_at', ${alias}.created_at, 'updated_at', ${alias}.updated_at,
       'open_conflicts', ${counts}.open_conflicts, 'open_errors', ${counts}.open_errors)`;
  const conflictJson = (alias: string) => `to_jsonb(${alias}.*)`;
  const clock = clockSql(s);
  const canSee = (agent: string) => canSeeSql(s, agent);
  /** Active and unexpired: what counts for detection and holds others back. */
  const live = (alias: string) =>
    `${alias}.status IN (${ACTIVE_STATUS_SQL}) AND ${alias}.lease_expires_at > ${clock}`;
  const setting = (key: string, otherwise: string) =>
    `coalesce((SELECT value FROM ${settings} WHERE key = '${key}'), '${otherwise}')`;
  const sessionColumns = `session_user::text AS session_user,
       current_setting('transaction_isolation') AS isolation,
       ${setting('bind_agent_identity', 'off')} AS bind,
       ${setting('lease_seconds', '86400')}::int AS lease_seconds`;
  /** Locks the stripes of the keys in $1 (text[]); yields their number. */
  const lockStripes = `(SELECT count(*)::int FROM (
         SELECT 1 FROM ${lock}
          WHERE stripe IN (SELECT DISTINCT hashtext(k) & ${STRIPES - 1} FROM unnest($1::text[]) AS k)
          ORDER BY stripe FOR UPDATE) l)`;
  /** The session, having locked the stripes of the keys in $1; then `extra` columns. */
  const lockSession = (extra: string) => `SELECT ${sessionColumns}, ${lockStripes} AS locked,
       set_config('pggit.reason', $2::text, true) AS reason,
       set_config('pggit.changed_by', $3::text, true) AS changed_by${extra}`;
  /** The other sides of an intent's unreviewed conflicts ($1 is its id). */
  const partners = `SELECT CASE WHEN c.intent_a = $1::text THEN c.intent_b ELSE c.intent_a END
                      FROM ${conflict} c
                     WHERE (c.intent_a = $1::text OR c.intent_b = $1::text) AND NOT c.reviewed`;

  /**
   * The conflicts that hold an intent back (`$1` is its id): those it recorded
   * itself when it registered, against intents declared before it, that are
   * not reviewed and whose other side is still active. Conflicts that later
   * newcomers record against it never count: first to declare, first to
   * proceed.
   */
  const openConflicts = (idExpr: string, errorsOnly: boolean) => `
    SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
           o.id AS other_id, o.agent_id AS other_agent, o.feature_name AS other_feature
      FROM ${conflict} c
      JOIN ${intent} o ON o.id = c.intent_b
     WHERE c.intent_a = ${idExpr}
       AND NOT c.reviewed
       AND ${live('o')}${errorsOnly ? " AND c.severity = 'error'" : ''}
     ORDER BY c.id`;

  /**
   * Open conflicts (both sides active and unexpired, not reviewed) intent
   * `alias` is part of, on either side, as the view pggit_intents counts them:
   * none for an intent that is itself no longer live (merged, or expired and
   * not yet swept), whose index probes are then skipped.
   */
  const openCounts = (alias: string) => `
    SELECT count(*)::int AS open_conflicts,
           (count(*) FILTER (WHERE x.severity = 'error'))::int AS open_errors
      FROM (
        SELECT c.severity FROM ${conflict} c JOIN ${intent} o ON o.id = c.intent_b
         WHERE c.intent_a = ${alias}.id AND NOT c.reviewed AND ${live('o')} AND ${live(alias)}
        UNION ALL
        SELECT c.severity FROM ${conflict} c JOIN ${intent} o ON o.id = c.intent_a
         WHERE c.intent_b = ${alias}.id AND NOT c.reviewed AND ${live('o')} AND ${live(alias)}
      ) x`;

  return {
    /**
     * Who calls, in which isolation, and whether identities are bound, having
     * locked the stripes of the keys in $1: every write path's first lock.
     * It also says who acts and why ($3, $2) for the history trigger.
     */
    lockAndSession: lockSession(''),
    /** The same, with the rules in force (registration reads both first: one statement less). */
    lockSessionRules: lockSession(`,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(${RULE_COLUMNS.map((c) => `'${c}', r.${c}`).join(', ')})
                                  ORDER BY r.id), '[]')
          FROM ${s}.tb_pggit_rule r WHERE r.removed_at IS NULL) AS rules`),

    /** Who and why, for the history trigger (transaction-local; cleared with ''). */
    setAudit:
      "SELECT set_config('pggit.reason', $1::text, true), set_config('pggit.changed_by', $2::text, true)",

    /**
     * Active, unexpired intents of other agents that share a key (the partial
     * GIN index on object_keys serves it): what changes about them (candidates.ts).
     */
    /**
     * Only what can change (the agent and feature come with the prepared
     * form, and never change: intentFixedFn): each text column read is a JS
     * string per candidate, 300 of them on a hot table at every call.
     */
    candidates: `SELECT i.id, i.status, i.model_version
                   FROM ${intent} i
                  WHERE i.status IN (${ACTIVE_STATUS_SQL})
                    AND i.object_keys && $1::text[]
                    AND i.agent_id <> $2::text
                    AND i.lease_expires_at > ${clock}
                  ORDER BY i.seq`,
    /** What never changes about them: the stored objects (or the script, from another model version). */
    storedCandidates: `SELECT i.id, i.agent_id, i.feature_name, i.objects, i.tables_affected, i.metadata,
                              CASE WHEN i.model_version = $2::int THEN NULL ELSE i.schema_changes END AS schema_changes
                         FROM ${intent} i WHERE i.id = ANY($1::text[])`,

    /** An intent named by its id or a unique prefix (see intentIdFn), with its keys; none is P0002. */
    intentKeys: `SELECT i.id, i.object_keys AS keys FROM ${intent} i
                  WHERE i.id = ${s}.intent_id($1::text, $2::text, true)`,

    /**
     * An intent and, when $2, the other sides of its unreviewed conflicts,
     * locked in id order (a transition's only row-lock statement). The ids
     * are gathered first, into an array, and the rows found by key: `id = $1
     * OR id IN (…)` read every intent instead (a sequential scan: 2.8 ms at
     * 10,000 intents for every transition and heartbeat, 0.1 ms at 100).
     */
    lockIntents: `SELECT id, agent_id, feature_name, status, lease_expires_at <= ${clock} AS expired,
                          lease_expires_at
                     FROM ${intent}
                    WHERE id = ANY (ARRAY(SELECT $1::text
                                          UNION
                                          SELECT p.other FROM (${partners}) AS p (other) WHERE $2::boolean))
                    ORDER BY id FOR UPDATE`,

    /** Two intents, locked in id order. */
    lockPair: `SELECT id, agent_id, status FROM ${intent}
                WHERE id IN ($1::text, $2::text) ORDER BY id FOR UPDATE`,

    /**
     * The branch: a use of the slug's counter and the intent in one statement.
     * A name already taken (a slug like "user_001" against the second use of
     * "user") inserts nothing, and the caller tries the next use; a concurrent
     * insert of the same name is waited for, then seen.
     */
    insertIntent: `WITH use AS (
        INSERT INTO ${branchCounter} AS b (slug, uses) VALUES ($4::text, 1)
        ON CONFLICT (slug) DO UPDATE SET uses = b.uses + 1
        RETURNING b.uses)
      INSERT INTO ${intent} AS i
        (agent_id, feature_name, feature_key, branch_name, schema_changes, tables_affected,
         estimated_duration_ms, risk_level, status, metadata, object_keys,
         objects, model_version, lease_seconds, lease_expires_at)
      SELECT $1::text, $2::text, $3::text, ${branchNameSql('$4::text', 'use.uses')}, $5::jsonb, $6::jsonb,
             $7::int, $8::text, $9::text, $10::text::jsonb, $11::text[], $12::jsonb, $13::int,
             $14::int, ${clock} + $14::int * interval '1 second'
        FROM use, (SELECT set_config('pggit.reason', $15::text, true)) AS audit
      ON CONFLICT (branch_name) DO NOTHING
      RETURNING i.id, i.branch_name`,

    /**
     * All of a registration's conflicts in one statement, from a JS array of
     * objects. It returns only what the table assigns (id, created_at): the
     * caller holds the rest and does not read back the rows it just wrote.
     */
    insertConflicts: `INSERT INTO ${conflict} AS c
        (intent_a, intent_b, conflict_type, affected_objects, severity,
         resolution_suggestions, resolution_suggestions_b, severity_rule)
      SELECT $1::text, r.intent_b, r.conflict_type, r.affected_objects, r.severity,
             r.resolution_suggestions, r.resolution_suggestions_b, r.severity_rule
        FROM jsonb_to_recordset($2::jsonb) AS r (intent_b text, conflict_type text,
             affected_objects jsonb, severity text, resolution_suggestions jsonb,
             resolution_suggestions_b jsonb, severity_rule int)
       ORDER BY r.intent_b
      RETURNING c.id, c.intent_b, c.conflict_type, to_jsonb(c.created_at) AS created_at`,

    /** A status change; moving the intent also renews its lease while it stays active. */
    setStatus: `UPDATE ${intent}
                   SET status = $2::text, updated_at = clock_timestamp(),
                       lease_expires_at = CASE WHEN $2::text IN (${ACTIVE_STATUS_SQL})
                                               THEN ${clock} + lease_seconds * interval '1 second'
                                               ELSE lease_expires_at END
                 WHERE id = $1::text`,

    /** A heartbeat: the lease renewed for its TTL, or for $2 seconds (the TTL from now on). */
    heartbeat: `UPDATE ${intent}
                   SET lease_seconds = coalesce($2::int, lease_seconds),
                       lease_expires_at = ${clock} + coalesce($2::int, lease_seconds) * interval '1 second'
                 WHERE id = $1::text`,

    /** Active intents stored under another object model, oldest first (rederive.ts). */
    staleIntents: `SELECT id, agent_id, feature_name, schema_changes, tables_affected,
                          object_keys AS keys
                     FROM ${intent}
                    WHERE status IN (${ACTIVE_STATUS_SQL}) AND model_version <> $1::int
                    ORDER BY seq`,

    /** One of them, its objects and keys derived again under model $4 (by its key: few, once). */
    storeDerived: `UPDATE ${intent}
                      SET objects = $2::jsonb, object_keys = $3::text[], model_version = $4::int
                    WHERE id = $1::text`,

    /** Intents whose lease has run out, oldest first, with their keys. */
    expired: `SELECT id, object_keys AS keys FROM ${intent}
               WHERE status IN (${ACTIVE_STATUS_SQL}) AND lease_expires_at <= ${clock}
               ORDER BY lease_expires_at, id LIMIT $1::int`,

    /** Intents and the other sides of their unreviewed conflicts, locked in id order (by key, as lockIntents). */
    lockWithPartners: `SELECT id, agent_id, feature_name, status, lease_expires_at <= ${clock} AS expired
                         FROM ${intent}
                        WHERE id = ANY (ARRAY(SELECT unnest($1::text[])
                                              UNION
                                              SELECT CASE WHEN c.intent_a = ANY($1::text[]) THEN c.intent_b ELSE c.intent_a END
                                                FROM ${conflict} c
                                               WHERE (c.intent_a = ANY($1::text[]) OR c.intent_b = ANY($1::text[]))
                                                 AND NOT c.reviewed))
                        ORDER BY id FOR UPDATE`,

    /**
     * Conflicted intents among $1 (already locked) left with no open conflict
     * return to registered. Run after the locks were taken: this statement's
     * snapshot then sees every change committed by the transactions that held
     * them (two that each clear one of an intent's last conflicts take turns).
     */
    release: `UPDATE ${intent} AS i SET status = 'registered', updated_at = clock_timestamp()
               WHERE i.id = ANY($1::text[]) AND i.status = 'conflicted'
                 AND NOT EXISTS (${openConflicts('i.id', false)})`,

    openConflicts: openConflicts('$1::text', false),
    openErrorConflicts: openConflicts('$1::text', true),

    /** Abandoning: resolves the intent's open conflicts with a note (logged); returns the other sides. */
    autoResolve: `WITH done AS (
        UPDATE ${conflict}
           SET reviewed = true, reviewed_at = clock_timestamp(), reviewed_by = 'pggit',
               resolution_notes = $2::text
         WHERE (intent_a = $1::text OR intent_b = $1::text) AND NOT reviewed
         RETURNING id, severity, CASE WHEN intent_a = $1::text THEN intent_b ELSE intent_a END AS other
      ), logged AS (
        INSERT INTO ${conflictEvent} (conflict_id, event, old_severity, new_severity, notes, actor)
        SELECT id, 'auto_resolved', severity, severity, $2::text, 'pggit' FROM done
      )
      SELECT DISTINCT other FROM done`,

    /** A conflict with its two intents' keys (read before any lock), if the session may see it. */
    conflictKeys: `SELECT c.id, c.intent_a, c.intent_b, a.object_keys || b.object_keys AS keys
                     FROM ${conflict} c
                     JOIN ${intent} a ON a.id = c.intent_a
                     JOIN ${intent} b ON b.id = c.intent_b
                    WHERE c.id = $1::int AND (${canSee('a.agent_id')} OR ${canSee('b.agent_id')})`,
    conflictForUpdate: `SELECT ${conflictJson('c')} - 'resolution_suggestions_b' AS j
                          FROM ${conflict} c WHERE c.id = $1::int FOR UPDATE`,
    resolve: `UPDATE ${conflict} AS c
                 SET reviewed = true, reviewed_at = clock_timestamp(), reviewed_by = $3::text,
                     resolution_notes = $2::text, severity = $4::text
               WHERE c.id = $1::int
               RETURNING ${conflictJson('c')} - 'resolution_suggestions_b' AS j`,
    reopen: `UPDATE ${conflict} AS c
                SET reviewed = false, reviewed_at = NULL, reviewed_by = NULL, resolution_notes = NULL
              WHERE c.id = $1::int
              RETURNING ${conflictJson('c')} - 'resolution_suggestions_b' AS j`,
    logConflictEvent: `INSERT INTO ${conflictEvent} (conflict_id, event, old_severity, new_severity, notes, actor)
                       VALUES ($1::int, $2::text, $3::text, $4::text, $5::text, $6::text)`,
    /** Whether an intent has an open conflict it recorded itself. */
    hasOpenConflict: `SELECT EXISTS (${openConflicts('$1::text', false)}) AS open`,

    // ---- rules and reviews (rules.ts, reviews.ts)

    rules: `SELECT ${RULE_COLUMNS.join(', ')} FROM ${s}.tb_pggit_rule WHERE removed_at IS NULL ORDER BY id`,
    /** Whether agent $1 is a member of role $2 (a team), when both are roles. */
    memberOf: `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1::text)
                            AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2::text)
                       THEN pg_has_role($1::text, $2::text, 'MEMBER') ELSE false END AS member`,
    insertRule: `INSERT INTO ${s}.tb_pggit_rule AS r
                   (kind, pattern, conflict_type, metadata_key, metadata_value, owner, severity, advice)
                 SELECT x.kind, x.pattern, x.conflict_type, x.metadata_key, x.metadata_value, x.owner,
                        x.severity, x.advice
                   FROM jsonb_to_record($1::jsonb) AS x (kind text, pattern text, conflict_type text,
                        metadata_key text, metadata_value text, owner text, severity text, advice text)
                 RETURNING to_jsonb(r.*) AS j`,
    removeRule: `UPDATE ${s}.tb_pggit_rule AS r SET removed_at = clock_timestamp()
                  WHERE r.id = $1::int AND r.removed_at IS NULL RETURNING to_jsonb(r.*) AS j`,
    setSetting: `UPDATE ${settings} AS x SET value = $2::text WHERE x.key = $1::text
                 RETURNING jsonb_build_object(x.key, x.value) AS j`,
    insertRequiredReviews: `INSERT INTO ${s}.tb_pggit_required_review (intent_id, rule_id, owner, objects)
                            SELECT $1::text, x.rule_id, x.owner, x.objects
                              FROM jsonb_to_recordset($2::jsonb) AS x (rule_id int, owner text, objects jsonb)`,
    requiredReview: `SELECT owner FROM ${s}.tb_pggit_required_review WHERE intent_id = $1::text AND rule_id = $2::int`,
    insertReview: `INSERT INTO ${s}.tb_pggit_review (intent_id, rule_id, decision, reviewer, notes)
                   VALUES ($1::text, $2::int, $3::text, $4::text, $5::text)`,
    /** Required reviews of an intent whose latest decision is not an approval. */
    pendingReviews: `SELECT rr.rule_id, rr.owner, rr.objects,
                            (SELECT x.decision FROM ${s}.tb_pggit_review x
                              WHERE x.intent_id = rr.intent_id AND x.rule_id = rr.rule_id
                              ORDER BY x.id DESC LIMIT 1) AS decision
                       FROM ${s}.tb_pggit_required_review rr
                      WHERE rr.intent_id = $1::text
                        AND coalesce((SELECT x.decision FROM ${s}.tb_pggit_review x
                                       WHERE x.intent_id = rr.intent_id AND x.rule_id = rr.rule_id
                                       ORDER BY x.id DESC LIMIT 1), 'none') <> 'approved'
                      ORDER BY rr.rule_id`,
    /** The review gate for an intent: whether it is on, and the latest decision. */
    gate: `SELECT ${setting('review_gate', 'off')} = 'on' AS enabled,
                  (SELECT to_jsonb(x.*) FROM ${s}.tb_pggit_review x
                    WHERE x.intent_id = $1::text AND x.rule_id IS NULL ORDER BY x.id DESC LIMIT 1) AS latest`,
    reviewState: `SELECT ${s}.review_state($1::text) AS j`,

    /** SQL: an intent's reviews: what is required, the gate, every decision. */
    reviewStateFn: `SELECT jsonb_build_object(
        'intent_id', i.id,
        'required', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'rule_id', rr.rule_id, 'owner', rr.owner, 'objects', rr.objects,
                        'decision', (SELECT x.decision FROM ${s}.tb_pggit_review x
                                      WHERE x.intent_id = i.id AND x.rule_id = rr.rule_id
                                      ORDER BY x.id DESC LIMIT 1)) ORDER BY rr.rule_id), '[]')
                       FROM ${s}.tb_pggit_required_review rr WHERE rr.intent_id = i.id),
        'gate', jsonb_build_object(
          'enabled', ${setting('review_gate', 'off')} = 'on',
          'decision', (SELECT x.decision FROM ${s}.tb_pggit_review x
                        WHERE x.intent_id = i.id AND x.rule_id IS NULL ORDER BY x.id DESC LIMIT 1)),
        'reviews', (SELECT coalesce(jsonb_agg(to_jsonb(x.*) ORDER BY x.id), '[]')
                      FROM ${s}.tb_pggit_review x WHERE x.intent_id = i.id))
      FROM ${intent} i WHERE i.id = ${s}.intent_id($1, 'intent_id', true)`,

    /** SQL: the active rules, in the order they apply. */
    rulesFn: `SELECT coalesce(jsonb_agg(to_jsonb(r.*) ORDER BY r.id), '[]')
                FROM ${s}.tb_pggit_rule r WHERE r.removed_at IS NULL`,

    /** SQL: the settings an owner may change, with their values. */
    settingsFn: `SELECT jsonb_object_agg(key, value ORDER BY key) FROM ${settings}
                  WHERE key NOT IN ('version', 'bundle_hash', 'api_schema')`,

    // ---- the drift guard (drift.ts)

    /** The database's drift mode, the session's override and whether it may override, the agent. */
    driftContext: `SELECT ${setting('drift_mode', 'warn')} AS mode,
                          nullif(current_setting('pggit.drift_mode', true), '') AS session_mode,
                          (session_user = (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '${s}')
                           OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)) AS owner,
                          coalesce(nullif(current_setting('pggit.agent_id', true), ''), session_user::text) AS agent_id`,
    /** The agent's live intents, with what they declared and what was applied of it. */
    driftOwnIntents: `SELECT i.id, i.feature_name, i.objects, i.applied_objects
                        FROM ${intent} i WHERE i.agent_id = $1::text AND ${live('i')} ORDER BY i.id`,
    /** Other agents' live intents that share a key with what ran undeclared. */
    driftOtherIntents: `SELECT i.id, i.agent_id, i.feature_name FROM ${intent} i
                         WHERE i.object_keys && $1::text[] AND i.agent_id <> $2::text AND ${live('i')}
                         ORDER BY i.seq LIMIT 20`,
    /** Applied progress, rows locked in id order. */
    markApplied: `UPDATE ${intent} AS i
                     SET applied_objects = x.applied,
                         applied_at = CASE WHEN x.done THEN coalesce(i.applied_at, ${clock}) ELSE i.applied_at END
                    FROM jsonb_to_recordset($1::jsonb) AS x (id text, applied jsonb, done boolean),
                         (SELECT id FROM ${intent} WHERE id = ANY($2::text[]) ORDER BY id FOR NO KEY UPDATE) AS l
                   WHERE i.id = x.id AND l.id = x.id`,
    notify: "SELECT pg_notify('pggit', $1::text)",
    insertDrift: `INSERT INTO ${s}.tb_pggit_drift
                    (agent_id, command_tag, finding, mode, objects, statement, own_intents, other_intents)
                  VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::text, $7::jsonb, $8::jsonb)
                  RETURNING id`,

    /** plpgsql event trigger (ddl_command_end): the commands and the query to the guard. */
    driftDdlFn: `
BEGIN
  PERFORM ${s}.drift_check(
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'command_tag', command_tag, 'object_type', object_type, 'schema_name', schema_name,
        'object_identity', object_identity, 'in_extension', in_extension)), '[]')
       FROM pg_event_trigger_ddl_commands()),
    current_query());
END`,

    /** plpgsql event trigger (sql_drop): what the statement itself dropped, to the guard. */
    driftDropFn: `
BEGIN
  PERFORM ${s}.drift_check(
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'command_tag', tg_tag, 'object_type', object_type, 'schema_name', schema_name,
        'object_identity', object_identity, 'in_extension', false)), '[]')
       FROM pg_event_trigger_dropped_objects() WHERE original),
    current_query());
END`,

    /** plpgsql: pggit_drift: findings, newest first, since a time. */
    driftFn: `
BEGIN
  IF "limit" IS NULL OR "limit" < 1 OR "limit" > ${LIMITS.page} THEN
    RAISE EXCEPTION 'limit must be an integer from 1 to ${LIMITS.page}' USING ERRCODE = '22023';
  END IF;
  RETURN (SELECT coalesce(jsonb_agg(to_jsonb(d.*) ORDER BY d.id DESC), '[]')
            FROM (SELECT * FROM ${s}.tb_pggit_drift
                   WHERE (since IS NULL OR at >= since) AND ${canSee('agent_id')}
                   ORDER BY id DESC LIMIT "limit") d);
END`,

    // ---- bodies of the SQL-language functions (readers need no PLV8, and
    // give back every value exactly as stored; triggers need no JS row)

    /**
     * plpgsql: the full id of an intent named by its id, in any case, or by
     * an unambiguous prefix of at least 4 characters (git-style). An
     * ambiguous prefix is 22023 with the matches in DETAIL; none is P0002, or
     * NULL when must_exist is false.
     */
    intentIdFn: `
DECLARE
  g text := lower(btrim(given));
  found text[];
BEGIN
  IF given IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', arg USING ERRCODE = '22023';
  END IF;
  IF g ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    found := ARRAY(SELECT id FROM ${intent} WHERE id = g AND ${canSee('agent_id')});
  ELSIF length(g) >= 4 AND g ~ '^[0-9a-f-]+$' THEN
    -- the C-collated primary key serves LIKE 'prefix%' when the prefix is known
    -- at plan time: a dynamic statement, whatever plan_cache_mode the caller runs with
    EXECUTE format('SELECT ARRAY(SELECT id FROM ${intent} WHERE id LIKE %L AND ${canSee('agent_id').replaceAll("'", "''")} ORDER BY id LIMIT 11)', g || '%')
      INTO found;
  END IF;
  IF cardinality(found) > 1 THEN
    RAISE EXCEPTION '% "%" is ambiguous: it starts % intent ids', arg, g,
        CASE WHEN cardinality(found) > 10 THEN 'more than 10' ELSE cardinality(found)::text END
      USING ERRCODE = '22023', DETAIL = array_to_string(found[1:10], E'\\n'),
            HINT = 'give more characters of the id';
  END IF;
  IF cardinality(found) = 1 THEN
    RETURN found[1];
  END IF;
  IF must_exist THEN
    RAISE EXCEPTION 'intent % does not exist', btrim(given) USING ERRCODE = 'P0002';
  END IF;
  RETURN NULL;
END`,

    /** SQL: an intent as the API shows it, or NULL. */
    intentJsonFn: `SELECT ${intentJson('i')} FROM ${intent} i WHERE i.id = $1`,

    /**
     * SQL: the intent a registration has just written, with the conflicts_with
     * it computed ($2: the other sides of the conflicts it recorded, in
     * registration order). Nothing else can have recorded a conflict with it
     * yet (it is not committed), so this is what intent_json derives, without
     * the subquery (about 30 µs of a registration that met a conflict).
     * test/registry/intent-json.test.ts compares the two.
     */
    registeredJsonFn: `SELECT ${intentJson('i', '$2')} FROM ${intent} i WHERE i.id = $1`,

    /** SQL: pggit_get_intent: NULL for no such intent (or a NULL id). */
    getIntentFn: `SELECT ${s}.intent_json(${s}.intent_id($1, 'intent_id', false)) WHERE $1 IS NOT NULL`,

    /**
     * SQL: every conflict of an intent, with the advice addressed to that
     * intent's agent, and what happened to it since (its resolution log).
     */
    getConflictsFn: `SELECT coalesce(jsonb_agg(
        (${conflictJson('c')} - 'resolution_suggestions_b') || jsonb_build_object(
          'resolution_suggestions',
          CASE WHEN c.intent_a = x.id THEN c.resolution_suggestions ELSE c.resolution_suggestions_b END,
          'events', (SELECT coalesce(jsonb_agg(to_jsonb(e.*) - 'conflict_id' ORDER BY e.id), '[]')
                       FROM ${conflictEvent} e WHERE e.conflict_id = c.id))
        ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '[]')
      FROM (SELECT ${s}.intent_id($1, 'intent_id', true) AS id) x
      LEFT JOIN ${conflict} c ON c.intent_a = x.id OR c.intent_b = x.id`,

    /** SQL: an intent's status changes, oldest first. */
    historyFn: `SELECT coalesce(jsonb_agg(to_jsonb(h.*) ORDER BY h.id), '[]')
      FROM ${history} h WHERE h.intent_id = ${s}.intent_id($1, 'intent_id', true)`,

    /** plpgsql: pggit_list_intents: one page, newest first, with open conflict counts. */
    listIntentsFn: `
DECLARE
  after_seq integer;
  page jsonb;
BEGIN
  IF status IS NOT NULL AND status NOT IN (${STATUS_SQL}) THEN
    RAISE EXCEPTION 'status must be one of ${STATUSES.join(', ')}, not %', to_jsonb(status)::text
      USING ERRCODE = '22023';
  END IF;
  IF length(agent_id) > ${LIMITS.name} THEN
    RAISE EXCEPTION 'agent_id is too long: % characters, the limit is ${LIMITS.name}', length(agent_id)
      USING ERRCODE = '22023';
  END IF;
  IF "limit" IS NULL OR "limit" < 1 OR "limit" > ${LIMITS.page} THEN
    RAISE EXCEPTION 'limit must be an integer from 1 to ${LIMITS.page}' USING ERRCODE = '22023';
  END IF;
  IF after IS NOT NULL THEN
    SELECT i.seq INTO after_seq FROM ${intent} i WHERE i.id = ${s}.intent_id(after, 'after', true);
  END IF;
  SELECT coalesce(jsonb_agg(x.j ORDER BY x.seq DESC), '[]') INTO page
    FROM (
      SELECT i.seq, ${intentSummaryJson('i', 'n')} AS j
        FROM ${intent} i
        CROSS JOIN LATERAL (${openCounts('i')}) n
       WHERE ${canSee('i.agent_id')}
         AND (list_intents.status IS NULL OR i.status = list_intents.status)
         AND (list_intents.agent_id IS NULL OR i.agent_id = list_intents.agent_id)
         -- one index condition for both the first page and later ones (a cached
         -- generic plan cannot use "after_seq IS NULL OR ..." to start the scan)
         AND i.seq < coalesce(after_seq, 2147483647)
       ORDER BY i.seq DESC
       LIMIT "limit"
    ) x;
  RETURN page;
END`,

    /**
     * plpgsql trigger, BEFORE INSERT OR UPDATE on tb_pggit_intent: the
     * lifecycle, for API calls and direct SQL alike. What may change is
     * decided in TypeScript (check_transition); the row itself never goes
     * through JS, so every value is kept exactly.
     */
    intentGuardFn: `
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status NOT IN ('registered', 'conflicted') THEN
      RAISE EXCEPTION 'a new intent starts as registered or conflicted, not %', NEW.status
        USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id THEN
    RAISE EXCEPTION 'id of intent % cannot change', OLD.id USING ERRCODE = '55000';
  ELSIF NEW.agent_id IS DISTINCT FROM OLD.agent_id THEN
    RAISE EXCEPTION 'agent_id of intent % cannot change', OLD.id USING ERRCODE = '55000';
  ELSIF NEW.branch_name IS DISTINCT FROM OLD.branch_name THEN
    RAISE EXCEPTION 'branch_name of intent % cannot change', OLD.id USING ERRCODE = '55000';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM ${s}.check_transition(OLD.id, OLD.status, NEW.status);
  END IF;
  RETURN NEW;
END`,

    /**
     * plpgsql trigger, BEFORE UPDATE OF the declared columns on
     * tb_pggit_intent: what an intent declared never changes (a backend
     * keeps candidates prepared from it: candidates.ts), and its derived
     * objects and keys change only with its model version (rederive.ts).
     */
    intentFixedFn: `
BEGIN
  IF NEW.feature_name IS DISTINCT FROM OLD.feature_name
     OR NEW.feature_key IS DISTINCT FROM OLD.feature_key THEN
    RAISE EXCEPTION 'feature_name of intent % cannot change', OLD.id USING ERRCODE = '55000',
      HINT = 'register a new intent under the new name, and abandon this one';
  ELSIF NEW.schema_changes IS DISTINCT FROM OLD.schema_changes
     OR NEW.tables_affected IS DISTINCT FROM OLD.tables_affected THEN
    RAISE EXCEPTION 'the declared changes of intent % cannot change', OLD.id USING ERRCODE = '55000',
      HINT = 'register a new intent with the new DDL, and abandon this one';
  ELSIF NEW.metadata IS DISTINCT FROM OLD.metadata THEN
    RAISE EXCEPTION 'metadata of intent % cannot change', OLD.id USING ERRCODE = '55000';
  ELSIF (NEW.objects IS DISTINCT FROM OLD.objects OR NEW.object_keys IS DISTINCT FROM OLD.object_keys)
        AND NEW.model_version IS NOT DISTINCT FROM OLD.model_version THEN
    RAISE EXCEPTION 'objects of intent % change only with its model_version', OLD.id
      USING ERRCODE = '55000',
      HINT = 'pggit install derives them again when the object model changes';
  END IF;
  RETURN NEW;
END`,

    /**
     * plpgsql trigger, AFTER INSERT OR UPDATE on tb_pggit_intent: the history
     * row of every insert and status change, and a notification. Reason and
     * actor come from the API (pggit.reason, pggit.changed_by); a direct
     * statement records its session user. The payload says only what happened
     * to which intent: any role may LISTEN on a channel.
     */
    intentAuditFn: `
DECLARE
  old_status text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.status = OLD.status THEN
      RETURN NULL;
    END IF;
    old_status := OLD.status;
  END IF;
  -- a new intent's first row links to its anchor, made here from NEW (the
  -- chain trigger would read the row back for it, and look for an earlier
  -- row a new intent cannot have)
  INSERT INTO ${history} (intent_id, old_status, new_status, reason, changed_by, prev_hash)
  VALUES (NEW.id, old_status, NEW.status,
          nullif(current_setting('pggit.reason', true), ''),
          coalesce(nullif(current_setting('pggit.changed_by', true), ''), session_user),
          CASE WHEN TG_OP = 'INSERT' THEN ${s}.intent_anchor(NEW) END);
  IF TG_OP = 'INSERT' THEN
    -- a registration inserts one row: what it said is used up
    PERFORM set_config('pggit.reason', '', true), set_config('pggit.changed_by', '', true);
  END IF;
  PERFORM pg_notify('pggit', jsonb_build_object(
    'event', CASE WHEN TG_OP = 'INSERT' THEN 'registered' ELSE 'status_changed' END,
    'intent_id', NEW.id, 'old_status', old_status, 'status', NEW.status)::text);
  RETURN NULL;
END`,

    /**
     * plpgsql trigger, BEFORE INSERT on tb_pggit_intent_history: links the row
     * into its intent's hash chain (status changes of one intent are
     * serialised by its row lock, so the chain has one head).
     */
    chainHistoryFn: `
BEGIN
  -- only intent_audit writes here, and it gives prev_hash only for a new
  -- intent's first row (its anchor); pggit_verify checks every link
  IF NEW.prev_hash IS NULL THEN
    SELECT h.hash INTO NEW.prev_hash FROM ${history} h
     WHERE h.intent_id = NEW.intent_id ORDER BY h.id DESC LIMIT 1;
  END IF;
  IF NEW.prev_hash IS NULL THEN
    SELECT ${s}.intent_anchor(i) INTO NEW.prev_hash FROM ${intent} i WHERE i.id = NEW.intent_id;
  END IF;
  NEW.hash := ${s}.chain_hash(NEW.prev_hash, ${s}.history_content(NEW));
  RETURN NEW;
END`,

    /** plpgsql trigger, BEFORE INSERT on tb_pggit_conflict_event: the same, per conflict (locked). */
    chainEventFn: `
BEGIN
  SELECT e.hash INTO NEW.prev_hash FROM ${conflictEvent} e
   WHERE e.conflict_id = NEW.conflict_id ORDER BY e.id DESC LIMIT 1;
  IF NEW.prev_hash IS NULL THEN
    SELECT ${s}.conflict_anchor(c) INTO NEW.prev_hash FROM ${conflict} c WHERE c.id = NEW.conflict_id;
  END IF;
  NEW.hash := ${s}.chain_hash(NEW.prev_hash, ${s}.event_content(NEW));
  RETURN NEW;
END`,

    /**
     * SQL: pggit_verify: recomputes every chain. The first broken link, in
     * the order things happened (and the first 100 problems), and a digest
     * of all chain heads (keep it elsewhere: a later run whose chains do not
     * extend it was rewritten).
     */
    verifyFn: `WITH hist AS (
        SELECT h.id, h.intent_id, h.new_status, h.changed_at AS at,
               h.prev_hash IS DISTINCT FROM coalesce(lag(h.hash) OVER w, ${s}.intent_anchor(i)) AS bad_link,
               h.hash IS DISTINCT FROM ${s}.chain_hash(h.prev_hash, ${s}.history_content(h)) AS bad_content,
               row_number() OVER (PARTITION BY h.intent_id ORDER BY h.id DESC) = 1 AS last,
               i.status, h.hash
          FROM ${history} h JOIN ${intent} i ON i.id = h.intent_id
        WINDOW w AS (PARTITION BY h.intent_id ORDER BY h.id)
      ), ev AS (
        SELECT e.id, e.conflict_id, e.at,
               e.prev_hash IS DISTINCT FROM coalesce(lag(e.hash) OVER w, ${s}.conflict_anchor(c)) AS bad_link,
               e.hash IS DISTINCT FROM ${s}.chain_hash(e.prev_hash, ${s}.event_content(e)) AS bad_content,
               row_number() OVER (PARTITION BY e.conflict_id ORDER BY e.id DESC) = 1 AS last,
               e.hash
          FROM ${conflictEvent} e JOIN ${conflict} c ON c.id = e.conflict_id
        WINDOW w AS (PARTITION BY e.conflict_id ORDER BY e.id)
      ), problems AS (
        SELECT at, 'intent' AS chain, intent_id AS id, id AS row_id,
               CASE WHEN bad_link THEN 'the row before it is missing or was changed'
                    ELSE 'the row was changed' END AS problem
          FROM hist WHERE bad_link OR bad_content
        UNION ALL
        SELECT at, 'intent', intent_id, id,
               'the intent is ' || status || ', but its history ends at ' || new_status
          FROM hist WHERE last AND new_status <> status
        UNION ALL
        SELECT i.created_at, 'intent', i.id, NULL, 'the intent has no history'
          FROM ${intent} i WHERE NOT EXISTS (SELECT 1 FROM ${history} h WHERE h.intent_id = i.id)
        UNION ALL
        SELECT at, 'conflict', conflict_id::text, id,
               CASE WHEN bad_link THEN 'the event before it is missing or was changed'
                    ELSE 'the event was changed' END
          FROM ev WHERE bad_link OR bad_content
        UNION ALL
        SELECT c.created_at, 'conflict', c.id::text, NULL, 'the conflict is resolved, but its log is empty'
          FROM ${conflict} c
         WHERE c.reviewed AND NOT EXISTS (SELECT 1 FROM ${conflictEvent} e WHERE e.conflict_id = c.id)
      )
      SELECT jsonb_build_object(
        'ok', NOT EXISTS (SELECT 1 FROM problems),
        'problems', (SELECT count(*)::int FROM problems),
        'first_broken', (SELECT to_jsonb(p) - 'at' FROM problems p ORDER BY p.at, p.row_id NULLS FIRST LIMIT 1),
        'broken', (SELECT coalesce(jsonb_agg(to_jsonb(p) - 'at' ORDER BY p.at, p.row_id NULLS FIRST), '[]')
                     FROM (SELECT * FROM problems ORDER BY at, row_id NULLS FIRST LIMIT 100) p),
        'intents', (SELECT count(*)::int FROM ${intent}),
        'history_rows', (SELECT count(*)::int FROM hist),
        'conflict_events', (SELECT count(*)::int FROM ev),
        'digest', encode(sha256(convert_to(coalesce(
           (SELECT string_agg(x.hash, ',' ORDER BY x.k)
              FROM (SELECT 'i' || intent_id AS k, hash FROM hist WHERE last
                    UNION ALL SELECT 'c' || lpad(conflict_id::text, 10, '0'), hash FROM ev WHERE last) x), ''),
           'UTF8')), 'hex'))`,

    /** plpgsql trigger: the audit tables only grow. */
    appendOnlyFn: `
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = '42501', HINT = 'the audit trail of intents and conflicts can only grow';
END`,
  };
}

/**
 * pggit's clock, as an expression for pggit's own statements (the same as
 * the function <schema>.clock() of migration 000005, which the views call;
 * a test keeps the two equal): the statement's time, or the session's
 * pggit.now when the owner has turned clock_override on.
 */
/**
 * The columns of tb_pggit_intent an intent's JSON shows (all but objects,
 * model_version and seq), in table order.
 */
export const INTENT_JSON_COLUMNS = [
  'id',
  'agent_id',
  'feature_name',
  'feature_key',
  'branch_name',
  'schema_changes',
  'tables_affected',
  'estimated_duration_ms',
  'risk_level',
  'status',
  'metadata',
  'object_keys',
  'created_at',
  'updated_at',
  'lease_seconds',
  'lease_expires_at',
  'applied_objects',
  'applied_at',
] as const;

/** The columns it leaves out. */
export const INTENT_JSON_HIDDEN = ['objects', 'model_version', 'seq'] as const;

export function clockSql(s: string): string {
  return `(CASE WHEN (SELECT value FROM ${s}.tb_pggit_settings WHERE key = 'clock_override') = 'on'
    THEN coalesce(nullif(current_setting('pggit.now', true), '')::timestamptz, statement_timestamp())
    ELSE statement_timestamp() END)`;
}

/**
 * Whether the session may see an agent's intents (the function
 * <schema>.can_see of migration 000007, which the views call; a test keeps
 * the two equal).
 */
export function canSeeSql(s: string, agent: string): string {
  return `(coalesce((SELECT value FROM ${s}.tb_pggit_settings WHERE key = 'agent_isolation'), 'off') <> 'on'
    OR ${agent} = session_user
    OR session_user = (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '${s}')
    OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
    OR pg_has_role(session_user, 'pggit_admin', 'MEMBER'))`;
}

/** The ids of every intent an intent has a conflict with, in registration order (migration 000008). */
export function conflictsWithSql(s: string, id: string): string {
  return `(SELECT coalesce(jsonb_agg(o.id ORDER BY o.seq), '[]')
     FROM ${s}.tb_pggit_intent o
    WHERE o.id IN (SELECT c.intent_b FROM ${s}.tb_pggit_conflict c WHERE c.intent_a = ${id}
                   UNION
                   SELECT c.intent_a FROM ${s}.tb_pggit_conflict c WHERE c.intent_b = ${id}))`;
}

/**
 * The branch name for a use of a slug, in SQL: `feature/<slug>` for the first
 * use, then `feature/<slug>_001`, `_002`, ... (branch.ts says the same in
 * TypeScript; a test keeps the two equal).
 */
export function branchNameSql(slug: string, uses: string): string {
  const n = `(${uses} - 1)::text`;
  return `'feature/' || ${slug} || CASE WHEN ${uses} <= 1 THEN '' ELSE '_' || lpad(${n}, greatest(3, length(${n})), '0') END`;
}
