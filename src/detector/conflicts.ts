/**
 * Conflict rules between two intents, and the coarse keys the registry indexes
 * to find candidate intents. Pure functions of the parsed object model.
 *
 * Reports from `detectConflicts(a, b)` are written from a's point of view: a is
 * the newcomer, b the existing intent whose agent and feature the advice names.
 */
import { isTrivia, tokenize } from './lexer.js';
import { normalizeFeatureName, qualify } from './names.js';
import { parseScript } from './parser.js';
import type {
  ConflictReport,
  ConflictType,
  DbObject,
  DetectOptions,
  IntentInput,
  ObjectAction,
  ParseOptions,
  ParseResult,
} from './types.js';

/** Schemas whose contents are not treated as depending on the schema itself (see `conflictKeys`). */
export const SHARED_SCHEMAS = new Set(['public', 'pg_catalog', 'pg_temp', 'information_schema']);

const TABLE_SCOPED = new Set(['column', 'constraint', 'index', 'trigger', 'policy']);
const RELATION_KINDS = new Set(['table', 'view', 'materialized_view']);

/** Every conflict type, in report order: the order of the conflict table in the design. */
export const CONFLICT_TYPES: readonly ConflictType[] = [
  'table',
  'column',
  'function',
  'index',
  'constraint',
  'timing',
  'dependency',
  'view',
  'type',
  'sequence',
  'trigger',
  'policy',
  'schema',
  'extension',
];

/**
 * Normalises a `tables_affected` entry the way PostgreSQL reads a table name:
 * `users` and `USERS` → `public.users`, `"Users"` → `public."Users"`, `app.t` → `app.t`.
 */
export function normalizeTableName(raw: string, defaultSchema = 'public'): string {
  const toks = tokenize(String(raw)).filter((t) => !isTrivia(t));
  const parts: string[] = [];
  let ok = toks.length > 0;
  for (let i = 0; ok && i < toks.length; i++) {
    const t = toks[i];
    if (i % 2 === 0) {
      if (t && (t.type === 'ident' || t.type === 'qident') && !t.unterminated)
        parts.push(t.value ?? '');
      else ok = false;
    } else if (!(t && t.type === 'punct' && t.text === '.')) ok = false;
  }
  if (!ok || toks.length % 2 === 0 || parts.length > 3)
    return qualify(defaultSchema, String(raw).trim());
  const name = parts[parts.length - 1] as string;
  const schema = parts.length >= 2 ? (parts[parts.length - 2] as string) : defaultSchema;
  return qualify(schema, name);
}

/** An intent with its parse and the sets the rules use, computed once. */
export interface PreparedIntent {
  intent: IntentInput;
  parsed: ParseResult;
  feature: string;
  /** Tables touched (not merely referenced), with the verbs used, incl. tables_affected. */
  touched: Map<string, Set<string>>;
  /** Non-reference objects, by a group key (kind group + qualified name). */
  changed: Map<string, DbObject[]>;
  /** Dependencies: `rel:`, `col:`, `type:`, `seq:`, `schema:` keys → the objects that depend. */
  dependsOn: Map<string, DbObject[]>;
  /** Functions referenced (trigger functions), for signature-aware dependency checks. */
  functionRefs: DbObject[];
  /** Dropped or renamed objects. */
  removed: DbObject[];
  /** The indexes it creates on columns (two on one table's same columns duplicate each other). */
  indexCreates: DbObject[];
  /** The constraints it adds or drops, by table. */
  constraintsByTable: Map<string, string[]>;
  keys: string[];
  /**
   * How advice to others names this intent (`agent (feature "name")`) and
   * when to apply after it (`after "name" merges`): made once, as a
   * candidate is compared with every newcomer.
   */
  who: string;
  after: string;
}

function group(o: DbObject): string | undefined {
  switch (o.kind) {
    case 'table':
      return `table:${o.qualified}`;
    case 'view':
    case 'materialized_view':
      return `view:${o.qualified}`;
    default:
      return `${o.kind}:${o.qualified}`;
  }
}

function add<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** The other dependency key of a relation's name: a sequence's as a relation, a relation's as a sequence. */
function sameNameRelation(o: DbObject): string | undefined {
  if (o.kind === 'sequence') return `rel:${o.qualified}`;
  if (RELATION_KINDS.has(o.kind)) return `seq:${o.qualified}`;
  return undefined;
}

function depKey(o: DbObject): string | undefined {
  if (RELATION_KINDS.has(o.kind)) return `rel:${o.qualified}`;
  if (o.kind === 'column') return `col:${o.qualified}`;
  if (o.kind === 'type') return `type:${o.qualified}`;
  if (o.kind === 'sequence') return `seq:${o.qualified}`;
  if (o.kind === 'index') return `idx:${o.qualified}`;
  if (o.kind === 'schema') return SHARED_SCHEMAS.has(o.name) ? undefined : `schema:${o.qualified}`;
  return undefined;
}

/** Parses (unless `parsed` is given) and prepares an intent for repeated comparison. */
export function prepareIntent(
  intent: IntentInput,
  parsed?: ParseResult,
  options?: ParseOptions,
): PreparedIntent {
  const p = parsed ?? parseScript(intent.schema_changes, options);
  const defaultSchema = options?.defaultSchema ?? 'public';
  const touched = new Map<string, Set<string>>();
  const touch = (t: string, verb: string) => {
    const s = touched.get(t);
    if (s) s.add(verb);
    else touched.set(t, new Set([verb]));
  };
  const changed = new Map<string, DbObject[]>();
  const dependsOn = new Map<string, DbObject[]>();
  const functionRefs: DbObject[] = [];
  const removed: DbObject[] = [];
  const indexCreates: DbObject[] = [];
  const constraintsByTable = new Map<string, string[]>();
  const created = new Set<string>();
  const createdSchemas = new Set<string>();
  /** What the intent creates itself (or gets by renaming): never a dependency of its own. */
  const createdKeys = new Set<string>();
  for (const o of p.objects) {
    if (o.action === 'create' && RELATION_KINDS.has(o.kind)) created.add(o.qualified);
    if (o.action === 'create' && o.kind === 'schema') createdSchemas.add(o.name);
    if (o.action === 'create' || (o.action === 'rename' && o.renamedFrom !== undefined)) {
      const k = depKey(o);
      if (k) createdKeys.add(k);
    }
  }
  for (const o of p.objects) {
    if (o.action !== 'reference') {
      const g = group(o);
      if (g) add(changed, g, o);
      if (o.kind === 'table') touch(o.qualified, o.action);
      else if (TABLE_SCOPED.has(o.kind) && o.table !== undefined && !o.domain)
        touch(o.table, `${o.action} ${o.kind}`);
    }
    if (o.action === 'drop' || o.action === 'rename') removed.push(o);
    if (o.kind === 'index' && o.action === 'create' && o.columns) indexCreates.push(o);
    if (
      o.kind === 'constraint' &&
      (o.action === 'create' || o.action === 'drop') &&
      o.table !== undefined
    ) {
      add(constraintsByTable, o.table, o.qualified);
    }
    // dependencies
    if (o.action === 'reference') {
      if (o.kind === 'function') functionRefs.push(o);
      else {
        const k = depKey(o);
        const rel = RELATION_KINDS.has(o.kind) ? o.qualified : o.table;
        if (k && !createdKeys.has(k) && !(rel !== undefined && created.has(rel))) {
          add(dependsOn, k, o);
        }
        // a stored query reading `*` of a table depends on every column of it
        if (o.allColumns && !created.has(o.qualified)) add(dependsOn, `allcols:${o.qualified}`, o);
      }
    }
    if (o.table !== undefined && !created.has(o.table)) {
      add(dependsOn, o.domain ? `type:${o.table}` : `rel:${o.table}`, o);
    }
    if (RELATION_KINDS.has(o.kind) && o.action === 'alter') add(dependsOn, `rel:${o.qualified}`, o);
    if (
      o.kind !== 'schema' &&
      o.kind !== 'extension' &&
      o.schema !== null &&
      !SHARED_SCHEMAS.has(o.schema)
    ) {
      if (!createdSchemas.has(o.schema)) add(dependsOn, `schema:${qualify(o.schema)}`, o);
    }
  }
  for (const t of intent.tables_affected ?? []) {
    if (typeof t === 'string' && t.trim() !== '')
      touch(normalizeTableName(t, defaultSchema), 'declare');
  }
  return {
    intent,
    parsed: p,
    feature: normalizeFeatureName(intent.feature_name),
    touched,
    changed,
    dependsOn,
    functionRefs,
    removed,
    indexCreates,
    constraintsByTable,
    keys: keysOf(intent, p, defaultSchema),
    who: who(intent),
    after: `after "${intent.feature_name}" merges`,
  };
}

function keysOf(intent: IntentInput, p: ParseResult, defaultSchema: string): string[] {
  const keys = new Set<string>();
  keys.add(`feature:${normalizeFeatureName(intent.feature_name)}`);
  for (const o of p.objects) {
    if (RELATION_KINDS.has(o.kind)) keys.add(`table:${o.qualified}`);
    else if (o.kind === 'function') keys.add(`function:${o.qualified}`);
    else if (o.kind === 'index') keys.add(`index:${o.qualified}`);
    else if (o.kind === 'type') keys.add(`type:${o.qualified}`);
    else if (o.kind === 'sequence') {
      // a sequence's name is a relation's too (ALTER TABLE alters sequences)
      keys.add(`sequence:${o.qualified}`);
      keys.add(`table:${o.qualified}`);
    } else if (o.kind === 'schema' || o.kind === 'extension') keys.add(`${o.kind}:${o.qualified}`);
    if (o.table !== undefined) keys.add(`table:${o.table}`);
    if (o.schema !== null && !SHARED_SCHEMAS.has(o.schema)) keys.add(`schema:${qualify(o.schema)}`);
  }
  for (const t of intent.tables_affected ?? []) {
    if (typeof t === 'string' && t.trim() !== '')
      keys.add(`table:${normalizeTableName(t, defaultSchema)}`);
  }
  return [...keys].sort();
}

/**
 * Sorted, deduplicated keys such that whenever `detectConflicts(a, b)` is
 * non-empty, `conflictKeys(a)` and `conflictKeys(b)` intersect:
 * `feature:<slug>`; `table:<q>` for every table, view and materialized view
 * (any action, references included) and for the table of every column,
 * constraint, index, trigger and policy; `index:<q>`, `function:<q>` (no
 * signature), `type:<q>`, `sequence:<q>` (and `table:<q>`: relations and
 * sequences share names), `schema:<name>`, `extension:<name>`;
 * and `schema:<s>` for objects in a schema other than public, pg_catalog,
 * pg_temp and information_schema (dropping or renaming such a schema affects
 * them). Pass `parsed` to avoid parsing again.
 */
export function conflictKeys(
  intent: IntentInput,
  parsed?: ParseResult,
  options?: ParseOptions,
): string[] {
  return keysOf(
    intent,
    parsed ?? parseScript(intent.schema_changes, options),
    options?.defaultSchema ?? 'public',
  );
}

// ------------------------------------------------------------------ rules

/**
 * The distinct strings of xs, sorted (as `[...new Set(xs)].sort()`, without
 * the Set: most lists here hold one or two names, and a Set per list was a
 * fifth of a hot table's comparisons).
 */
export function sorted(xs: Iterable<string>): string[] {
  const a = Array.isArray(xs) ? (xs as string[]).slice() : [...xs];
  if (a.length < 2) return a;
  if (a.length <= 8) {
    // insertion sort: the order of sort() (UTF-16 code units), without the
    // work array V8's sort allocates every time (a comparison makes up to
    // eight a candidate, and garbage is what a hot check pays for most)
    for (let i = 1; i < a.length; i++) {
      const x = a[i] as string;
      let j = i - 1;
      while (j >= 0 && (a[j] as string) > x) {
        a[j + 1] = a[j] as string;
        j--;
      }
      a[j + 1] = x;
    }
  } else a.sort();
  let w = 1;
  for (let r = 1; r < a.length; r++) if (a[r] !== a[w - 1]) a[w++] = a[r] as string;
  a.length = w;
  return a;
}

function who(i: IntentInput): string {
  return `${i.agent_id} (feature "${i.feature_name}")`;
}

function list(xs: string[], max = 8): string {
  if (xs.length <= max) return xs.join(', ');
  return `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}

const VERB: Record<ObjectAction, string> = {
  create: 'add',
  alter: 'alter',
  drop: 'drop',
  rename: 'rename',
  reference: 'use',
};

function verbs(objs: DbObject[], createVerb = 'add', third = false): string {
  const vs = sorted(objs.map((o) => (o.action === 'create' ? createVerb : VERB[o.action])));
  return (third ? vs.map((v) => `${v}s`) : vs).join('/');
}

function fnDisplay(o: DbObject): string {
  return o.signature !== undefined ? `${o.qualified}(${o.signature})` : o.qualified;
}

function sigCompatible(a: DbObject, b: DbObject): boolean {
  return a.signature === undefined || b.signature === undefined || a.signature === b.signature;
}

/**
 * The enum labels a set of changes to one type adds, when that is all they do
 * (ALTER TYPE ... ADD VALUE); undefined otherwise (create, drop, rename, RENAME VALUE).
 */
function addedLabels(objs: DbObject[]): string[] | undefined {
  const out: string[] = [];
  for (const o of objs) {
    if (o.action !== 'alter' || o.value === undefined || o.newValue !== undefined) return undefined;
    out.push(o.value);
  }
  return out;
}

function labels(vs: string[]): string {
  return sorted(vs)
    .map((v) => `'${v.replace(/'/g, "''")}'`)
    .join(', ');
}

/**
 * Objects changed by both under one name: the conflict types whose group
 * (see group()) is the type itself, each with its group prefix.
 */
const SAME_KINDS = (
  ['view', 'type', 'sequence', 'trigger', 'policy', 'schema', 'extension'] as ConflictType[]
).map((type) => [`${type}:`, type] as const);

/** Whether two indexes are on the same columns, in order (no columns: the same). */
function sameColumns(a: string[] | undefined, b: string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function anyStartsWith(
  shared: readonly [string, DbObject[], DbObject[]][],
  prefix: string,
): boolean {
  for (const [g] of shared) if (g.startsWith(prefix)) return true;
  return false;
}

/** The advice of reports made without it (never written to). */
const NO_ADVICE = Object.freeze([]) as unknown as string[];

/** One report (objects already sorted; advice dropped unless `say`). */
function report(
  type: ConflictType,
  severity: 'warning' | 'error',
  objects: string[],
  advice: string[],
  say: boolean,
): ConflictReport {
  return {
    conflict_type: type,
    severity,
    affected_objects: objects,
    resolution_suggestions: say ? advice : NO_ADVICE,
  };
}

type Shared = [string, DbObject[], DbObject[]];

/** xs with x added; a list made only when there is something to put in it. */
function more<T>(xs: T[] | undefined, ...x: T[]): T[] {
  if (xs === undefined) return x;
  for (const v of x) xs.push(v);
  return xs;
}
const NONE_SHARED: readonly Shared[] = Object.freeze([]);

/**
 * Compares two prepared intents. Same agent → no conflicts.
 *
 * The reports come in CONFLICT_TYPES order, because the rules below run in
 * that order and each adds at most one report. A newcomer on a hot table is
 * compared with hundreds of candidates at every call: nothing is allocated
 * for a rule that finds nothing.
 */
export function detectPrepared(
  a: PreparedIntent,
  b: PreparedIntent,
  options?: DetectOptions,
): ConflictReport[] {
  if (a.intent.agent_id === b.intent.agent_id) return [];
  const say = options?.advice !== false;
  const reports: ConflictReport[] = [];
  const other = b.who;
  const after = b.after;

  // the groups both change, in a's order: every per-object check below reads these
  let found: Shared[] | undefined;
  if (b.changed.size > 0) {
    for (const [g, objsA] of a.changed) {
      const objsB = b.changed.get(g);
      if (objsB) found = more(found, [g, objsA, objsB]);
    }
  }
  const shared: readonly Shared[] = found ?? NONE_SHARED;

  // table
  let both: string[] | undefined;
  for (const t of a.touched.keys()) if (b.touched.has(t)) both = more(both, t);
  if (both !== undefined) {
    const tables = sorted(both);
    reports.push(
      report(
        'table',
        'warning',
        tables,
        say
          ? [
              `Coordinate with ${other}: both change ${list(tables)}; apply your migration ${after}, or review the two migrations together before either runs.`,
            ]
          : NO_ADVICE,
        say,
      ),
    );
  }

  // column
  let colAdvice: string[] | undefined;
  let cols: string[] | undefined;
  for (const [g, objsA, objsB] of shared) {
    if (!g.startsWith('column:')) continue;
    const q = objsA[0]?.qualified as string;
    cols = more(cols, q);
    if (!say) continue;
    const va = verbs(objsA);
    const same = va === verbs(objsB);
    const vb = verbs(objsB, 'add', true);
    colAdvice = more(
      colAdvice,
      same && va === 'add'
        ? `Coordinate with ${other}: both add ${q}; agree on one definition and apply it once, ${after}.`
        : same
          ? `Coordinate with ${other}: both ${va} ${q}; agree on the column's final definition and apply your change ${after}.`
          : `Coordinate with ${other}: you ${va} ${q} and it ${vb} it; agree on the column's final definition and apply your change ${after}.`,
    );
  }
  if (cols !== undefined)
    reports.push(report('column', 'error', sorted(cols), sorted(colAdvice ?? NO_ADVICE), say));

  // function
  let fnAdvice: string[] | undefined;
  let fns: string[] | undefined;
  for (const [g, objsA, objsB] of shared) {
    if (!g.startsWith('function:')) continue;
    for (const fa of objsA) {
      const fb = objsB.find((x) => sigCompatible(fa, x));
      if (!fb) continue;
      fns = more(fns, fa.qualified);
      if (!say) continue;
      const va = verbs([fa], 'redefine');
      const vb = verbs([fb], 'redefine', true);
      fnAdvice = more(
        fnAdvice,
        va === verbs([fb], 'redefine')
          ? `Coordinate with ${other}: both ${va} ${fnDisplay(fa)}; merge the two definitions into one and apply it once, ${after}.`
          : `Coordinate with ${other}: you ${va} ${fnDisplay(fa)} and it ${vb} ${fnDisplay(fb)}; decide whether the function stays, then apply your change ${after}.`,
      );
    }
  }
  if (fns !== undefined)
    reports.push(report('function', 'error', sorted(fns), sorted(fnAdvice ?? NO_ADVICE), say));

  // index
  let idx: string[] | undefined;
  let idxAdvice: string[] | undefined;
  for (const [g, objsA, objsB] of shared) {
    if (!g.startsWith('index:')) continue;
    const q = objsA[0]?.qualified as string;
    idx = more(idx, q);
    const defines = (xs: DbObject[]) => xs.some((o) => o.action === 'create');
    if (say)
      idxAdvice = more(
        idxAdvice,
        defines(objsA) && defines(objsB)
          ? `Coordinate with ${other}: both define index ${q}; keep a single definition, or give yours another name.`
          : `Coordinate with ${other}: you ${verbs(objsA, 'define')} index ${q} and it ${verbs(objsB, 'define', true)} it; agree on whether the index stays, and apply your change ${after}.`,
      );
  }
  for (const ia of a.indexCreates) {
    for (const ib of b.indexCreates) {
      if (ia.table !== ib.table || ia.qualified === ib.qualified) continue;
      if (!sameColumns(ia.columns, ib.columns)) continue;
      idx = more(idx, ia.qualified, ib.qualified);
      if (say)
        idxAdvice = more(
          idxAdvice,
          `Combine the two index definitions on ${ia.table} (${(ia.columns ?? []).join(', ')}) into one: yours is ${ia.qualified}, ${other} creates ${ib.qualified}; drop yours from your migration, or agree to keep only one.`,
        );
    }
  }
  if (idx !== undefined)
    reports.push(report('index', 'warning', sorted(idx), sorted(idxAdvice ?? NO_ADVICE), say));

  // constraint
  let sameCons: string[] | undefined;
  let consAdvice: string[] | undefined;
  for (const [g, objsA, objsB] of shared) {
    if (!g.startsWith('constraint:')) continue;
    const o = objsA[0] as DbObject;
    sameCons = more(sameCons, o.qualified);
    const defines = (xs: DbObject[]) => xs.some((x) => x.action === 'create');
    if (say)
      consAdvice = more(
        consAdvice,
        defines(objsA) && defines(objsB)
          ? `Coordinate with ${other}: both define constraint ${o.qualified} on ${o.table}; keep one definition, or give yours another name, and apply your change ${after}.`
          : `Coordinate with ${other}: you ${verbs(objsA, 'define')} constraint ${o.qualified} on ${o.table} and it ${verbs(objsB, 'define', true)} it; agree on the constraint's final definition and apply your change ${after}.`,
      );
  }
  if (sameCons !== undefined)
    reports.push(
      report('constraint', 'error', sorted(sameCons), sorted(consAdvice ?? NO_ADVICE), say),
    );
  else {
    const ca = a.constraintsByTable;
    const cb = b.constraintsByTable;
    let objs: string[] | undefined;
    let adv: string[] | undefined;
    for (const [t, namesA] of ca) {
      const namesB = cb.get(t);
      if (!namesB) continue;
      objs = more(objs, ...namesA, ...namesB);
      if (say)
        adv = more(
          adv,
          `Both you and ${other} add or drop constraints on ${t} (yours: ${list(sorted(namesA))}; theirs: ${list(sorted(namesB))}); apply your migration ${after} and check that existing rows satisfy both sets of constraints.`,
        );
    }
    if (objs !== undefined)
      reports.push(report('constraint', 'warning', sorted(objs), sorted(adv ?? NO_ADVICE), say));
  }

  // timing
  if (a.feature === b.feature) {
    reports.push(
      report(
        'timing',
        'warning',
        [a.feature],
        say
          ? [
              `${other} is already working on the same feature (normalised name "${a.feature}"); agree with ${b.intent.agent_id} on who does what before starting, or register under a distinct feature name.`,
            ]
          : NO_ADVICE,
        say,
      ),
    );
  }

  // dependency
  let dep: Set<string> | undefined;
  let depAdvice: string[] | undefined;
  const dependency = (from: PreparedIntent, on: PreparedIntent, aRemoves: boolean) => {
    for (const r of from.removed) {
      let hit = false;
      if (r.kind === 'function') {
        hit = on.functionRefs.some((f) => f.qualified === r.qualified && sigCompatible(f, r));
      } else {
        const k = depKey(r);
        hit = k !== undefined && on.dependsOn.has(k);
        // tables, views and sequences share pg_class's names: ALTER TABLE of
        // a sequence (pg_dump's OWNER TO) depends on the sequence
        const other = sameNameRelation(r);
        if (!hit && other !== undefined) hit = on.dependsOn.has(other);
        // a column of a table a view reads with `*`
        if (!hit && r.kind === 'column' && r.table !== undefined && r.renamedFrom === undefined) {
          hit = on.dependsOn.has(`allcols:${r.table}`);
        }
      }
      if (!hit) continue;
      if (dep === undefined) dep = new Set();
      dep.add(r.qualified);
      if (!say) continue;
      const shown = r.kind === 'function' ? fnDisplay(r) : r.qualified;
      const how =
        r.action === 'drop'
          ? `drop${aRemoves ? '' : 's'} ${shown}`
          : r.renamedFrom !== undefined
            ? `create${aRemoves ? '' : 's'} ${shown} by renaming ${r.renamedFrom}`
            : `rename${aRemoves ? '' : 's'} ${shown}${r.newName !== undefined ? ` (new name ${r.newName})` : ''}`;
      depAdvice = more(
        depAdvice,
        aRemoves
          ? `Your change would ${how}, which ${other} depends on; apply yours only ${after} and ${b.intent.agent_id} has adapted, or keep ${shown}.`
          : `${other} ${how}, which your change depends on; do not apply yours before agreeing with ${b.intent.agent_id}: either it keeps ${shown}, or you rework your change and apply it ${after}.`,
      );
    }
  };
  if (b.removed.length > 0) dependency(b, a, false);
  if (a.removed.length > 0) dependency(a, b, true);
  if (dep !== undefined)
    reports.push(report('dependency', 'error', sorted(dep), sorted(depAdvice ?? NO_ADVICE), say));

  // same object changed by both
  for (const [prefix, type] of SAME_KINDS) {
    if (!anyStartsWith(shared, prefix)) continue;
    const objs: string[] = [];
    const ordering: string[] = [];
    const advice: string[] = [];
    for (const [g, objsA, objsB] of shared) {
      if (!g.startsWith(prefix)) continue;
      const q = objsA[0]?.qualified as string;
      objs.push(q);
      const la = addedLabels(objsA);
      const lb = addedLabels(objsB);
      if (type === 'type' && la && lb && !la.some((v) => lb.includes(v))) {
        // different values added to one enum: only their order is at stake
        ordering.push(q);
        if (say)
          advice.push(
            `Coordinate with ${other}: you add ${labels(la)} and it adds ${labels(lb)} to enum ${q}; PostgreSQL keeps values in the order they are added, so agree on the order (ADD VALUE ... BEFORE/AFTER) if it matters, and apply yours ${after}.`,
          );
      } else {
        if (say)
          advice.push(
            `Coordinate with ${other}: both change ${type} ${q}; combine the definitions and apply them once, ${after}.`,
          );
      }
    }
    if (objs.length === 0) continue;
    const s = sorted(objs);
    reports.push(
      report(type, ordering.length === objs.length ? 'warning' : 'error', s, sorted(advice), say),
    );
  }

  return reports;
}

/**
 * Conflicts between `a` (the newcomer) and `b` (an existing intent), using
 * parse results the caller already has (e.g. stored with each intent), so
 * nothing is parsed again.
 */
export function detectParsed(
  a: IntentInput,
  parsedA: ParseResult,
  b: IntentInput,
  parsedB: ParseResult,
  options?: ParseOptions,
): ConflictReport[] {
  if (a.agent_id === b.agent_id) return [];
  return detectPrepared(prepareIntent(a, parsedA, options), prepareIntent(b, parsedB, options));
}

/** Parses both intents and compares them. For many comparisons use `prepareIntent` + `detectPrepared`. */
export function detectConflicts(
  a: IntentInput,
  b: IntentInput,
  options?: ParseOptions,
): ConflictReport[] {
  if (a.agent_id === b.agent_id) return [];
  return detectPrepared(prepareIntent(a, undefined, options), prepareIntent(b, undefined, options));
}
