--! Previous: sha1:1d79180bb1652604eaa85f44443053eff6c903de
--! Hash: sha1:155ec0f5ceae4c38c029d31a4bb144e079a9de78
--! Message: conflicts_with derived, not stored

-- conflicts_with is derived from the conflicts, not stored: a registration no
-- longer rewrites every earlier intent it conflicts with (on a hot table, all
-- of them, for each newcomer), and takes no lock on their rows beyond the
-- foreign keys' share locks. The API and the views show it as before: the
-- ids of every intent the intent has a conflict with, resolved or not, in
-- registration order.

CREATE FUNCTION :PGGIT_SCHEMA.conflicts_with(intent_id text) RETURNS jsonb
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT coalesce(jsonb_agg(o.id ORDER BY o.seq), '[]')
          FROM :PGGIT_SCHEMA.tb_pggit_intent o
         WHERE o.id IN (SELECT c.intent_b FROM :PGGIT_SCHEMA.tb_pggit_conflict c WHERE c.intent_a = $1
                        UNION
                        SELECT c.intent_a FROM :PGGIT_SCHEMA.tb_pggit_conflict c WHERE c.intent_b = $1) $$;
REVOKE ALL ON FUNCTION :PGGIT_SCHEMA.conflicts_with(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION :PGGIT_SCHEMA.conflicts_with(text) TO pggit_agent, pggit_admin;

DROP VIEW :PGGIT_API_SCHEMA.pggit_intents;
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_intent DROP COLUMN conflicts_with;

CREATE VIEW :PGGIT_API_SCHEMA.pggit_intents AS
SELECT i.id, i.agent_id, i.feature_name, i.branch_name, i.status, i.risk_level,
       i.estimated_duration_ms, i.tables_affected, :PGGIT_SCHEMA.conflicts_with(i.id) AS conflicts_with,
       coalesce(o.open_conflicts, 0) AS open_conflicts,
       coalesce(o.open_errors, 0) AS open_errors,
       i.created_at, i.updated_at, i.lease_expires_at,
       i.lease_expires_at <= :PGGIT_SCHEMA.clock() AS expired
  FROM :PGGIT_SCHEMA.tb_pggit_intent i
  LEFT JOIN (
    SELECT s.intent, count(*)::int AS open_conflicts,
           (count(*) FILTER (WHERE s.severity = 'error'))::int AS open_errors
      FROM (
        SELECT CASE WHEN side.a THEN c.intent_a ELSE c.intent_b END AS intent, c.severity
          FROM :PGGIT_SCHEMA.tb_pggit_conflict c
          JOIN :PGGIT_SCHEMA.tb_pggit_intent a ON a.id = c.intent_a
          JOIN :PGGIT_SCHEMA.tb_pggit_intent b ON b.id = c.intent_b
          CROSS JOIN (VALUES (true), (false)) AS side (a)
         WHERE NOT c.reviewed
           AND a.status IN ('registered', 'in_progress', 'completed', 'conflicted')
           AND b.status IN ('registered', 'in_progress', 'completed', 'conflicted')
           AND a.lease_expires_at > :PGGIT_SCHEMA.clock()
           AND b.lease_expires_at > :PGGIT_SCHEMA.clock()
      ) s
     GROUP BY s.intent
  ) o ON o.intent = i.id
 WHERE :PGGIT_SCHEMA.can_see(i.agent_id);

REVOKE ALL ON :PGGIT_API_SCHEMA.pggit_intents FROM PUBLIC;
GRANT SELECT ON :PGGIT_API_SCHEMA.pggit_intents TO pggit_agent, pggit_admin;
