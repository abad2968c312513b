/**
 * Every SQL text the registry runs, in one place (as pg-boss keeps its SQL),
 * built for one installation's schema. Parameters carry explicit casts, so a
 * statement means the same on real PLV8 and on our runtime whatever JS value
 * is bound (see plv8-api.ts).
 */
import { ACTIVE_STATUS_SQL, STATUSES } from './lifecycle.js';
import { LIMITS } from './validate.js';

const STATUS_SQL = STATUSES.map((x) => `'${x}'`).join(', ');

export type Statements = ReturnType<typeof statements>;

export function statements(s: string) {
  const intent = `${s}.tb_pggit_intent`;
  const conflict = `${s}.tb_pggit_conflict`;
  const conflictEvent = `${s}.tb_pggit_conflict_event`;
  const history = `${s}.tb_pggit_intent_history`;
  const settings = `${s}.tb_pggit_settings`;
  const branchCounter = `${s}.tb_pggit_branch_counter`;
  /** An intent as the API shows it: every column but the registry's own bookkeeping. */
  const intentJson = (alias: string) =>
    `(to_jsonb(${alias}.*) - 'objects' - 'model_version' - 'seq')`;
  const conflictJson = (alias: string) => `to_jsonb(${alias}.*)`;
  const active = (alias: string) => `${alias}.status IN (${ACTIVE_STATUS_SQL})`;

  /**
   * The conflicts that hold an intent back (`$1` is its id): those it recorded
   * itself when it registered, against intents declared before it, that are
   * not reviewed and whose other side is still active. Conflicts that later
   * newcomers record against it never count: first to declare, first to
   * proceed.
   */
  const openConflicts = (errorsOnly: boolean) => `
    SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
           o.id AS other_id, o.agent_id AS other_agent, o.feature_name AS other_feature
      FROM ${conflict} c
      JOIN ${intent} o ON o.id = c.intent_b
     WHERE c.intent_a = $1::text
       AND NOT c.reviewed
       AND ${active('o')}${errorsOnly ? " AND c.severity = 'error'" : ''}
     ORDER BY c.id`;

  /** Open conflicts (both sides active, not reviewed) an intent is part of, on either side. */
  const openCounts = (idExpr: string) => `
    SELECT count(*)::int AS open_conflicts,
           (count(*) FILTER (WHERE x.severity = 'error'))::int AS open_errors
      FROM (
        SELECT c.severity FROM ${conflict} c JOIN ${intent} o ON o.id = c.intent_b
         WHERE c.intent_a = ${idExpr} AND NOT c.reviewed AND ${active('o')}
        UNION ALL
        SELECT c.severity FROM ${conflict} c JOIN ${intent} o ON o.id = c.intent_a
         WHERE c.intent_b = ${idExpr} AND NOT c.reviewed AND ${active('o')}
      ) x`;

  return {
    tables: { intent, conflict, conflictEvent, history, settings, branchCounter },

    /** Who calls, in which isolation, and whether identities are bound: one round trip. */
    session: `SELECT session_user::text AS session_user,
                     current_setting('transaction_isolation') AS isolation,
                     coalesce((SELECT value FROM ${settings} WHERE key = 'bind_agent_identity'), 'off') AS bind`,

    /** Who and why, for the history trigger (transaction-local). */
    setAudit:
      "SELECT set_config('pggit.reason', $1::text, true), set_config('pggit.changed_by', $2::text, true)",

    /** Advisory locks on the hashes of the keys, in ascending order, in one statement. */
    lockKeys: `SELECT pg_advisory_xact_lock($1::int, x.h)
                 FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) x`,

    /**
     * Active intents of other agents that share a key (the partial GIN index on
     * object_keys serves it), with what detection compares: the objects stored
     * at registration, or the script when they were stored by another model version.
     */
    candidates: `SELECT id, agent_id, feature_name, tables_affected, status, objects, model_version,
                        CASE WHEN model_version = $3::int THEN NULL ELSE schema_changes END AS schema_changes
                   FROM ${intent}
                  WHERE status IN (${ACTIVE_STATUS_SQL})
                    AND object_keys && $1::text[]
                    AND agent_id <> $2::text
                  ORDER BY seq`,

    intentForUpdate: `SELECT id, agent_id, feature_name, status FROM ${intent} WHERE id = $1::text FOR UPDATE`,
    intentKeys: `SELECT object_keys AS k FROM ${intent} WHERE id = $1::text`,

    /** An intent named by its id or a unique prefix (see intentIdFn); none is P0002. */
    intentId: `SELECT ${s}.intent_id($1::text, $2::text, true) AS id`,

    branchUse: `INSERT INTO ${branchCounter} AS b (slug, uses) VALUES ($1::text, 1)
                ON CONFLICT (slug) DO UPDATE SET uses = b.uses + 1
                RETURNING b.uses`,
    branchTaken: `SELECT 1 FROM ${intent} WHERE branch_name = $1::text`,

    insertIntent: `INSERT INTO ${intent} AS i
        (agent_id, feature_name, feature_key, branch_name, schema_changes, tables_affected,
         estimated_duration_ms, risk_level, status, conflicts_with, metadata, object_keys,
         objects, model_version)
      VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::int, $8::text,
              $9::text, $10::jsonb, $11::text::jsonb, $12::text[], $13::jsonb, $14::int)
      RETURNING i.id`,

    /** All of a registration's conflicts in one statement, from a JS array of objects. */
    insertConflicts: `INSERT INTO ${conflict} AS c
        (intent_a, intent_b, conflict_type, affected_objects, severity,
         resolution_suggestions, resolution_suggestions_b)
      SELECT $1::text, r.intent_b, r.conflict_type, r.affected_objects, r.severity,
             r.resolution_suggestions, r.resolution_suggestions_b
        FROM jsonb_to_recordset($2::jsonb) AS r (intent_b text, conflict_type text,
             affected_objects jsonb, severity text, resolution_suggestions jsonb,
             resolution_suggestions_b jsonb)
      RETURNING ${conflictJson('c')} AS j`,

    /** Both sides: the earlier intents learn of the newcomer, keeping their status. */
    addConflictsWith: `UPDATE ${intent}
          SET conflicts_with = conflicts_with || jsonb_build_array($1::text), updated_at = clock_timestamp()
        WHERE id = ANY($2::text[]) AND NOT conflicts_with ? $1::text`,

    setStatus: `UPDATE ${intent} SET status = $2::text, updated_at = clock_timestamp() WHERE id = $1::text`,

    openConflicts: openConflicts(false),
    openErrorConflicts: openConflicts(true),
    isClear: `SELECT NOT EXISTS (${openConflicts(false)}) AS clear`,

    /** Conflicted intents among the ids, locked in id order. */
    lockConflicted: `SELECT id FROM ${intent}
                      WHERE id = ANY($1::text[]) AND status = 'conflicted'
                      ORDER BY id FOR UPDATE`,

    /** Abandoning: resolves the intent's open conflicts with a note; returns the other sides. */
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
      SELECT other FROM done`,
    /** Merging leaves conflicts as they are (they stop counting once a side is merged). */
    otherSides: `SELECT CASE WHEN intent_a = $1::text THEN intent_b ELSE intent_a END AS other
                   FROM ${conflict} WHERE (intent_a = $1::text OR intent_b = $1::text) AND NOT reviewed`,

    conflictForUpdate: `SELECT ${conflictJson('c')} AS j FROM ${conflict} c WHERE c.id = $1::int FOR UPDATE`,
    conflictParties: `SELECT a.agent_id AS agent_a, b.agent_id AS agent_b, a.status AS status_a
                        FROM ${intent} a, ${intent} b WHERE a.id = $1::text AND b.id = $2::text`,
    resolve: `UPDATE ${conflict} AS c
                 SET reviewed = true, reviewed_at = clock_timestamp(), reviewed_by = $3::text,
                     resolution_notes = $2::text, severity = $4::text
               WHERE c.id = $1::int
               RETURNING ${conflictJson('c')} AS j`,
    reopen: `UPDATE ${conflict} AS c
                SET reviewed = false, reviewed_at = NULL, reviewed_by = NULL, resolution_notes = NULL
              WHERE c.id = $1::int
              RETURNING ${conflictJson('c')} AS j`,
    logConflictEvent: `INSERT INTO ${conflictEvent} (conflict_id, event, old_severity, new_severity, notes, actor)
                       VALUES ($1::int, $2::text, $3::text, $4::text, $5::text, $6::text)`,

    insertHistory: `INSERT INTO ${history} (intent_id, old_status, new_status, reason, changed_by)
      VALUES ($1::text, $2::text, $3::text, nullif(current_setting('pggit.reason', true), ''),
              coalesce(nullif(current_setting('pggit.changed_by', true), ''), session_user::text))`,
    notify: "SELECT pg_notify('pggit', $1::text)",

    // ---- bodies of the SQL-language functions (readers need no PLV8, and
    // give back every value exactly as stored)

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
    found := ARRAY(SELECT id FROM ${intent} WHERE id = g);
  ELSIF length(g) >= 4 AND g ~ '^[0-9a-f-]+$' THEN
    -- the C-collated primary key serves LIKE 'prefix%'
    found := ARRAY(SELECT id FROM ${intent} WHERE id LIKE g || '%' ORDER BY id LIMIT 11);
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
      SELECT i.seq, ${intentJson('i')} || to_jsonb(n.*) AS j
        FROM ${intent} i
        CROSS JOIN LATERAL (${openCounts('i.id')}) n
       WHERE (list_intents.status IS NULL OR i.status = list_intents.status)
         AND (list_intents.agent_id IS NULL OR i.agent_id = list_intents.agent_id)
         AND (after_seq IS NULL OR i.seq < after_seq)
       ORDER BY i.seq DESC
       LIMIT "limit"
    ) x;
  RETURN page;
END`,
  };
}
