/**
 * The registry's invariants, checked from SQL after storms, faults and
 * hostile input. Each returns the offending rows; all empty means consistent.
 */
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

const CHECKS: Record<string, string> = {
  // (both sides of a conflict see it: conflicts_with is derived from the
  // conflict rows, so there is no stored copy left to disagree)
  // the history, replayed, gives the current status: a first row from NULL,
  // each row starting where the previous ended, the last one at the status
  'history replays to the status': `
    WITH h AS (
      SELECT h.intent_id, h.old_status, h.new_status,
             lag(h.new_status) OVER w AS prev, row_number() OVER w AS n,
             count(*) OVER (PARTITION BY h.intent_id) AS total
        FROM pggit.tb_pggit_intent_history h
      WINDOW w AS (PARTITION BY h.intent_id ORDER BY h.id))
    SELECT i.id, i.status, 'no history' AS problem FROM pggit.tb_pggit_intent i
     WHERE NOT EXISTS (SELECT 1 FROM h WHERE h.intent_id = i.id)
    UNION ALL
    SELECT h.intent_id, h.new_status, 'broken link' FROM h
     WHERE (h.n = 1 AND h.old_status IS NOT NULL) OR (h.n > 1 AND h.old_status IS DISTINCT FROM h.prev)
        OR h.old_status = h.new_status
    UNION ALL
    SELECT h.intent_id, h.new_status, 'ends elsewhere' FROM h JOIN pggit.tb_pggit_intent i ON i.id = h.intent_id
     WHERE h.n = h.total AND h.new_status <> i.status`,
  // a conflicted intent is held back by at least one open conflict of its own
  'every conflicted intent has an open conflict': `
    SELECT i.id FROM pggit.tb_pggit_intent i
     WHERE i.status = 'conflicted'
       AND NOT EXISTS (
         SELECT 1 FROM pggit.tb_pggit_conflict c JOIN pggit.tb_pggit_intent o ON o.id = c.intent_b
          WHERE c.intent_a = i.id AND NOT c.reviewed
            AND o.status IN ('registered', 'in_progress', 'completed', 'conflicted'))`,
  'a resolved conflict says who, when and why': `
    SELECT c.id FROM pggit.tb_pggit_conflict c
     WHERE c.reviewed AND (c.reviewed_by IS NULL OR c.resolution_notes IS NULL
       OR NOT EXISTS (SELECT 1 FROM pggit.tb_pggit_conflict_event e WHERE e.conflict_id = c.id))`,
  'branches are unique': `
    SELECT branch_name FROM pggit.tb_pggit_intent GROUP BY 1 HAVING count(*) > 1`,
  'one conflict per pair and type': `
    SELECT least(intent_a, intent_b), greatest(intent_a, intent_b), conflict_type
      FROM pggit.tb_pggit_conflict GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  'no conflict with oneself or within one agent': `
    SELECT c.id FROM pggit.tb_pggit_conflict c
      JOIN pggit.tb_pggit_intent a ON a.id = c.intent_a
      JOIN pggit.tb_pggit_intent b ON b.id = c.intent_b
     WHERE a.agent_id = b.agent_id`,
  // the newcomer recorded the conflict: it registered after the other
  'intent_a came second': `
    SELECT c.id FROM pggit.tb_pggit_conflict c
      JOIN pggit.tb_pggit_intent a ON a.id = c.intent_a
      JOIN pggit.tb_pggit_intent b ON b.id = c.intent_b
     WHERE a.seq < b.seq`,
  'branch counters cover every branch': `
    SELECT i.branch_name FROM pggit.tb_pggit_intent i
     WHERE NOT EXISTS (SELECT 1 FROM pggit.tb_pggit_branch_counter b
                        WHERE i.branch_name = 'feature/' || b.slug
                           OR i.branch_name LIKE 'feature/' || replace(replace(b.slug, '_', '\\_'), '%', '\\%') || '\\_%')`,
};

/** Every broken invariant, with its offending rows (empty when all hold). */
export async function brokenInvariants(db: Queryable): Promise<Record<string, unknown[]>> {
  const broken: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(CHECKS)) {
    const r = await db.query(sql);
    if (r.rows.length > 0) broken[name] = r.rows.slice(0, 5);
  }
  return broken;
}
