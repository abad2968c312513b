/**
 * Resolving and re-opening conflicts (pggit_resolve_conflict,
 * pggit_reopen_conflict). Each is logged in tb_pggit_conflict_event, with the
 * severity before and after: the reference promises that severity "can be
 * manually adjusted during resolution", and we audit it.
 */
import type { Registry } from './context.js';
import { forbidden, notFound, wrongState } from './errors.js';
import { actor, bound, type Session, session } from './identity.js';
import type { Status } from './lifecycle.js';
import type { ConflictRow } from './rows.js';
import { releaseIfClear } from './transitions.js';
import * as v from './validate.js';

function lockConflict(r: Registry, id: number): ConflictRow {
  const c = r.row<{ j: ConflictRow }>(r.sql.conflictForUpdate, [id]);
  if (c === undefined) throw notFound(`conflict ${id} does not exist`);
  return c.j;
}

/** With binding on, only the agents of the two intents may resolve or re-open their conflict. */
function checkParty(r: Registry, s: Session, c: ConflictRow): void {
  if (!bound(s)) return;
  const p = r.row<{ agent_a: string; agent_b: string }>(r.sql.conflictParties, [
    c.intent_a,
    c.intent_b,
  ]);
  if (p !== undefined && s.session_user !== p.agent_a && s.session_user !== p.agent_b) {
    throw forbidden(
      `conflict ${c.id} is between ${p.agent_a} and ${p.agent_b}; "${s.session_user}" is neither`,
      'bind_agent_identity is on: only the agents of the two intents may resolve their conflict',
    );
  }
}

export function resolveConflict(
  r: Registry,
  idArg: unknown,
  notesArg: unknown,
  byArg: unknown,
  severityArg: unknown,
) {
  const id = v.conflictId(idArg);
  const notes = v.requiredText('resolution_notes', notesArg, v.LIMITS.note);
  const given = v.optionalText('reviewed_by', byArg, v.LIMITS.name);
  const severity = v.severity('severity', severityArg);
  const s = session(r);
  const by = actor(s, 'reviewed_by', given);
  const c = lockConflict(r, id);
  checkParty(r, s, c);
  if (c.reviewed) {
    throw wrongState(
      `conflict ${id} is already resolved (by ${c.reviewed_by} at ${c.reviewed_at})`,
      {
        detail: `resolution notes: ${c.resolution_notes ?? ''}`,
        hint: 're-open it with pggit_reopen_conflict first to resolve it again',
      },
    );
  }
  const resolved = (
    r.row<{ j: ConflictRow }>(r.sql.resolve, [id, notes, by, severity ?? c.severity]) as {
      j: ConflictRow;
    }
  ).j;
  r.db.execute(r.sql.logConflictEvent, [id, 'resolved', c.severity, resolved.severity, notes, by]);
  releaseIfClear(r, [c.intent_a, c.intent_b], `all conflicts resolved (last: conflict ${id})`, by);
  return resolved;
}

export function reopenConflict(r: Registry, idArg: unknown, reasonArg: unknown, byArg: unknown) {
  const id = v.conflictId(idArg);
  const reason = v.requiredText('reason', reasonArg, v.LIMITS.note);
  const given = v.optionalText('reopened_by', byArg, v.LIMITS.name);
  const s = session(r);
  const by = actor(s, 'reopened_by', given);
  const c = lockConflict(r, id);
  checkParty(r, s, c);
  if (!c.reviewed) throw wrongState(`conflict ${id} is not resolved: it is open already`);
  const reopened = (r.row<{ j: ConflictRow }>(r.sql.reopen, [id]) as { j: ConflictRow }).j;
  r.db.execute(r.sql.logConflictEvent, [id, 'reopened', c.severity, c.severity, reason, by]);
  // The intent that recorded the conflict is held back by it again, if it is
  // still waiting to start and the other side is still active.
  const p = r.row<{ status_a: Status }>(r.sql.conflictParties, [c.intent_a, c.intent_b]);
  if (p?.status_a === 'registered' && r.row(r.sql.openConflicts, [c.intent_a]) !== undefined) {
    r.db.execute(r.sql.setAudit, [`conflict ${id} re-opened: ${reason}`, by]);
    r.db.execute(r.sql.setStatus, [c.intent_a, 'conflicted']);
    r.db.execute(r.sql.setAudit, ['', '']);
  }
  return reopened;
}
