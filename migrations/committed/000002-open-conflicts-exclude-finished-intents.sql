--! Previous: sha1:5656dfa6f26575d6782daf4cdc545604bb36174e
--! Hash: sha1:e4b0526485e5797dc40c046c498203ca73ab4dc9
--! Message: open conflicts exclude finished intents

-- "Open" means the same in the views as in the registry: not reviewed, and
-- both intents still active. A conflict with an intent that has merged or
-- been abandoned no longer blocks anyone, so it no longer counts as open.
CREATE OR REPLACE VIEW pggit_intents AS
SELECT i.id, i.agent_id, i.feature_name, i.branch_name, i.status, i.risk_level,
       i.estimated_duration_ms, i.tables_affected, i.conflicts_with,
       (SELECT count(*)::int FROM tb_pggit_conflict c
          JOIN tb_pggit_intent a ON a.id = c.intent_a
          JOIN tb_pggit_intent b ON b.id = c.intent_b
         WHERE (c.intent_a = i.id OR c.intent_b = i.id) AND NOT c.reviewed
           AND a.status IN ('registered', 'in_progress', 'completed', 'conflicted')
           AND b.status IN ('registered', 'in_progress', 'completed', 'conflicted')) AS open_conflicts,
       (SELECT count(*)::int FROM tb_pggit_conflict c
          JOIN tb_pggit_intent a ON a.id = c.intent_a
          JOIN tb_pggit_intent b ON b.id = c.intent_b
         WHERE (c.intent_a = i.id OR c.intent_b = i.id) AND NOT c.reviewed AND c.severity = 'error'
           AND a.status IN ('registered', 'in_progress', 'completed', 'conflicted')
           AND b.status IN ('registered', 'in_progress', 'completed', 'conflicted')) AS open_errors,
       i.created_at, i.updated_at
  FROM tb_pggit_intent i;

CREATE OR REPLACE VIEW pggit_open_conflicts AS
SELECT c.id, c.conflict_type, c.severity, c.affected_objects,
       c.intent_a, a.agent_id AS agent_a, a.feature_name AS feature_a, a.status AS status_a,
       c.intent_b, b.agent_id AS agent_b, b.feature_name AS feature_b, b.status AS status_b,
       c.resolution_suggestions, c.created_at
  FROM tb_pggit_conflict c
  JOIN tb_pggit_intent a ON a.id = c.intent_a
  JOIN tb_pggit_intent b ON b.id = c.intent_b
 WHERE NOT c.reviewed
   AND a.status IN ('registered', 'in_progress', 'completed', 'conflicted')
   AND b.status IN ('registered', 'in_progress', 'completed', 'conflicted');
