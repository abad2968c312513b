/**
 * Reviews (pggit_review): the reference's PENDING_REVIEW -> APPROVED /
 * REJECTED workflow, audited in tb_pggit_review (append-only; the latest
 * decision counts).
 *
 * - An owner rule's review (rule_id): by the rule's owner (or a member of
 *   the owning role). Until it approves, the intent may not start.
 * - The review gate (rule_id NULL; the review_gate setting): by anyone but
 *   the intent's agent. Until one approves, completed -> merged is refused.
 */
import type { Registry } from './context.js';
import { forbidden, invalidArgument, notFound, wrongState } from './errors.js';
import { actor } from './identity.js';
import { isActive, type Status } from './lifecycle.js';
import { lockKeys } from './register.js';
import { isOwner } from './rules.js';
import * as v from './validate.js';

interface Locked {
  id: string;
  agent_id: string;
  status: Status;
}

export function review(
  r: Registry,
  idArg: unknown,
  decisionArg: unknown,
  notesArg: unknown,
  reviewerArg: unknown,
  ruleArg: unknown,
) {
  if (decisionArg !== 'approved' && decisionArg !== 'rejected') {
    throw invalidArgument(
      `decision must be approved or rejected, not ${JSON.stringify(decisionArg)}`,
    );
  }
  const notes = v.optionalText('notes', notesArg, v.LIMITS.note);
  const given = v.optionalText('reviewer', reviewerArg, v.LIMITS.name);
  const rule = ruleArg === null || ruleArg === undefined ? null : v.conflictId(ruleArg, 'rule_id');
  const { id, keys } = r.row<{ id: string; keys: string[] }>(r.sql.intentKeys, [
    idArg ?? null,
    'intent_id',
  ]) as { id: string; keys: string[] };
  const s = lockKeys(r, keys);
  const reviewer = actor(s, 'reviewer', given);
  const intent = r.rows<Locked>(r.sql.lockIntents, [id, false])[0] as Locked;
  if (!isActive(intent.status)) {
    throw wrongState(`intent ${id} is ${intent.status}: there is nothing left to review`);
  }
  if (rule === null) {
    if (reviewer === intent.agent_id) {
      throw forbidden(
        `${reviewer} wrote intent ${id}: the review gate needs a decision by someone else`,
        'ask another agent or a person to review it',
      );
    }
  } else {
    const required = r.row<{ owner: string }>(r.sql.requiredReview, [id, rule]);
    if (required === undefined) throw notFound(`rule ${rule} requires no review of intent ${id}`);
    if (!isOwner(r, reviewer, required.owner)) {
      throw forbidden(
        `rule ${rule} gives ${required.owner} the review of intent ${id}; ${reviewer} is not ${required.owner}`,
        'the owner of the objects reviews changes to them',
      );
    }
  }
  r.db.execute(r.sql.insertReview, [id, rule, decisionArg, reviewer, notes]);
  return (r.row<{ j: unknown }>(r.sql.reviewState, [id]) as { j: unknown }).j;
}
