--! Previous: sha1:9f81eb57e40c8e19e7ca6db9e85a6bcfb59de7ee
--! Hash: sha1:c55abdc39be30748c42439b0e173b40d43f83983
--! Message: hash chains over the history and the conflict log

-- Tamper evidence: the history of each intent, and the log of each conflict,
-- become hash chains. A row's hash covers its content and the previous row's
-- hash; an intent's first row links to a hash of the intent's identity, a
-- conflict's first event to one of the conflict's. pggit_verify() recomputes
-- every chain and reports the first broken link, and a digest of all chain
-- heads to keep elsewhere. A role that owns pggit's tables can still disable
-- triggers and rewrite rows; what it can no longer do is leave no trace short
-- of recomputing every later hash, which a digest kept elsewhere reveals.

-- Timestamps enter the hash in UTC, whatever the session's TimeZone.
CREATE FUNCTION :PGGIT_SCHEMA.utc_text(t timestamptz) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE FUNCTION :PGGIT_SCHEMA.chain_hash(prev text, content jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT encode(sha256(convert_to(coalesce(prev, '') || '|' || content::text, 'UTF8')), 'hex') $$;

CREATE FUNCTION :PGGIT_SCHEMA.intent_anchor(i :PGGIT_SCHEMA.tb_pggit_intent) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT :PGGIT_SCHEMA.chain_hash(NULL, jsonb_build_array('intent', i.id, i.agent_id,
          i.feature_name, i.branch_name, :PGGIT_SCHEMA.utc_text(i.created_at))) $$;

CREATE FUNCTION :PGGIT_SCHEMA.history_content(h :PGGIT_SCHEMA.tb_pggit_intent_history) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT jsonb_build_array(h.id, h.intent_id, h.old_status, h.new_status, h.reason,
          h.changed_by, h.session_role, :PGGIT_SCHEMA.utc_text(h.changed_at)) $$;

CREATE FUNCTION :PGGIT_SCHEMA.conflict_anchor(c :PGGIT_SCHEMA.tb_pggit_conflict) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT :PGGIT_SCHEMA.chain_hash(NULL, jsonb_build_array('conflict', c.id, c.intent_a,
          c.intent_b, c.conflict_type, :PGGIT_SCHEMA.utc_text(c.created_at))) $$;

CREATE FUNCTION :PGGIT_SCHEMA.event_content(e :PGGIT_SCHEMA.tb_pggit_conflict_event) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT jsonb_build_array(e.id, e.conflict_id, e.event, e.old_severity, e.new_severity,
          e.notes, e.actor, e.session_role, :PGGIT_SCHEMA.utc_text(e.at)) $$;

-- Every row gets its links from the chain triggers (generated function SQL).
-- pggit had no release before this migration, so no history predates it.
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_intent_history
  ADD COLUMN prev_hash text NOT NULL, ADD COLUMN hash text NOT NULL;
ALTER TABLE :PGGIT_SCHEMA.tb_pggit_conflict_event
  ADD COLUMN prev_hash text NOT NULL, ADD COLUMN hash text NOT NULL;

REVOKE ALL ON FUNCTION :PGGIT_SCHEMA.utc_text(timestamptz), :PGGIT_SCHEMA.chain_hash(text, jsonb),
  :PGGIT_SCHEMA.intent_anchor(:PGGIT_SCHEMA.tb_pggit_intent),
  :PGGIT_SCHEMA.history_content(:PGGIT_SCHEMA.tb_pggit_intent_history),
  :PGGIT_SCHEMA.conflict_anchor(:PGGIT_SCHEMA.tb_pggit_conflict),
  :PGGIT_SCHEMA.event_content(:PGGIT_SCHEMA.tb_pggit_conflict_event) FROM PUBLIC;
