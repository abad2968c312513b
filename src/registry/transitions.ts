/**
 * Moving an intent along its lifecycle (pggit_mark_*), and releasing the
 * intents a finished one held back. The rules themselves live in the guard
 * trigger (triggers.ts), so that direct SQL obeys them too; here we only say
 * who and why, and do what leaving the active set implies.
 */
import type { Registry } from './context.js';
import { wrongState } from './errors.js';
import { actor, checkAgent, session } from './identity.js';
import { intentId } from './ids.js';
import type { Status } from './lifecycle.js';
import { lockKeys } from './register.js';
import type { IntentRow } from './rows.js';
import * as v from './validate.js';

/**
 * A conflicted intent whose conflicts are all resolved, or whose other sides
 * are all merged or abandoned, returns to registered.
 */
export function releaseIfClear(r: Registry, intentIds: string[], reason: string, by: string): void {
  if (intentIds.length === 0) return;
  // Lock the conflicted intents first, then look at their conflicts in a new
  // statement (a fresh READ COMMITTED snapshot). Two transactions that each
  // clear one of an intent's last conflicts (a resolution and a merge, say)
  // thus take turns, and the second sees the first's change; checking in the
  // locking statement itself would let both see the other's conflict open.
  const locked = r.rows<{ id: string }>(r.sql.lockConflicted, [intentIds]);
  let audited = false;
  for (const { id } of locked) {
    if (!r.row<{ clear: boolean }>(r.sql.isClear, [id])?.clear) continue;
    if (!audited) r.db.execute(r.sql.setAudit, [reason, by]);
    audited = true;
    r.db.execute(r.sql.setStatus, [id, 'registered']);
  }
  if (audited) r.db.execute(r.sql.setAudit, ['', '']);
}

function transition(r: Registry, to: Status, idArg: unknown, reasonArg: unknown, byArg: unknown) {
  const reason = v.optionalText('reason', reasonArg, v.LIMITS.note);
  const byGiven = v.optionalText('changed_by', byArg, v.LIMITS.name);
  const id = intentId(r, idArg);
  const s = session(r);
  const by = actor(s, 'changed_by', byGiven);
  if (to === 'merged' || to === 'abandoned') {
    // Leaving the active set: first wait for registrations that share an
    // object with this intent (they hold its keys' locks), so that a conflict
    // one of them is recording right now is seen and released below. Key
    // locks before row locks, in the same order as pggit_register.
    const keys = r.row<{ k: string[] }>(r.sql.intentKeys, [id]);
    if (keys !== undefined) lockKeys(r, keys.k);
  }
  const intent = r.row<Pick<IntentRow, 'id' | 'agent_id' | 'feature_name' | 'status'>>(
    r.sql.intentForUpdate,
    [id],
  ) as Pick<IntentRow, 'id' | 'agent_id' | 'feature_name' | 'status'>;
  checkAgent(s, intent.agent_id);
  if (intent.status === to) {
    throw wrongState(`cannot move intent ${intent.id} from ${to} to ${to}: it is already ${to}`);
  }
  r.db.execute(r.sql.setAudit, [reason ?? '', by]);
  r.db.execute(r.sql.setStatus, [intent.id, to]);
  r.db.execute(r.sql.setAudit, ['', '']);
  if (to === 'abandoned' || to === 'merged') {
    const who = `intent ${intent.id} (${intent.agent_id}, "${intent.feature_name}")`;
    // Abandoning resolves the intent's open conflicts with a note; merging
    // leaves them as they are (they stop counting once this side is merged).
    const others =
      to === 'abandoned'
        ? r.rows<{ other: string }>(r.sql.autoResolve, [
            intent.id,
            `auto-resolved: ${who} was abandoned`,
          ])
        : r.rows<{ other: string }>(r.sql.otherSides, [intent.id]);
    releaseIfClear(r, [...new Set(others.map((o) => o.other))], `conflicting ${who} was ${to}`, by);
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
