/**
 * Resolving and re-opening conflicts (pggit_resolve_conflict,
 * pggit_reopen_conflict). Each is logged in tb_pggit_conflict_event, with the
 * severity before and after: the reference promises that severity "can be
 * manually adjusted during resolution", and we audit it.
 *
 * Locks, in the one order of sql.ts: the stripes of both intents' keys, both
 * intents in id order, then the conflict.
 */
import type { Registry } from './context.js';
import { forbidden, notFound, wrongState } from './errors.js';
import { actor, bound, type Session } from './identity.js';
import type { Status } from './lifecycle.js';
import { lockKeys } from './register.js';
import type { ConflictRow } from './rows.js';
import { releaseIfClear } from './transitions.js';
import * as v from './validate.js';

interface Party {
  id: string;
  agent_id: string;
  status: Status;
}

/** Locks what a conflict's resolution touches; with binding on, only its two agents may act. */
function lockConflict(r: Registry, id: number, byArg: string, given: string | null) {
  const k = r.row<{ intent_a: string; intent_b: string; keys: string[] }>(r.sql.conflictKeys, [id]);
  if (k === undefined) throw notFound(`conflict ${id} does not exist`);
  const s: Session = lockKeys(r, k.keys);
  const by = actor(s, byArg, given);
  const parties = r.rows<Party>(r.sql.lockPair, [k.intent_a, k.intent_b]);
  const a = parties.find((p) => p.id === k.intent_a) as Party;
  const b = parties.find((p) => p.id === k.intent_b) as Party;
  if (bound(s) && s.session_user !== a.agent_id && s.session_user !== b.agent_id) {
    throw forbidden(
      `conflict ${id} is between ${a.agent_id} and ${b.agent_id}; "${s.session_user}" is neither`,
      'bind_agent_identity is on: only the agents of the two intents may resolve their conflict',
    );
  }
  const c = (r.row<{ j: ConflictRow }>(r.sql.conflictForUpdate, [id]) as { j: ConflictRow }).j;
  return { c, a, by };
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
  const { c, by } = lockConflict(r, id, 'reviewed_by', given);
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
  const { c, a, by } = lockConflict(r, id, 'reopened_by', given);
  if (!c.reviewed) throw wrongState(`conflict ${id} is not resolved: it is open already`);
  const reopened = (r.row<{ j: ConflictRow }>(r.sql.reopen, [id]) as { j: ConflictRow }).j;
  r.db.execute(r.sql.logConflictEvent, [id, 'reopened', c.severity, c.severity, reason, by]);
  // The intent that recorded the conflict is held back by it again, if it is
  // still waiting to start and the other side is still active.
  if (a.status === 'registered' && r.row<{ open: boolean }>(r.sql.hasOpenConflict, [a.id])?.open) {
    r.db.execute(r.sql.setAudit, [`conflict ${id} re-opened: ${reason}`, by]);
    r.db.execute(r.sql.setStatus, [a.id, 'conflicted']);
    r.db.execute(r.sql.setAudit, ['', '']);
  }
  return reopened;
}
