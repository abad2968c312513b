/**
 * Leases (pggit_heartbeat, pggit_sweep). An intent's lease runs out when its
 * agent stops heartbeating (or moving it); from that moment it no longer
 * counts for detection (sql.ts checks the lease at query time), and a sweep
 * abandons it, with the history saying so, releasing its conflicts as an
 * abandon does. Sweeps are safe to run concurrently and from cron: each
 * intent is abandoned by exactly one of them.
 */
import type { Registry } from './context.js';
import { wrongState } from './errors.js';
import { checkAgent } from './identity.js';
import { isActive, type Status } from './lifecycle.js';
import { lockKeys } from './register.js';
import { releaseIfClear } from './transitions.js';
import * as v from './validate.js';

interface Locked {
  id: string;
  agent_id: string;
  feature_name: string;
  status: Status;
  expired: boolean;
  lease_expires_at?: string;
}

export function heartbeat(r: Registry, idArg: unknown, leaseArg: unknown) {
  const lease = v.leaseSeconds(leaseArg);
  const { id, keys } = r.row<{ id: string; keys: string[] }>(r.sql.intentKeys, [
    idArg ?? null,
    'intent_id',
  ]) as { id: string; keys: string[] };
  const s = lockKeys(r, keys);
  const intent = r.rows<Locked>(r.sql.lockIntents, [id, false])[0] as Locked;
  checkAgent(s, intent.agent_id);
  if (!isActive(intent.status)) {
    throw wrongState(`intent ${id} is ${intent.status}: only an active intent has a lease`);
  }
  if (intent.expired) {
    throw wrongState(`the lease of intent ${id} expired at ${intent.lease_expires_at}`, {
      hint: 'intents registered since did not see it: register the change again',
    });
  }
  r.db.execute(r.sql.heartbeat, [id, lease]);
  return { id };
}

export function sweep(r: Registry, limitArg: unknown) {
  const limit = v.pageSize(limitArg ?? v.LIMITS.page);
  const expired = r.rows<{ id: string; keys: string[] }>(r.sql.expired, [limit]);
  if (expired.length === 0) return { swept: 0, intents: [] };
  // one lock order: every stripe first, then every row, in one statement each
  lockKeys(
    r,
    expired.flatMap((x) => x.keys),
    { reason: 'lease expired', by: 'pggit' },
  );
  const locked = r.rows<Locked>(r.sql.lockWithPartners, [expired.map((x) => x.id)]);
  const ids = new Set(expired.map((x) => x.id));
  // a concurrent sweep may have abandoned some while we waited for the locks
  const still = locked.filter((x) => ids.has(x.id) && x.expired && isActive(x.status));
  for (const x of still) {
    r.db.execute(r.sql.setStatus, [x.id, 'abandoned']);
    r.db.execute(r.sql.autoResolve, [
      x.id,
      `auto-resolved: intent ${x.id} (${x.agent_id}, "${x.feature_name}") was abandoned: lease expired`,
    ]);
  }
  releaseIfClear(
    r,
    locked.filter((x) => !ids.has(x.id)).map((x) => x.id),
    'conflicting intents were abandoned: lease expired',
    'pggit',
  );
  return { swept: still.length, intents: still.map((x) => x.id) };
}
