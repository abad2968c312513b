/**
 * The PLV8 bundle's entry: esbuild turns this into one ES2020 script held by
 * `<schema>.bundle_init()`. It runs `create` with the schema names chosen at
 * install, and every SQL wrapper (src/plv8/functions.ts) calls one of the
 * returned functions with its SQL arguments.
 */
import { detectConflicts, parseScript } from '../detector/index.js';
import type { IntentInput } from '../detector/types.js';
import { createRegistry, type InstallNames } from '../registry/context.js';
import * as drift from '../registry/drift.js';
import * as leases from '../registry/leases.js';
import type { Plv8 } from '../registry/plv8-api.js';
import { rederive } from '../registry/rederive.js';
import * as reg from '../registry/register.js';
import * as resolution from '../registry/resolution.js';
import * as reviews from '../registry/reviews.js';
import * as rules from '../registry/rules.js';
import * as transitions from '../registry/transitions.js';
import * as triggers from '../registry/triggers.js';
import * as v from '../registry/validate.js';

function intentFromJson(name: string, value: unknown): IntentInput {
  const o = v.intentObject(name, value);
  return {
    agent_id: v.requiredText(`${name}.agent_id`, o.agent_id),
    feature_name: v.requiredText(`${name}.feature_name`, o.feature_name),
    schema_changes: Array.isArray(o.schema_changes)
      ? o.schema_changes.map((s, i) =>
          v.requiredText(`${name}.schema_changes[${i}]`, s, v.LIMITS.schemaChanges),
        )
      : v.requiredText(`${name}.schema_changes`, o.schema_changes, v.LIMITS.schemaChanges),
    tables_affected: v.tablesAffected(o.tables_affected),
  };
}

export function create(plv8: Plv8, names: InstallNames) {
  const r = createRegistry(plv8, names);
  return {
    parse: (schemaChanges: unknown, defaultSchema: unknown) =>
      parseScript(v.requiredText('schema_changes', schemaChanges, v.LIMITS.schemaChanges), {
        defaultSchema: v.requiredText('default_schema', defaultSchema),
      }),
    detect: (a: unknown, b: unknown) =>
      detectConflicts(intentFromJson('intent_a', a), intentFromJson('intent_b', b)),
    register: (...a: unknown[]) =>
      reg.register(r, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]),
    heartbeat: (...a: unknown[]) => leases.heartbeat(r, a[0], a[1]),
    sweep: (limit: unknown) => leases.sweep(r, limit),
    rederive: () => rederive(r),
    check: (...a: unknown[]) => reg.check(r, a[0], a[1], a[2], a[3], a[4]),
    markInProgress: (...a: unknown[]) => transitions.markInProgress(r, a[0], a[1], a[2]),
    markCompleted: (...a: unknown[]) => transitions.markCompleted(r, a[0], a[1], a[2]),
    markMerged: (...a: unknown[]) => transitions.markMerged(r, a[0], a[1], a[2]),
    markAbandoned: (...a: unknown[]) => transitions.markAbandoned(r, a[0], a[1], a[2]),
    resolveConflict: (...a: unknown[]) => resolution.resolveConflict(r, a[0], a[1], a[2], a[3]),
    reopenConflict: (...a: unknown[]) => resolution.reopenConflict(r, a[0], a[1], a[2]),
    review: (...a: unknown[]) => reviews.review(r, a[0], a[1], a[2], a[3], a[4]),
    addRule: (...a: unknown[]) =>
      rules.addRule(r, {
        kind: a[0],
        pattern: a[1],
        owner: a[2],
        severity: a[3],
        conflict_type: a[4],
        advice: a[5],
        metadata_key: a[6],
        metadata_value: a[7],
      }),
    removeRule: (id: unknown) => rules.removeRule(r, id),
    setSetting: (key: unknown, value: unknown) => rules.setSetting(r, key, value),
    driftCheck: (...a: unknown[]) => drift.driftCheck(r, a[0], a[1]),
    checkTransition: (...a: unknown[]) => triggers.checkTransition(r, a[0], a[1], a[2]),
  };
}
