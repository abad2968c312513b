--! Previous: sha1:5aa5af10986ba76f26288dd60a04eee8a4046714
--! Hash: sha1:a579de8e7302c4cb2e0ffad62813cfaca5d391e6
--! Message: drift guard: findings and applied intents

-- The drift guard: DDL actually executed in this database, compared with the
-- active intents. Event triggers (created by the install when it runs as a
-- superuser: only a superuser may create them) hand each command to pggit;
-- what no active intent of the executing agent declared is a finding.

CREATE TABLE :PGGIT_SCHEMA.tb_pggit_drift (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- who ran it: pggit.agent_id of the session, else the session user
  agent_id text NOT NULL,
  session_role text NOT NULL DEFAULT session_user,
  command_tag text NOT NULL,
  -- undeclared: no active intent of this agent declared these objects;
  -- foreign: another agent's active intent did (graver)
  finding text NOT NULL CHECK (finding IN ('undeclared', 'foreign')),
  mode text NOT NULL CHECK (mode IN ('warn', 'enforce')),
  objects jsonb NOT NULL CHECK (jsonb_typeof(objects) = 'array'),
  statement text NOT NULL,
  -- the agent's own active intents that declared part of the command, and
  -- other agents' active intents that touch what it did not declare
  own_intents jsonb NOT NULL DEFAULT '[]',
  other_intents jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX tb_pggit_drift_at_idx ON :PGGIT_SCHEMA.tb_pggit_drift (at);
CREATE INDEX tb_pggit_drift_agent_idx ON :PGGIT_SCHEMA.tb_pggit_drift (agent_id, at);
REVOKE ALL ON :PGGIT_SCHEMA.tb_pggit_drift FROM PUBLIC;

-- An intent is "applied" once every object it declared has been seen
-- executed by its agent: applied_objects collects them, applied_at says when
-- the last one came. pggit never changes the status for it: completed and
-- merged stay the agent's word.
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_intent
  ADD COLUMN applied_objects jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(applied_objects) = 'array'),
  ADD COLUMN applied_at timestamptz;

ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings DROP CONSTRAINT tb_pggit_settings_key_check;
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_key_check
  CHECK (key IN ('bind_agent_identity', 'api_schema', 'version', 'bundle_hash',
                 'lease_seconds', 'clock_override', 'drift_mode'));
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_settings ADD CONSTRAINT tb_pggit_settings_drift_check
  CHECK (key <> 'drift_mode' OR value IN ('off', 'warn', 'enforce'));
INSERT INTO :PGGIT_SCHEMA.tb_pggit_settings (key, value) VALUES ('drift_mode', 'warn');
