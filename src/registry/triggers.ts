/**
 * Trigger logic: the lifecycle guard and the audit trail. They run for API
 * calls and for direct SQL alike, so a hand-written UPDATE obeys the same
 * rules and leaves the same history.
 */

import type { Registry } from './context.js';
import { PggitError, SqlState, wrongState } from './errors.js';
import { allowedTransitions, canTransition, type Status } from './lifecycle.js';
import type { TriggerContext } from './plv8-api.js';
import type { IntentRow } from './rows.js';

type IntentTriggerRow = Omit<IntentRow, 'created_at' | 'updated_at'> & {
  created_at: Date;
  updated_at: Date;
};

const IMMUTABLE_COLUMNS = ['id', 'agent_id', 'branch_name'] as const;

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

/**
 * Refuses what the lifecycle forbids. It returns nothing, which keeps the
 * row as PostgreSQL built it (PLV8 keeps the row when a BEFORE trigger
 * returns undefined): returning NEW would send every column through JS and
 * back, and a number JS cannot hold would come back changed.
 */
export function intentGuard(r: Registry, tg: TriggerContext<IntentTriggerRow>): void {
  const NEW = tg.NEW as IntentTriggerRow;
  if (tg.TG_OP === 'INSERT') {
    if (NEW.status !== 'registered' && NEW.status !== 'conflicted') {
      throw wrongState(`a new intent starts as registered or conflicted, not ${NEW.status}`);
    }
    return;
  }
  const OLD = tg.OLD as IntentTriggerRow;
  for (const col of IMMUTABLE_COLUMNS) {
    if (NEW[col] !== OLD[col]) throw wrongState(`${col} of intent ${OLD.id} cannot change`);
  }
  const from = OLD.status as Status;
  const to = NEW.status as Status;
  if (from === to) return;
  if (!canTransition(from, to)) {
    const allowed = allowedTransitions(from).filter((s) => s !== 'conflicted');
    throw wrongState(`cannot move intent ${OLD.id} from ${from} to ${to}`, {
      hint:
        allowed.length === 0
          ? `${from} is final`
          : `from ${from} an intent may move to ${allowed.join(' or ')}`,
    });
  }
  if (from === 'conflicted' && to === 'in_progress') {
    const blocking = r.rows<OpenConflict>(r.sql.openErrorConflicts, [OLD.id]);
    if (blocking.length > 0) {
      throw wrongState(
        `cannot move intent ${OLD.id} from conflicted to in_progress: ${blocking.length} unresolved error conflict(s)`,
        {
          detail: blocking.map(describe).join('\n'),
          hint: 'resolve them with pggit_resolve_conflict, or wait until the other intents merge or are abandoned',
        },
      );
    }
  }
  if (from === 'conflicted' && to === 'registered') {
    const open = r.rows<OpenConflict>(r.sql.openConflicts, [OLD.id]);
    if (open.length > 0) {
      throw wrongState(
        `cannot move intent ${OLD.id} from conflicted to registered: ${open.length} open conflict(s)`,
        { detail: open.map(describe).join('\n') },
      );
    }
  }
  if (from === 'registered' && to === 'conflicted') {
    if (r.row(r.sql.openConflicts, [OLD.id]) === undefined) {
      throw wrongState(
        `cannot move intent ${OLD.id} from registered to conflicted: it has no open conflict`,
      );
    }
  }
}

/**
 * The history row of every insert and status change, and a notification.
 * The payload says only what happened to which intent: any role may LISTEN
 * on a channel, so names stay out of it (readers ask pggit for the rest).
 */
export function intentAudit(r: Registry, tg: TriggerContext<IntentTriggerRow>) {
  const NEW = tg.NEW as IntentTriggerRow;
  const OLD = tg.TG_OP === 'UPDATE' ? (tg.OLD as IntentTriggerRow) : null;
  if (OLD !== null && OLD.status === NEW.status) return;
  r.db.execute(r.sql.insertHistory, [NEW.id, OLD === null ? null : OLD.status, NEW.status]);
  r.db.execute(r.sql.notify, [
    JSON.stringify({
      event: OLD === null ? 'registered' : 'status_changed',
      intent_id: NEW.id,
      old_status: OLD === null ? null : OLD.status,
      status: NEW.status,
    }),
  ]);
}

export function appendOnly(_r: Registry, tg: TriggerContext<unknown>): never {
  throw new PggitError(
    SqlState.insufficientPrivilege,
    `${tg.TG_TABLE_NAME} is append-only: ${tg.TG_OP} is not allowed`,
    { hint: 'the audit trail of intents and conflicts can only grow' },
  );
}
