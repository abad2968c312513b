/**
 * Trigger logic: the lifecycle guard and the audit trail. They run for API
 * calls and for direct SQL alike, so a hand-written UPDATE obeys the same
 * rules and leaves the same history.
 */

import { type IntentRow, openConflictsSql } from './api.js';
import { PggitError, SqlState, wrongState } from './errors.js';
import { allowedTransitions, canTransition, type Status } from './lifecycle.js';
import { type Plv8, rows, type TriggerContext } from './plv8-api.js';

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

function openConflicts(db: Plv8, intentId: string, errorsOnly = false): OpenConflict[] {
  return rows<OpenConflict>(db, `${openConflictsSql('$1', errorsOnly)} ORDER BY c.id`, [intentId]);
}

const describe = (c: OpenConflict) =>
  `conflict ${c.id}: ${c.severity} ${c.conflict_type} on ${c.affected_objects.join(', ')} with ${c.other_agent} ("${c.other_feature}", intent ${c.other_id})`;

export function intentGuard(db: Plv8, tg: TriggerContext<IntentTriggerRow>) {
  const NEW = tg.NEW as IntentTriggerRow;
  if (tg.TG_OP === 'INSERT') {
    if (NEW.status !== 'registered' && NEW.status !== 'conflicted') {
      throw wrongState(`a new intent starts as registered or conflicted, not ${NEW.status}`);
    }
    return NEW;
  }
  const OLD = tg.OLD as IntentTriggerRow;
  for (const col of IMMUTABLE_COLUMNS) {
    if (NEW[col] !== OLD[col]) throw wrongState(`${col} of intent ${OLD.id} cannot change`);
  }
  const from = OLD.status as Status;
  const to = NEW.status as Status;
  if (from === to) return NEW;
  if (!canTransition(from, to)) {
    const allowed = allowedTransitions(from);
    throw wrongState(`cannot move intent ${OLD.id} from ${from} to ${to}`, {
      hint:
        allowed.length === 0
          ? `${from} is final`
          : `from ${from} an intent may move to ${allowed.join(' or ')}`,
    });
  }
  if (from === 'conflicted' && to === 'in_progress') {
    const blocking = openConflicts(db, OLD.id, true);
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
    const open = openConflicts(db, OLD.id);
    if (open.length > 0) {
      throw wrongState(
        `cannot move intent ${OLD.id} from conflicted to registered: ${open.length} open conflict(s)`,
        { detail: open.map(describe).join('\n') },
      );
    }
  }
  return NEW;
}

export function intentAudit(db: Plv8, tg: TriggerContext<IntentTriggerRow>) {
  const NEW = tg.NEW as IntentTriggerRow;
  const OLD = tg.TG_OP === 'UPDATE' ? (tg.OLD as IntentTriggerRow) : null;
  if (OLD !== null && OLD.status === NEW.status) return null;
  db.execute(
    `INSERT INTO tb_pggit_intent_history (intent_id, old_status, new_status, reason, changed_by)
     VALUES ($1, $2, $3, nullif(current_setting('pggit.reason', true), ''),
             coalesce(nullif(current_setting('pggit.changed_by', true), ''), session_user::text))`,
    [NEW.id, OLD === null ? null : OLD.status, NEW.status],
  );
  db.execute("SELECT pg_notify('pggit', $1)", [
    JSON.stringify({
      event: OLD === null ? 'registered' : 'status_changed',
      intent_id: NEW.id,
      agent_id: NEW.agent_id,
      feature_name: NEW.feature_name,
      branch_name: NEW.branch_name,
      old_status: OLD === null ? null : OLD.status,
      status: NEW.status,
    }),
  ]);
  return null;
}

export function historyImmutable(_db: Plv8, tg: TriggerContext<unknown>): never {
  throw new PggitError(
    SqlState.insufficientPrivilege,
    `tb_pggit_intent_history is append-only: ${tg.TG_OP} is not allowed`,
    { hint: 'the audit trail of intents can only grow' },
  );
}
