--! Previous: -
--! Hash: sha1:04f5b992807986841ff0c8aa16139ed6bebc7f47
--! Message: pggit in its own schema

-- pggit's own schema. Everything pggit keeps lives in :PGGIT_SCHEMA (its
-- tables, its internal functions and the PLV8 bundle, and, kept there by
-- `pggit install`, its own graphile-migrate ledger); only the SQL API
-- functions and the two views go into :PGGIT_API_SCHEMA, so that
-- `SELECT pggit_register(...)` works from a default search_path. Both names
-- are graphile-migrate placeholders that the installer fills in.
--
-- Functions, triggers and grants come from migrations/generated/pggit-functions.sql,
-- applied after every install.

-- PLV8: the real extension where the server has it, else our compatible
-- runtime (plv8/), which creates the same LANGUAGE plv8. Never both.
DO $plv8$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_language WHERE lanname = 'plv8') THEN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plv8') THEN
      CREATE EXTENSION plv8;
    ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plv8_compat') THEN
      CREATE EXTENSION plv8_compat;
    ELSE
      RAISE EXCEPTION 'pggit needs the PLV8 language, and this server has neither plv8 nor plv8_compat'
        USING ERRCODE = '0A000',
              HINT = 'install PLV8 3.1 or later on the server (a superuser runs CREATE EXTENSION plv8), then run pggit install again';
    END IF;
  END IF;
END
$plv8$;

-- Agents get EXECUTE on the API and SELECT on the views, nothing else. The
-- role is cluster-wide: a second database's install (even a concurrent one)
-- finds it.
DO $role$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pggit_agent') THEN
    CREATE ROLE pggit_agent NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created meanwhile by a concurrent install into another database
END
$role$;

CREATE SCHEMA IF NOT EXISTS :PGGIT_SCHEMA;
COMMENT ON SCHEMA :PGGIT_SCHEMA IS 'pggit: intents, conflicts, their history, and the PLV8 bundle (see pggit_version())';
REVOKE ALL ON SCHEMA :PGGIT_SCHEMA FROM PUBLIC;
GRANT USAGE ON SCHEMA :PGGIT_SCHEMA TO pggit_agent;

CREATE TABLE :PGGIT_SCHEMA.tb_pggit_intent (
  -- text UUIDs, compared byte-wise: ids are case-folded by the API and found by prefix
  id text COLLATE "C" PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid()::text
    CHECK (id = lower(id)),
  -- registration order (created_at can tie, and is a clock)
  seq integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  agent_id text NOT NULL CHECK (btrim(agent_id) <> '' AND length(agent_id) <= 200),
  feature_name text NOT NULL CHECK (btrim(feature_name) <> '' AND length(feature_name) <= 200),
  -- normalised feature name, for the timing rule
  feature_key text NOT NULL,
  branch_name text NOT NULL UNIQUE,
  schema_changes jsonb NOT NULL CHECK (jsonb_typeof(schema_changes) = 'array'),
  tables_affected jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tables_affected) = 'array'),
  estimated_duration_ms integer CHECK (estimated_duration_ms >= 0),
  risk_level text NOT NULL DEFAULT 'low' CHECK (risk_level IN ('low', 'medium', 'high')),
  status text NOT NULL DEFAULT 'registered'
    CHECK (status IN ('registered', 'in_progress', 'completed', 'merged', 'abandoned', 'conflicted')),
  conflicts_with jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(conflicts_with) = 'array'),
  metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  -- the detector's conflict keys (table:public.users, function:public.f, feature:x, ...)
  object_keys text[] NOT NULL DEFAULT '{}',
  -- what detection compares, parsed once at registration: the detector's
  -- objects, in the object model of model_version (0: not derived, as for a
  -- row inserted by hand; detection then parses schema_changes)
  objects jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(objects) = 'array'),
  model_version integer NOT NULL DEFAULT 0,
  -- millisecond precision: PLV8 hands timestamps to triggers as JS Dates
  created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
);

-- Candidates for conflict detection: active intents sharing a key.
CREATE INDEX tb_pggit_intent_active_keys_idx ON :PGGIT_SCHEMA.tb_pggit_intent USING gin (object_keys)
  WHERE status IN ('registered', 'in_progress', 'completed', 'conflicted');
CREATE INDEX tb_pggit_intent_status_idx ON :PGGIT_SCHEMA.tb_pggit_intent (status, seq);
CREATE INDEX tb_pggit_intent_agent_idx ON :PGGIT_SCHEMA.tb_pggit_intent (agent_id, seq);

CREATE TABLE :PGGIT_SCHEMA.tb_pggit_conflict (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- intent_a recorded the conflict when it registered; intent_b was there first
  intent_a text COLLATE "C" NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_intent (id),
  intent_b text COLLATE "C" NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_intent (id),
  conflict_type text NOT NULL CHECK (conflict_type IN ('table', 'column', 'function', 'index',
    'constraint', 'timing', 'dependency', 'view', 'type', 'sequence', 'trigger', 'policy',
    'schema', 'extension')),
  affected_objects jsonb NOT NULL CHECK (jsonb_typeof(affected_objects) = 'array'),
  severity text NOT NULL CHECK (severity IN ('warning', 'error')),
  -- advice addressed to intent_a's agent, and to intent_b's
  resolution_suggestions jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(resolution_suggestions) = 'array'),
  resolution_suggestions_b jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(resolution_suggestions_b) = 'array'),
  reviewed boolean NOT NULL DEFAULT false,
  reviewed_at timestamptz,
  reviewed_by text,
  resolution_notes text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (intent_a <> intent_b),
  CHECK (reviewed = (reviewed_at IS NOT NULL))
);
-- One report per pair and type, whichever side registered first.
CREATE UNIQUE INDEX tb_pggit_conflict_pair_type_idx ON :PGGIT_SCHEMA.tb_pggit_conflict
  (least(intent_a, intent_b), greatest(intent_a, intent_b), conflict_type);
CREATE INDEX tb_pggit_conflict_intent_a_idx ON :PGGIT_SCHEMA.tb_pggit_conflict (intent_a);
CREATE INDEX tb_pggit_conflict_intent_b_idx ON :PGGIT_SCHEMA.tb_pggit_conflict (intent_b);

-- What happened to a conflict after it was recorded: resolutions, re-openings,
-- severity changes. Append-only, like the intents' history.
CREATE TABLE :PGGIT_SCHEMA.tb_pggit_conflict_event (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conflict_id integer NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_conflict (id),
  event text NOT NULL CHECK (event IN ('resolved', 'reopened', 'auto_resolved')),
  old_severity text NOT NULL CHECK (old_severity IN ('warning', 'error')),
  new_severity text NOT NULL CHECK (new_severity IN ('warning', 'error')),
  notes text,
  -- the name given by the caller, and the role that made the call
  actor text NOT NULL,
  session_role text NOT NULL DEFAULT session_user,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tb_pggit_conflict_event_conflict_idx ON :PGGIT_SCHEMA.tb_pggit_conflict_event (conflict_id, id);

CREATE TABLE :PGGIT_SCHEMA.tb_pggit_intent_history (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  intent_id text COLLATE "C" NOT NULL REFERENCES :PGGIT_SCHEMA.tb_pggit_intent (id),
  old_status text,
  new_status text NOT NULL,
  reason text,
  changed_by text NOT NULL,
  session_role text NOT NULL DEFAULT session_user,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tb_pggit_intent_history_intent_idx ON :PGGIT_SCHEMA.tb_pggit_intent_history (intent_id, id);

-- Branch counters, keyed by the exact slug.
CREATE TABLE :PGGIT_SCHEMA.tb_pggit_branch_counter (
  slug text PRIMARY KEY,
  uses integer NOT NULL CHECK (uses > 0)
);

-- Installation settings, writable only by the owner. `version` and
-- `bundle_hash` are written by every install (the generated function SQL).
CREATE TABLE :PGGIT_SCHEMA.tb_pggit_settings (
  key text PRIMARY KEY CHECK (key IN ('bind_agent_identity', 'api_schema', 'version', 'bundle_hash')),
  value text NOT NULL,
  CHECK (key <> 'bind_agent_identity' OR value IN ('on', 'off'))
);
INSERT INTO :PGGIT_SCHEMA.tb_pggit_settings (key, value)
VALUES ('bind_agent_identity', 'off'), ('api_schema', ':PGGIT_API_SCHEMA');

-- "Open" means what it means in the registry: not reviewed, and both intents
-- still active. The counts come from one pass over the conflicts, not a
-- subquery per intent.
CREATE VIEW :PGGIT_API_SCHEMA.pggit_intents AS
SELECT i.id, i.agent_id, i.feature_name, i.branch_name, i.status, i.risk_level,
       i.estimated_duration_ms, i.tables_affected, i.conflicts_with,
       coalesce(o.open_conflicts, 0) AS open_conflicts,
       coalesce(o.open_errors, 0) AS open_errors,
       i.created_at, i.updated_at
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
      ) s
     GROUP BY s.intent
  ) o ON o.intent = i.id;

CREATE VIEW :PGGIT_API_SCHEMA.pggit_open_conflicts AS
SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
       c.intent_a, a.agent_id AS agent_a, a.feature_name AS feature_a, a.status AS status_a,
       c.intent_b, b.agent_id AS agent_b, b.feature_name AS feature_b, b.status AS status_b,
       c.resolution_suggestions, c.resolution_suggestions_b, c.created_at
  FROM :PGGIT_SCHEMA.tb_pggit_conflict c
  JOIN :PGGIT_SCHEMA.tb_pggit_intent a ON a.id = c.intent_a
  JOIN :PGGIT_SCHEMA.tb_pggit_intent b ON b.id = c.intent_b
 WHERE NOT c.reviewed
   AND a.status IN ('registered', 'in_progress', 'completed', 'conflicted')
   AND b.status IN ('registered', 'in_progress', 'completed', 'conflicted');

REVOKE ALL ON ALL TABLES IN SCHEMA :PGGIT_SCHEMA FROM PUBLIC;
REVOKE ALL ON :PGGIT_API_SCHEMA.pggit_intents, :PGGIT_API_SCHEMA.pggit_open_conflicts FROM PUBLIC;
GRANT SELECT ON :PGGIT_API_SCHEMA.pggit_intents, :PGGIT_API_SCHEMA.pggit_open_conflicts TO pggit_agent;
