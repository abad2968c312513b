--! Previous: sha1:a030bdf608ca596e0944810e9dda923f698a0467
--! Hash: sha1:5aa5af10986ba76f26288dd60a04eee8a4046714
--! Message: leases: intents of crashed agents expire

-- Leases: an intent whose agent stops heartbeating expires. An expired
-- intent stops counting for detection at once (a check at query time, no
-- worker needed); pggit_sweep() later moves it to abandoned, releasing its
-- conflicts as an abandon does.

ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings DROP CONSTRAINT tb_pggit_settings_key_check;
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_key_check
  CHECK (key IN ('bind_agent_identity', 'api_schema', 'version', 'bundle_hash',
                 'lease_seconds', 'clock_override'));
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_lease_check
  CHECK (key <> 'lease_seconds' OR value ~ '^[1-9][0-9]{0,7}$');
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_clock_check
  CHECK (key <> 'clock_override' OR value IN ('on', 'off'));
-- a day by default; the clock override is for tests (pggit.now), off unless the owner allows it
INSERT INTO :PGGIT_SCHEMA.tb_pggit_settings (key, value)
VALUES ('lease_seconds', '86400'), ('clock_override', 'off');

-- pggit's notion of now: the statement's time, or the session's pggit.now
-- when the owner has allowed the override (tests move time without sleeping).
-- Nobody else can move it: an agent that could would expire others' intents
-- for its own registrations.
CREATE FUNCTION :PGGIT_SCHEMA.clock() RETURNS timestamptz
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT CASE WHEN (SELECT value FROM :PGGIT_SCHEMA.tb_pggit_settings WHERE key = 'clock_override') = 'on'
                    THEN coalesce(nullif(current_setting('pggit.now', true), '')::timestamptz, statement_timestamp())
                    ELSE statement_timestamp() END $$;
REVOKE ALL ON FUNCTION :PGGIT_SCHEMA.clock() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION :PGGIT_SCHEMA.clock() TO pggit_agent;

ALTER TABLE :PGGIT_SCHEMA.tb_pggit_intent
  ADD COLUMN lease_seconds integer NOT NULL DEFAULT 86400 CHECK (lease_seconds > 0),
  ADD COLUMN lease_expires_at timestamptz(3) NOT NULL DEFAULT clock_timestamp() + interval '1 day';
CREATE INDEX tb_pggit_intent_lease_idx ON :PGGIT_SCHEMA.tb_pggit_intent (lease_expires_at)
  WHERE status IN ('registered', 'in_progress', 'completed', 'conflicted');

-- The API functions gain a lease argument: the old signatures go, or a call
-- that omits it would match both.
DROP FUNCTION IF EXISTS :PGGIT_API_SCHEMA.pggit_register(text, text, text, text[], integer, text, jsonb);
DROP FUNCTION IF EXISTS :PGGIT_SCHEMA.register(text, text, text, text[], integer, text, text);

-- "Open" in the views follows the registry: both intents active and unexpired.
CREATE OR REPLACE VIEW :PGGIT_API_SCHEMA.pggit_intents AS
SELECT i.id, i.agent_id, i.feature_name, i.branch_name, i.status, i.risk_level,
       i.estimated_duration_ms, i.tables_affected, i.conflicts_with,
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
  ) o ON o.intent = i.id;

CREATE OR REPLACE VIEW :PGGIT_API_SCHEMA.pggit_open_conflicts AS
SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
       c.intent_a, a.agent_id AS agent_a, a.feature_name AS feature_a, a.status AS status_a,
       c.intent_b, b.agent_id AS agent_b, b.feature_name AS feature_b, b.status AS status_b,
       c.resolution_suggestions, c.resolution_suggestions_b, c.created_at
  FROM :PGGIT_SCHEMA.tb_pggit_conflict c
  JOIN :PGGIT_SCHEMA.tb_pggit_intent a ON a.id = c.intent_a
  JOIN :PGGIT_SCHEMA.tb_pggit_intent b ON b.id = c.intent_b
 WHERE NOT c.reviewed
   AND a.status IN ('registered', 'in_progress', 'completed', 'conflicted')
   AND b.status IN ('registered', 'in_progress', 'completed', 'conflicted')
   AND a.lease_expires_at > :PGGIT_SCHEMA.clock()
   AND b.lease_expires_at > :PGGIT_SCHEMA.clock();
