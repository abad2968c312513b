/**
 * Moving an intent along its lifecycle (pggit_mark_*), and releasing the
 * intents a finished one held back. The rules themselves live in the guard
 * trigger (triggers.ts), so that direct SQL obeys them too; here we only say
 * who and why, and do what leaving the active set implies.
 *
 * Locks, in the one order of sql.ts: the stripes of the intent's keys (so a
 * registration that shares an object with it is never halfway through when
 * it merges or is abandoned), then the intent and, when it leaves the active
 * set, the other sides of its open conflicts, in id order.
 */
import type { Registry } from './context.js';
import { wrongState } from './errors.js';
import { actor, checkAgent } from './identity.js';
import { isActive, type Status } from './lifecycle.js';
import { lockKeys } from './register.js';
import type { IntentRow } from './rows.js';
import * as v from './validate.js';

type Locked = Pick<IntentRow, 'id' | 'agent_id' | 'feature_name' | 'status'> & {
  expired: boolean;
  lease_expires_at: string;
};

/**
 * The conflicted intents among `ids` (locked by the caller) that have no
 * open conflict left return to registered. Clears what the caller said for
 * the history, which ends its write.
 */
export function releaseIfClear(r: Registry, ids: string[], reason: string, by: string): void {
  if (ids.length > 0) {
    r.db.execute(r.sql.setAudit, [reason, by]);
    r.db.execute(r.sql.release, [ids]);
  }
  r.db.execute(r.sql.setAudit, ['', '']);
}

function transition(r: Registry, to: Status, idArg: unknown, reasonArg: unknown, byArg: unknown) {
  const reason = v.optionalText('reason', reasonArg, v.LIMITS.note);
  const byGiven = v.optionalText('changed_by', byArg, v.LIMITS.name);
  const { id, keys } = r.row<{ id: string; keys: string[] }>(r.sql.intentKeys, [
    idArg ?? null,
    'intent_id',
  ]) as { id: string; keys: string[] };
  const s = lockKeys(r, keys, { reason, by: byGiven });
  const by = actor(s, 'changed_by', byGiven);
  const leaving = to === 'merged' || to === 'abandoned';
  const locked = r.rows<Locked>(r.sql.lockIntents, [id, leaving]);
  const intent = locked.find((x) => x.id === id) as Locked;
  checkAgent(s, intent.agent_id);
  if (intent.status === to) {
    throw wrongState(`cannot move intent ${intent.id} from ${to} to ${to}: it is already ${to}`);
  }
  if (intent.expired && isActive(to)) {
    // it stopped counting for detection when its lease ran out: intents
    // registered since never saw it, so it may not come back to life
    throw wrongState(
      `cannot move intent ${intent.id} to ${to}: its lease expired at ${intent.lease_expires_at}`,
      { hint: 'register the change again, or abandon this intent (pggit_sweep does it too)' },
    );
  }
  r.db.execute(r.sql.setStatus, [intent.id, to]);
  if (leaving) {
    const who = `intent ${intent.id} (${intent.agent_id}, "${intent.feature_name}")`;
    // Abandoning resolves the intent's open conflicts with a note; merging
    // leaves them as they are (they stop counting once this side is merged).
    if (to === 'abandoned') {
      r.db.execute(r.sql.autoResolve, [intent.id, `auto-resolved: ${who} was abandoned`]);
    }
    releaseIfClear(
      r,
      locked.filter((x) => x.id !== id).map((x) => x.id),
      `conflicting ${who} was ${to}`,
      by,
    );
  } else {
    r.db.execute(r.sql.setAudit, ['', '']);
  }
  // The SQL API function returns the intent itself, read in SQL (exact values).
  return { id: intent.id };
}

export const markInProgress = (r: Registry, id: unknown, reason: unknown, by: unknown) =>
  transition(r, 'in_progress', id, reason, by);
export const markCompleted = (r: Registry, id: unknown, reason: unknown, by: unknown) =>
  transition(r, 'completed', id, reason, by);
export const markMerged = (r: Registry, id: unknown, reason: unknown, by: unknown) =>
  transition(r, 'merged', id, reason, by);
export const markAbandoned = (r: Registry, id: unknown, reason: unknown, by: unknown) =>
  transition(r, 'abandoned', id, reason, by);
