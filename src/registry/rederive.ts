/**
 * After an upgrade that changes the object model (MODEL_VERSION), the active
 * intents stored under another version are derived again from their scripts:
 * their objects and their conflict keys. Registrations compare a candidate
 * from its script when its objects are of another version (candidates.ts),
 * but they find candidates by the stored keys: keys of the old model would
 * hide an intent from a newcomer that the new model says it meets.
 *
 * Run by the generated function SQL, at the end of every install and
 * upgrade. It takes the stripe locks of every old and new key in one
 * statement (the one lock order of sql.ts) before it writes, so a concurrent
 * registration sees an intent with its old keys or its new ones, never half.
 * Conflicts already recorded are kept; pairs of intents that both registered
 * before the upgrade are not compared again.
 */
import { MODEL_VERSION, prepareIntent } from '../detector/index.js';
import type { Registry } from './context.js';
import { lockKeys } from './register.js';

interface Stale {
  id: string;
  agent_id: string;
  feature_name: string;
  schema_changes: string[];
  tables_affected: string[];
  keys: string[];
}

export function rederive(r: Registry) {
  const stale = r.rows<Stale>(r.sql.staleIntents, [MODEL_VERSION]);
  if (stale.length === 0) return { rederived: 0, model_version: MODEL_VERSION };
  const fresh = stale.map((s) => {
    const intent = {
      agent_id: s.agent_id,
      feature_name: s.feature_name,
      schema_changes: s.schema_changes,
      tables_affected: s.tables_affected,
    };
    // parsed as candidates.ts parses another model's script: its statements in
    // order, the default schema public
    const prepared = prepareIntent(intent);
    return { id: s.id, objects: prepared.parsed.objects, keys: prepared.keys, old: s.keys };
  });
  lockKeys(
    r,
    fresh.flatMap((f) => [...f.old, ...f.keys]),
    { reason: `object model ${MODEL_VERSION}`, by: 'pggit' },
  );
  for (const f of fresh) r.exec(r.sql.storeDerived, [f.id, f.objects, f.keys, MODEL_VERSION]);
  return { rederived: fresh.length, model_version: MODEL_VERSION };
}
