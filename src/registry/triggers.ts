/**
 * The lifecycle rules the guard trigger applies (sql.ts, intentGuardFn, a
 * PL/pgSQL trigger that hands over only the id and the two statuses, so no
 * row goes through JS). They hold for API calls and direct SQL alike.
 */

import type { Registry } from './context.js';
import { wrongState } from './errors.js';
import { allowedTransitions, canTransition, isStatus, type Status } from './lifecycle.js';

interface OpenConflict {
  id: number;
  conflict_type: string;
  severity: string;
  affected_objects: string[];
  other_id: string;
  other_agent: string;
  other_feature: string;
}

const describe = (c: OpenConflict) =>
  `conflict ${c.id}: ${c.severity} ${c.conflict_type} on ${c.affected_objects.join(', ')} with ${c.other_agent} ("${c.other_feature}", intent ${c.other_id})`;

/** Refuses (55000) a status change the lifecycle forbids. */
export function checkTransition(r: Registry, id: unknown, fromArg: unknown, toArg: unknown): void {
  const from = fromArg as Status;
  const to = toArg as Status;
  if (!isStatus(to)) return; // the table's CHECK names the bad value
  if (!canTransition(from, to)) {
    const allowed = allowedTransitions(from).filter((s) => s !== 'conflicted');
    throw wrongState(`cannot move intent ${id} from ${from} to ${to}`, {
      hint:
        allowed.length === 0
          ? `${from} is final`
          : `from ${from} an intent may move to ${allowed.join(' or ')}`,
    });
  }
  if (to === 'in_progress') {
    // objects an owner protects: the owner's approval first
    const pending = r.rows<{
      rule_id: number;
      owner: string;
      objects: string[];
      decision: string | null;
    }>(r.sql.pendingReviews, [id]);
    if (pending.length > 0) {
      throw wrongState(
        `cannot move intent ${id} to in_progress: ${pending.length} owner review(s) missing`,
        {
          detail: pending
            .map(
              (p) =>
                `rule ${p.rule_id}: ${p.owner} owns ${p.objects.join(', ')}${p.decision === 'rejected' ? ' (rejected)' : ''}`,
            )
            .join('\n'),
          hint: "the owner approves with pggit_review(intent_id, 'approved', rule_id => ...)",
        },
      );
    }
  }
  if (from === 'completed' && to === 'merged') {
    const gate = r.row<{
      enabled: boolean;
      latest: { decision: string; reviewer: string; notes: string | null } | null;
    }>(r.sql.gate, [id]) as {
      enabled: boolean;
      latest: { decision: string; reviewer: string; notes: string | null } | null;
    };
    if (gate.enabled && gate.latest?.decision !== 'approved') {
      throw wrongState(
        gate.latest === null
          ? `cannot merge intent ${id}: the review gate needs an approval by someone other than its agent`
          : `cannot merge intent ${id}: ${gate.latest.reviewer} rejected it${gate.latest.notes ? ` (${gate.latest.notes})` : ''}`,
        { hint: "a reviewer approves with pggit_review(intent_id, 'approved')" },
      );
    }
  }
  if (from === 'conflicted' && to === 'in_progress') {
    const blocking = r.rows<OpenConflict>(r.sql.openErrorConflicts, [id]);
    if (blocking.length > 0) {
      throw wrongState(
        `cannot move intent ${id} from conflicted to in_progress: ${blocking.length} unresolved error conflict(s)`,
        {
          detail: blocking.map(describe).join('\n'),
          hint: 'resolve them with pggit_resolve_conflict, or wait until the other intents merge or are abandoned',
        },
      );
    }
  }
  if (from === 'conflicted' && to === 'registered') {
    const open = r.rows<OpenConflict>(r.sql.openConflicts, [id]);
    if (open.length > 0) {
      throw wrongState(
        `cannot move intent ${id} from conflicted to registered: ${open.length} open conflict(s)`,
        { detail: open.map(describe).join('\n') },
      );
    }
  }
  if (from === 'registered' && to === 'conflicted') {
    if (!r.row<{ open: boolean }>(r.sql.hasOpenConflict, [id])?.open) {
      throw wrongState(
        `cannot move intent ${id} from registered to conflicted: it has no open conflict`,
      );
    }
  }
}
