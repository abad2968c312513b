--! Previous: sha1:a579de8e7302c4cb2e0ffad62813cfaca5d391e6
--! Hash: sha1:1d79180bb1652604eaa85f44443053eff6c903de
--! Message: rules as data: owners, severities, advice, reviews, agent isolation

-- Rules as data: the reference's extension points (custom detectors,
-- suggestion generators, statuses, a review workflow), as rows the owner
-- manages with SQL functions, without a rebuild.
--
-- * owner rules: objects (a pattern) that belong to an agent or a team (a
--   role); anyone else's intent touching them needs the owner's review
--   before it may start;
-- * severity rules: a conflict type and/or pattern whose severity becomes
--   error, warning, or none (not recorded);
-- * advice rules: advice added to conflicts on matching objects, or of
--   intents whose metadata has a key with a value.
-- The review gate (a setting) makes completed -> merged wait for an approval
-- by someone other than the author. Agent isolation (a setting, the
-- reference's row-level security) lets an agent see only its own intents and
-- the conflicts it is part of.

DO $role$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pggit_admin') THEN
    CREATE ROLE pggit_admin NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created meanwhile by a concurrent install into another database
END
$role$;
GRANT USAGE ON SCHEMA :PGGIT_SCHEMA TO pggit_admin;

CREATE TABLE :PGGIT_SCHEMA.tb_pggit_rule (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('owner', 'severity', 'advice')),
  -- a glob over pggit's normalised names, optionally after a kind:
  -- 'public.payments*', 'function:public.charge*'
  pattern text CHECK (length(pattern) BETWEEN 1 AND 500),
  conflict_type text CHECK (conflict_type IN ('table', 'column', 'function', 'index',
    'constraint', 'timing', 'dependency', 'view', 'type', 'sequence', 'trigger', 'policy',
    'schema', 'extension')),
  metadata_key text CHECK (length(metadata_key) BETWEEN 1 AND 200),
  metadata_value text CHECK (length(metadata_value) <= 1000),
  owner text CHECK (length(owner) BETWEEN 1 AND 200),
  severity text CHECK (severity IN ('warning', 'error', 'none')),
  advice text CHECK (length(advice) BETWEEN 1 AND 2000),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  created_by text NOT NULL DEFAULT session_user,
  -- a removed rule stays, inactive, for the reviews and conflicts that name it
  removed_at timestamptz,
  CHECK (kind <> 'owner' OR (pattern IS NOT NULL AND owner IS NOT NULL)),
  CHECK (kind <> 'severity' OR (severity IS NOT NULL AND (pattern IS NOT NULL OR conflict_type IS NOT NULL))),
  CHECK (kind <> 'advice' OR (advice IS NOT NULL AND (pattern IS NOT NULL OR metadata_key IS NOT NULL))),
  CHECK ((metadata_key IS NULL) = (metadata_value IS NULL))
);

-- Reviews an owner rule requires of an intent, recorded when it registers.
CREATE TABLE :PGGIT_SCHEMA.tb_pggit_required_review (
  intent_id text COLLATE "C" NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_intent (id),
  rule_id integer NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_rule (id),
  owner text NOT NULL,
  objects jsonb NOT NULL CHECK (jsonb_typeof(objects) = 'array'),
  PRIMARY KEY (intent_id, rule_id)
);

-- Every review decision, append-only: for an owner rule (rule_id), or for
-- the review gate (rule_id NULL). The latest decision counts.
CREATE TABLE :PGGIT_SCHEMA.tb_pggit_review (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  intent_id text COLLATE "C" NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_intent (id),
  rule_id integer REFERENCES :PGGIT_SCHEMA.tb_pggit_rule (id),
  decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),
  reviewer text NOT NULL,
  session_role text NOT NULL DEFAULT session_user,
  notes text CHECK (length(notes) <= 10000),
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tb_pggit_review_intent_idx ON :PGGIT_SCHEMA.tb_pggit_review (intent_id, id);

-- Which rule set a conflict's severity, if one did.
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_conflict
  ADD COLUMN severity_rule integer REFERENCES :PGGIT_SCHEMA.tb_pggit_rule (id);

REVOKE ALL ON :PGGIT_SCHEMA.tb_pggit_rule, :PGGIT_SCHEMA.tb_pggit_required_review,
  :PGGIT_SCHEMA.tb_pggit_review FROM PUBLIC;

ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings DROP CONSTRAINT tb_pggit_settings_key_check;
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_key_check
  CHECK (key IN ('bind_agent_identity', 'api_schema', 'version', 'bundle_hash',
                 'lease_seconds', 'clock_override', 'drift_mode', 'review_gate', 'agent_isolation'));
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_onoff_check
  CHECK (key NOT IN ('review_gate', 'agent_isolation') OR value IN ('on', 'off'));
INSERT INTO :PGGIT_SCHEMA.tb_pggit_settings (key, value) VALUES ('review_gate', 'off'), ('agent_isolation', 'off');

-- Whether the session may see an agent's intents: always, unless agent
-- isolation is on; then only its own, or everything for pggit's owner, a
-- superuser and pggit_admin.
CREATE FUNCTION :PGGIT_SCHEMA.can_see(agent text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT coalesce((SELECT value FROM :PGGIT_SCHEMA.tb_pggit_settings WHERE key = 'agent_isolation'), 'off') <> 'on'
            OR agent = session_user
            OR session_user = (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ':PGGIT_SCHEMA')
            OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
            OR pg_has_role(session_user, 'pggit_admin', 'MEMBER') $$;
REVOKE ALL ON FUNCTION :PGGIT_SCHEMA.can_see(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION :PGGIT_SCHEMA.can_see(text) TO pggit_agent, pggit_admin;
GRANT SELECT ON :PGGIT_API_SCHEMA.pggit_intents, :PGGIT_API_SCHEMA.pggit_open_conflicts TO pggit_admin;

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
  ) o ON o.intent = i.id
 WHERE :PGGIT_SCHEMA.can_see(i.agent_id);

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
   AND b.lease_expires_at > :PGGIT_SCHEMA.clock()
   AND (:PGGIT_SCHEMA.can_see(a.agent_id) OR :PGGIT_SCHEMA.can_see(b.agent_id));
