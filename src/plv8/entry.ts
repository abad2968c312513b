/**
 * The PLV8 bundle's entry: esbuild turns this into one ES2020 script held by
 * pggit_bundle_init(). Every SQL wrapper (src/plv8/functions.ts) calls one of
 * `functions` with its SQL arguments; the global `plv8` is PLV8's API object.
 */
import { detectConflicts, parseScript } from '../detector/index.js';
import type { IntentInput } from '../detector/types.js';
import * as api from '../registry/api.js';
import type { Plv8, TriggerContext } from '../registry/plv8-api.js';
import * as triggers from '../registry/triggers.js';
import * as v from '../registry/validate.js';

declare const plv8: Plv8;
declare const __PGGIT_VERSION__: string;

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

export const functions = {
  version: () => ({
    version: __PGGIT_VERSION__,
    bundle_hash: (globalThis as { __pggit?: { buildHash: string } }).__pggit?.buildHash ?? null,
    runtime: (plv8.execute('SELECT plv8_version() AS v') as { v: string }[])[0]?.v ?? null,
  }),
  parse: (schemaChanges: unknown, defaultSchema: unknown) =>
    parseScript(v.requiredText('schema_changes', schemaChanges, v.LIMITS.schemaChanges), {
      defaultSchema: v.requiredText('default_schema', defaultSchema),
    }),
  detect: (a: unknown, b: unknown) =>
    detectConflicts(intentFromJson('intent_a', a), intentFromJson('intent_b', b)),
  register: (...args: unknown[]) =>
    api.register(plv8, args[0], args[1], args[2], args[3], args[4], args[5], args[6]),
  check: (...args: unknown[]) => api.check(plv8, args[0], args[1], args[2], args[3]),
  getIntent: (id: unknown) => api.getIntent(plv8, id),
  listIntents: (status: unknown, agent: unknown) => api.listIntents(plv8, status, agent),
  markInProgress: (id: unknown, reason: unknown, by: unknown) =>
    api.markInProgress(plv8, id, reason, by),
  markCompleted: (id: unknown, reason: unknown, by: unknown) =>
    api.markCompleted(plv8, id, reason, by),
  markMerged: (id: unknown, reason: unknown, by: unknown) => api.markMerged(plv8, id, reason, by),
  markAbandoned: (id: unknown, reason: unknown, by: unknown) =>
    api.markAbandoned(plv8, id, reason, by),
  getConflicts: (id: unknown) => api.getConflicts(plv8, id),
  resolveConflict: (id: unknown, notes: unknown, by: unknown) =>
    api.resolveConflict(plv8, id, notes, by),
  history: (id: unknown) => api.history(plv8, id),
  // biome-ignore lint/suspicious/noExplicitAny: trigger rows are untyped records
  intentGuard: (tg: TriggerContext<any>) => triggers.intentGuard(plv8, tg),
  // biome-ignore lint/suspicious/noExplicitAny: trigger rows are untyped records
  intentAudit: (tg: TriggerContext<any>) => triggers.intentAudit(plv8, tg),
  historyImmutable: (tg: TriggerContext<unknown>) => triggers.historyImmutable(plv8, tg),
};
