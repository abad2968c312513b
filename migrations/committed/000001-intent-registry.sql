--! Previous: -
--! Hash: sha1:5656dfa6f26575d6782daf4cdc545604bb36174e
--! Message: intent registry

-- pggit's tables. Functions, triggers and grants come from the generated
-- migrations/generated/pggit-functions.sql, applied after every migrate.

-- PLV8: the real extension where the server has it, else our compatible
-- runtime (plv8/), which creates the same LANGUAGE plv8. Never both.
DO $plv8$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_language WHERE lanname = 'plv8') THEN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'plv8') THEN
      CREATE EXTENSION plv8;
    ELSIF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'plv8_compat') THEN
      CREATE EXTENSION plv8_compat;
    ELSE
      RAISE EXCEPTION 'pggit needs the PLV8 language, and this server has neither plv8 nor plv8_compat'
        USING ERRCODE = '0A000',
              HINT = 'install PLV8 (3.1 or later) on the server, or run scripts/local-db.sh for the bundled runtime';
    END IF;
  END IF;
END
$plv8$;

-- Agents get EXECUTE on the API and SELECT on the views, nothing else.
DO $role$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pggit_agent') THEN
    CREATE ROLE pggit_agent NOLOGIN;
  END IF;
END
$role$;

CREATE TABLE tb_pggit_intent (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
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
  -- millisecond precision: PLV8 hands timestamps to triggers as JS Dates
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

-- Candidates for conflict detection: active intents sharing a key.
CREATE INDEX tb_pggit_intent_active_keys_idx ON tb_pggit_intent USING gin (object_keys)
  WHERE status IN ('registered', 'in_progress', 'completed', 'conflicted');
CREATE INDEX tb_pggit_intent_status_idx ON tb_pggit_intent (status, created_at);
CREATE INDEX tb_pggit_intent_agent_idx ON tb_pggit_intent (agent_id, created_at);

CREATE TABLE tb_pggit_conflict (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  intent_a text NOT NULL REFERENCES tb_pggit_intent (id),
  intent_b text NOT NULL REFERENCES tb_pggit_intent (id),
  conflict_type text NOT NULL CHECK (conflict_type IN ('table', 'column', 'function', 'index',
    'constraint', 'timing', 'dependency', 'view', 'type', 'sequence', 'trigger', 'policy',
    'schema', 'extension')),
  affected_objects jsonb NOT NULL CHECK (jsonb_typeof(affected_objects) = 'array'),
  severity text NOT NULL CHECK (severity IN ('warning', 'error')),
  resolution_suggestions jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(resolution_suggestions) = 'array'),
  reviewed boolean NOT NULL DEFAULT false,
  reviewed_at timestamptz,
  reviewed_by text,
  resolution_notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (intent_a <> intent_b),
  CHECK (reviewed = (reviewed_at IS NOT NULL))
);
-- One report per pair and type, whichever side registered first.
CREATE UNIQUE INDEX tb_pggit_conflict_pair_type_idx ON tb_pggit_conflict
  (least(intent_a, intent_b), greatest(intent_a, intent_b), conflict_type);
CREATE INDEX tb_pggit_conflict_intent_a_idx ON tb_pggit_conflict (intent_a);
CREATE INDEX tb_pggit_conflict_intent_b_idx ON tb_pggit_conflict (intent_b);

CREATE TABLE tb_pggit_intent_history (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  intent_id text NOT NULL REFERENCES tb_pggit_intent (id),
  old_status text,
  new_status text NOT NULL,
  reason text,
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tb_pggit_intent_history_intent_idx ON tb_pggit_intent_history (intent_id, id);

-- Branch counters, keyed by the exact slug.
CREATE TABLE tb_pggit_branch_counter (
  slug text PRIMARY KEY,
  uses integer NOT NULL CHECK (uses > 0)
);

-- Installation settings, writable only by the owner.
CREATE TABLE tb_pggit_settings (
  key text PRIMARY KEY CHECK (key IN ('bind_agent_identity')),
  value text NOT NULL,
  CHECK (key <> 'bind_agent_identity' OR value IN ('on', 'off'))
);
INSERT INTO tb_pggit_settings (key, value) VALUES ('bind_agent_identity', 'off');

CREATE VIEW pggit_intents AS
SELECT i.id, i.agent_id, i.feature_name, i.branch_name, i.status, i.risk_level,
       i.estimated_duration_ms, i.tables_affected, i.conflicts_with,
       (SELECT count(*)::int FROM tb_pggit_conflict c
         WHERE (c.intent_a = i.id OR c.intent_b = i.id) AND NOT c.reviewed) AS open_conflicts,
       (SELECT count(*)::int FROM tb_pggit_conflict c
         WHERE (c.intent_a = i.id OR c.intent_b = i.id) AND NOT c.reviewed
           AND c.severity = 'error') AS open_errors,
       i.created_at, i.updated_at
  FROM tb_pggit_intent i;

CREATE VIEW pggit_open_conflicts AS
SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
       c.intent_a, a.agent_id AS agent_a, a.feature_name AS feature_a, a.status AS status_a,
       c.intent_b, b.agent_id AS agent_b, b.feature_name AS feature_b, b.status AS status_b,
       c.resolution_suggestions, c.created_at
  FROM tb_pggit_conflict c
  JOIN tb_pggit_intent a ON a.id = c.intent_a
  JOIN tb_pggit_intent b ON b.id = c.intent_b
 WHERE NOT c.reviewed;

REVOKE ALL ON tb_pggit_intent, tb_pggit_conflict, tb_pggit_intent_history,
  tb_pggit_branch_counter, tb_pggit_settings FROM PUBLIC;
GRANT SELECT ON pggit_intents, pggit_open_conflicts TO pggit_agent;
