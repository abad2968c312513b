/**
 * Rules as data (tb_pggit_rule): what the reference offered as Python
 * subclasses, as rows the owner manages with SQL functions.
 *
 * A pattern is a glob over pggit's normalised names (`*` any run of
 * characters, `?` one), optionally after a kind: `public.payments*`,
 * `function:public.charge*`, `column:public.users.email`. `public.payments*`
 * also matches the columns, indexes and constraints of those tables, whose
 * names start the same way.
 *
 * - owner: anyone else's intent that changes a matching object needs the
 *   owner's review (pggit_review) before it may start;
 * - severity: a conflict of the type (any when unset) on a matching object
 *   (any when unset) is recorded with the severity, or not at all (none);
 *   the first matching rule, in id order, decides;
 * - advice: added to conflicts on matching objects, and to those of intents
 *   whose metadata has the key with the value; also returned by
 *   pggit_register for the newcomer itself.
 */
import { CONFLICT_TYPES } from '../detector/conflicts.js';
import type { ConflictType, DbObject } from '../detector/types.js';
import type { Registry } from './context.js';
import { invalidArgument } from './errors.js';
import * as v from './validate.js';

export interface Rule {
  id: number;
  kind: 'owner' | 'severity' | 'advice';
  pattern: string | null;
  conflict_type: ConflictType | null;
  metadata_key: string | null;
  metadata_value: string | null;
  owner: string | null;
  severity: 'warning' | 'error' | 'none' | null;
  advice: string | null;
}

const KINDS = new Set([
  'schema',
  'table',
  'column',
  'constraint',
  'index',
  'function',
  'view',
  'materialized_view',
  'trigger',
  'type',
  'sequence',
  'policy',
  'extension',
]);

interface Compiled {
  kind: string | null;
  re: RegExp;
}

const compiled = new Map<string, Compiled>();

/** A pattern as a kind and an anchored regular expression; 22023 when it is not one. */
export function compilePattern(pattern: string): Compiled {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  const colon = /^([a-z_]+):(.*)$/.exec(pattern);
  const kind = colon === null ? null : (colon[1] as string);
  if (kind !== null && !KINDS.has(kind)) {
    throw invalidArgument(
      `pattern ${JSON.stringify(pattern)} names no kind of object pggit knows: ${kind}`,
      `start it with one of ${[...KINDS].join(', ')}, or give no kind`,
    );
  }
  const glob = colon === null ? pattern : (colon[2] as string);
  if (glob.trim() === '') throw invalidArgument(`pattern ${JSON.stringify(pattern)} is empty`);
  const source = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const c = { kind, re: new RegExp(`^${source}$`) };
  compiled.set(pattern, c);
  return c;
}

export function matchesObject(pattern: string, o: Pick<DbObject, 'kind' | 'qualified'>): boolean {
  const c = compilePattern(pattern);
  if (
    c.kind !== null &&
    c.kind !== o.kind &&
    !(c.kind === 'view' && o.kind === 'materialized_view')
  )
    return false;
  return c.re.test(o.qualified);
}

/** A pattern against the qualified names a conflict lists (their kind is the conflict's type). */
function matchesNames(pattern: string, type: ConflictType, names: string[]): boolean {
  const c = compilePattern(pattern);
  if (c.kind !== null && c.kind !== type) return false;
  return names.some((n) => c.re.test(n));
}

const metadataMatches = (rule: Rule, meta: Record<string, unknown> | undefined) =>
  rule.metadata_key !== null &&
  meta !== undefined &&
  meta !== null &&
  Object.hasOwn(meta, rule.metadata_key) &&
  String(meta[rule.metadata_key]) === rule.metadata_value;

export function loadRules(r: Registry): Rule[] {
  return r.rows<Rule>(r.sql.rules);
}

/** The severity a conflict is recorded with (or null: not at all), and the rule that said so. */
export function severityFor(
  rules: Rule[],
  type: ConflictType,
  objects: string[],
  severity: 'warning' | 'error',
): { severity: 'warning' | 'error' | null; rule: number | null } {
  for (const rule of rules) {
    if (rule.kind !== 'severity') continue;
    if (rule.conflict_type !== null && rule.conflict_type !== type) continue;
    if (rule.pattern !== null && !matchesNames(rule.pattern, type, objects)) continue;
    return { severity: rule.severity === 'none' ? null : rule.severity, rule: rule.id };
  }
  return { severity, rule: null };
}

/** Advice the rules add to a conflict between two intents (with their metadata). */
export function adviceFor(
  rules: Rule[],
  type: ConflictType,
  objects: string[],
  metadata: (Record<string, unknown> | undefined)[],
): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'advice' || rule.advice === null) continue;
    const byPattern = rule.pattern !== null && matchesNames(rule.pattern, type, objects);
    const byMeta = metadata.some((m) => metadataMatches(rule, m));
    if (byPattern || byMeta) out.push(rule.advice);
  }
  return out;
}

/** Advice the rules give an intent itself: on its objects or its metadata. */
export function adviceForIntent(
  rules: Rule[],
  objects: DbObject[],
  metadata: Record<string, unknown>,
): string[] {
  const changed = objects.filter((o) => o.action !== 'reference');
  return rules
    .filter(
      (rule) =>
        rule.kind === 'advice' &&
        rule.advice !== null &&
        ((rule.pattern !== null && changed.some((o) => matchesObject(rule.pattern as string, o))) ||
          metadataMatches(rule, metadata)),
    )
    .map((rule) => rule.advice as string);
}

export interface RequiredReview {
  rule_id: number;
  owner: string;
  objects: string[];
}

/** Reviews the owner rules require of an agent's intent that changes these objects. */
export function requiredReviews(
  r: Registry,
  rules: Rule[],
  agentId: string,
  objects: DbObject[],
): RequiredReview[] {
  const changed = objects.filter((o) => o.action !== 'reference');
  const out: RequiredReview[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'owner' || rule.pattern === null || rule.owner === null) continue;
    const hit = changed.filter((o) => matchesObject(rule.pattern as string, o));
    if (hit.length === 0 || isOwner(r, agentId, rule.owner)) continue;
    out.push({
      rule_id: rule.id,
      owner: rule.owner,
      objects: [...new Set(hit.map((o) => o.qualified))].sort(),
    });
  }
  return out;
}

/** An agent is the owner, or a member of the owner when both are roles (a team). */
export function isOwner(r: Registry, agent: string, owner: string): boolean {
  if (agent === owner) return true;
  return r.row<{ member: boolean }>(r.sql.memberOf, [agent, owner])?.member === true;
}

// ---------------------------------------------------------------------------
// managing rules and settings (granted to pggit_admin only)

export function addRule(r: Registry, args: Record<string, unknown>) {
  const kind = args.kind;
  if (kind !== 'owner' && kind !== 'severity' && kind !== 'advice') {
    throw invalidArgument(`kind must be owner, severity or advice, not ${JSON.stringify(kind)}`);
  }
  const text = (name: string, max: number) => v.optionalText(name, args[name], max);
  const rule = {
    kind,
    pattern: text('pattern', 500),
    conflict_type: text('conflict_type', 40),
    metadata_key: text('metadata_key', 200),
    metadata_value: text('metadata_value', 1000),
    owner: text('owner', v.LIMITS.name),
    severity: text('severity', 10),
    advice: text('advice', 2000),
  };
  if (rule.pattern !== null) compilePattern(rule.pattern);
  const need = (ok: boolean, message: string) => {
    if (!ok) throw invalidArgument(message);
  };
  if (kind === 'owner') {
    need(
      rule.pattern !== null && rule.owner !== null,
      'an owner rule needs a pattern and an owner',
    );
  } else if (kind === 'severity') {
    need(
      rule.severity === 'warning' || rule.severity === 'error' || rule.severity === 'none',
      'a severity rule needs severity => warning, error or none',
    );
    need(
      rule.pattern !== null || rule.conflict_type !== null,
      'a severity rule needs a pattern or a conflict_type',
    );
  } else {
    need(rule.advice !== null, 'an advice rule needs advice');
    need(
      rule.pattern !== null || rule.metadata_key !== null,
      'an advice rule needs a pattern or a metadata_key',
    );
  }
  need(
    (rule.metadata_key === null) === (rule.metadata_value === null),
    'metadata_key and metadata_value go together',
  );
  if (
    rule.conflict_type !== null &&
    !(CONFLICT_TYPES as readonly string[]).includes(rule.conflict_type)
  ) {
    throw invalidArgument(
      `conflict_type ${JSON.stringify(rule.conflict_type)} is not a conflict type`,
    );
  }
  return (r.row<{ j: unknown }>(r.sql.insertRule, [rule]) as { j: unknown }).j;
}

export function removeRule(r: Registry, idArg: unknown) {
  const id = v.conflictId(idArg, 'rule_id');
  const row = r.row<{ j: unknown }>(r.sql.removeRule, [id]);
  if (row === undefined) throw invalidArgument(`rule ${id} does not exist or was removed already`);
  return row.j;
}

/** What an owner may set, and how each value is checked. */
const SETTINGS: Record<string, (value: string) => boolean> = {
  bind_agent_identity: (x) => x === 'on' || x === 'off',
  agent_isolation: (x) => x === 'on' || x === 'off',
  review_gate: (x) => x === 'on' || x === 'off',
  clock_override: (x) => x === 'on' || x === 'off',
  drift_mode: (x) => x === 'off' || x === 'warn' || x === 'enforce',
  lease_seconds: (x) => /^[1-9][0-9]{0,7}$/.test(x) && Number(x) <= v.LIMITS.leaseSeconds,
};

export function setSetting(r: Registry, keyArg: unknown, valueArg: unknown) {
  const key = v.requiredText('key', keyArg);
  const value = v.requiredText('value', valueArg);
  const check = SETTINGS[key];
  if (check === undefined) {
    throw invalidArgument(
      `${key} is not a setting pggit has`,
      `settings: ${Object.keys(SETTINGS).join(', ')}`,
    );
  }
  if (!check(value)) throw invalidArgument(`${JSON.stringify(value)} is not a value for ${key}`);
  return (r.row<{ j: unknown }>(r.sql.setSetting, [key, value]) as { j: unknown }).j;
}
