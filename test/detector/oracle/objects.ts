/**
 * TEST-ONLY oracle: derives the object set of a statement from PostgreSQL's real
 * parse tree (libpg-query), independently of the detector's token parser. It
 * implements the object model documented in src/detector (kinds, actions,
 * qualified names, implicit objects, signatures, references) straight from the
 * AST: which identifiers are columns, types or functions, which FROM items a
 * query has, what a constraint or an index element is, comes from the tree.
 *
 * What it shares with the detector is bookkeeping and policy, not parsing:
 * PostgreSQL's naming rules (naming.ts, checked against PostgreSQL itself by the
 * catalog replay), the shadow catalog of names the script created (shadow.ts),
 * the attribution rules for an ambiguous column (scope.ts) and where an
 * unqualified function or type lives (exprs.ts, datatypes.ts).
 *
 * libpg-query cannot parse PL/pgSQL: for a PL/pgSQL function and a DO block the
 * oracle knows the statement's own objects only (`bodyUnknown`); the catalog
 * replay checks what their bodies do.
 */
import { loadModule, parseSync } from 'libpg-query';
import type { Ctx } from '../../../src/detector/context.js';
import { isBuiltinType, typeReference } from '../../../src/detector/datatypes.js';
import { functionCall, qualifiedNameFromString } from '../../../src/detector/exprs.js';
import { type DbObject, qualify, quoteIdent } from '../../../src/detector/index.js';
import {
  chooseCheckName,
  chooseDomainCheckName,
  chooseForeignKeyName,
  chooseIndexName,
  chooseSequenceName,
  type IndexNameKind,
  indexColumnNames,
  multirangeTypeName,
} from '../../../src/detector/naming.js';
import {
  type RangeEntry,
  resolveColumn,
  resolveStar,
  type Scope,
  tableEntry,
} from '../../../src/detector/scope.js';
import { newSettingsState } from '../../../src/detector/settings.js';
import {
  type IndexInfo,
  type RelationInfo,
  relKey,
  ShadowCatalog,
  splitKey,
} from '../../../src/detector/shadow.js';

export { loadModule };

export interface OracleObject {
  kind: string;
  action: string;
  qualified: string;
  signature?: string;
  /** Plain index key columns (only when every key is a plain column without options). */
  columns?: string[];
}

export interface OracleResult {
  /** The statement kinds the detector analyses produce objects; others are `unsupported`. */
  supported: boolean;
  /** A PL/pgSQL body the oracle cannot read: the detector may add references from it. */
  bodyUnknown?: boolean;
  /** That body runs now (DO, CALL): the detector's objects are the catalog replay's to check. */
  live?: boolean;
  objects: OracleObject[];
}

// biome-ignore lint/suspicious/noExplicitAny: AST nodes are untyped JSON here
type Node = any;

const str = (n: Node): string => n?.String?.sval ?? '';

/** A deterministic key of AST nodes, without source locations. */
function astKey(n: Node): string {
  return JSON.stringify(n, (k, v) => (k === 'location' ? undefined : v));
}
const names = (l: Node[] | undefined): string[] => (l ?? []).map(str);

const PG_TYPES: Record<string, string> = {
  int4: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  float8: 'double precision',
  float4: 'real',
  varchar: 'character varying',
  bpchar: 'character',
  bool: 'boolean',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
  numeric: 'numeric',
  varbit: 'bit varying',
  bit: 'bit',
  interval: 'interval',
  json: 'json',
};
const USER_SYNONYMS: Record<string, string> = {
  ...PG_TYPES,
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallserial: 'smallint',
  serial2: 'smallint',
};

function typeName(t: Node, schema: string): string {
  const ns: string[] = names(t.names);
  let base: string;
  if (t.pct_type) base = `${ns.map(quoteIdent).join('.')}%type`;
  else if (ns.length === 2 && ns[0] === 'pg_catalog') {
    const n = ns[1] as string;
    base = PG_TYPES[n] ?? quoteIdent(n);
  } else if (ns.length === 1) {
    const n = ns[0] as string;
    base = Object.hasOwn(USER_SYNONYMS, n) ? (USER_SYNONYMS[n] as string) : quoteIdent(n);
  } else {
    const s = ns[ns.length - 2] as string;
    const n = ns[ns.length - 1] as string;
    base = s === schema ? quoteIdent(n) : qualify(s, n);
  }
  return t.arrayBounds && t.arrayBounds.length > 0 ? `${base}[]` : base;
}

function signatureOf(params: Node[] | undefined, schema: string): string {
  const out: string[] = [];
  for (const p of params ?? []) {
    const fp = p.FunctionParameter;
    if (!fp) continue;
    if (fp.mode === 'FUNC_PARAM_OUT' || fp.mode === 'FUNC_PARAM_TABLE') continue;
    out.push(typeName(fp.argType, schema));
  }
  return out.join(',');
}

/** The pg_type name the grammar gives a type (FigureColname of a cast). */
function typeLabel(t: Node): string {
  const ns = names(t.names);
  return ns[ns.length - 1] ?? '';
}

/** FigureColnameInternal (parse_target.c) on the AST. */
export function figure(n: Node): { name: string; strength: number } {
  if (!n || typeof n !== 'object') return { name: '', strength: 0 };
  if (n.ColumnRef) {
    const f = n.ColumnRef.fields as Node[];
    const last = f[f.length - 1];
    return last?.String ? { name: str(last), strength: 2 } : { name: '', strength: 0 };
  }
  if (n.A_Indirection) {
    let fname: string | undefined;
    for (const i of n.A_Indirection.indirection ?? []) if (i.String) fname = str(i);
    if (fname !== undefined) return { name: fname, strength: 2 };
    return figure(n.A_Indirection.arg);
  }
  if (n.FuncCall) {
    const fn = n.FuncCall.funcname as Node[];
    return { name: str(fn[fn.length - 1]), strength: 2 };
  }
  if (n.A_Expr) {
    if (n.A_Expr.kind === 'AEXPR_NULLIF') return { name: 'nullif', strength: 2 };
    return { name: '', strength: 0 };
  }
  if (n.TypeCast) {
    const s = figure(n.TypeCast.arg);
    if (s.strength <= 1 && n.TypeCast.typeName)
      return { name: typeLabel(n.TypeCast.typeName), strength: 1 };
    return s;
  }
  if (n.CollateClause) return figure(n.CollateClause.arg);
  if (n.GroupingFunc) return { name: 'grouping', strength: 2 };
  if (n.SubLink) {
    const t = n.SubLink.subLinkType;
    if (t === 'EXISTS_SUBLINK') return { name: 'exists', strength: 2 };
    if (t === 'ARRAY_SUBLINK') return { name: 'array', strength: 2 };
    return { name: '', strength: 0 };
  }
  if (n.CaseExpr) {
    const s = figure(n.CaseExpr.defresult);
    return s.strength <= 1 ? { name: 'case', strength: 1 } : s;
  }
  // ARRAY[...] and ROW() act like functions
  if (n.A_ArrayExpr) return { name: 'array', strength: 2 };
  if (n.RowExpr) return { name: 'row', strength: 2 };
  if (n.CoalesceExpr) return { name: 'coalesce', strength: 2 };
  if (n.MinMaxExpr)
    return { name: n.MinMaxExpr.op === 'IS_GREATEST' ? 'greatest' : 'least', strength: 2 };
  if (n.SQLValueFunction) {
    const m: Record<string, string> = {
      SVFOP_CURRENT_DATE: 'current_date',
      SVFOP_CURRENT_TIME: 'current_time',
      SVFOP_CURRENT_TIME_N: 'current_time',
      SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
      SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
      SVFOP_LOCALTIME: 'localtime',
      SVFOP_LOCALTIME_N: 'localtime',
      SVFOP_LOCALTIMESTAMP: 'localtimestamp',
      SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
      SVFOP_CURRENT_ROLE: 'current_role',
      SVFOP_CURRENT_USER: 'current_user',
      SVFOP_USER: 'user',
      SVFOP_SESSION_USER: 'session_user',
      SVFOP_CURRENT_CATALOG: 'current_catalog',
      SVFOP_CURRENT_SCHEMA: 'current_schema',
    };
    return { name: m[n.SQLValueFunction.op] ?? '', strength: 2 };
  }
  return { name: '', strength: 0 };
}

const REL_KIND: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized_view',
  OBJECT_INDEX: 'index',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_FOREIGN_TABLE: 'table',
};

const FUNCTION_KINDS = [
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_AGGREGATE',
  'OBJECT_ROUTINE',
];

interface Con {
  type: 'p' | 'u' | 'x' | 'c' | 'f';
  name?: string;
  columns: string[];
  include: string[];
  labels?: string[];
  keyTexts?: string[];
  check?: Node;
  noInherit?: boolean;
  refTable?: Node;
  refColumns: string[];
  usingIndex?: string;
  sig: string;
}

/** A SET's values: identifiers come folded, literals verbatim, both as strings. */
function argValues(args: Node[] | undefined): string[] {
  const out: string[] = [];
  for (const a of args ?? []) {
    const v = a.A_Const?.sval?.sval ?? (a.String ? a.String.sval : undefined);
    if (typeof v === 'string') out.push(v);
  }
  return out;
}

/** set_config's text: names split at commas outside quotes, unquoted ones folded. */
function splitPathText(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\s*("(?:[^"]|"")*"|[^,]*)\s*(?:,|$)/g)) {
    const raw = (m[1] ?? '').trim();
    if (m[0] === '') break;
    if (raw.startsWith('"')) out.push(raw.slice(1, -1).replace(/""/g, '"'));
    else if (raw !== '') out.push(raw.toLowerCase());
  }
  return out;
}

/**
 * Where unqualified names go under a path: the first schema that is not
 * pg_catalog (searched first anyway), pg_temp or $user; pg_catalog when there
 * is none (pg_dump's empty path).
 */
function firstUserSchema(path: string[]): string {
  return (
    path.find((x) => x !== '' && x !== '$user' && x !== 'pg_catalog' && !x.startsWith('pg_temp')) ??
    'pg_catalog'
  );
}

interface PathSnapshot {
  session: string;
  local: string | undefined;
}

class Collector {
  ctx: Ctx;
  /** The search path: the session's value, a SET LOCAL's, the open transaction. */
  session: string;
  local: string | undefined;
  txn: { atBegin: string; savepoints: (PathSnapshot & { name: string })[] } | undefined;
  supported = true;
  bodyUnknown = false;
  /** A DO block or CALL: a body runs now, its objects are not known here. */
  live = false;
  constructor(schema: string) {
    this.session = schema;
    this.ctx = {
      schema,
      defaultSchema: schema,
      standardStrings: true,
      settings: newSettingsState(schema),
      objects: [],
      warnings: [],
      depth: 0,
      cat: new ShadowCatalog(),
      live: true,
      analyse: () => 'UNKNOWN',
    };
  }

  get cat(): ShadowCatalog {
    return this.ctx.cat;
  }

  push(
    kind: string,
    action: string,
    schema: string | null,
    name: string,
    table?: [string, string],
  ): DbObject {
    const o = {
      kind,
      action,
      schema,
      name,
      qualified:
        table && kind !== 'index'
          ? qualify(table[0], table[1], name)
          : schema === null
            ? quoteIdent(name)
            : qualify(schema, name),
    } as DbObject;
    if (table) o.table = qualify(table[0], table[1]);
    this.ctx.objects.push(o);
    return o;
  }

  rvSchema(rv: Node, temp = false): string {
    if (rv.schemaname) return rv.schemaname;
    if (temp || rv.relpersistence === 't') return 'pg_temp';
    return this.ctx.schema;
  }

  /** An existing relation named by a RangeVar (temporary and catalog relations first). */
  existing(rv: Node): [string, string] {
    if (!rv.schemaname) {
      const n = rv.relname as string;
      if (this.cat.relationTaken('pg_temp', n) || this.ctx.bodyRelations?.has(`pg_temp.${n}`))
        return ['pg_temp', n];
      if (n.startsWith('pg_') && CATALOG_RELATION_SET.has(n)) return ['pg_catalog', n];
    }
    return [rv.schemaname ?? this.ctx.schema, rv.relname];
  }

  ref(rv: Node, kind = 'table'): [string, string] {
    const t = this.existing(rv);
    if (!this.ctx.bodyRelations?.has(qualify(...t))) this.push(kind, 'reference', t[0], t[1]);
    return t;
  }

  namesObj(kind: string, action: string, ns: string[]): [string, string] {
    const n = ns.length;
    const schema = n >= 2 ? (ns[n - 2] as string) : this.ctx.schema;
    const name = ns[n - 1] as string;
    this.push(kind, action, schema, name);
    return [schema, name];
  }

  fn(action: string, ns: string[], signature?: string): DbObject {
    const n = ns.length;
    const schema = n >= 2 ? (ns[n - 2] as string) : this.ctx.schema;
    const o = this.push('function', action, schema, ns[n - 1] as string);
    if (signature !== undefined) o.signature = signature;
    return o;
  }

  owa(action: string, owa: Node): DbObject {
    const sig = owa.args_unspecified ? undefined : signatureOf(owa.objfuncargs, this.ctx.schema);
    for (const a of owa.objfuncargs ?? []) this.typeRef(a.FunctionParameter?.argType);
    return this.fn(action, names(owa.objname), sig);
  }

  renamePair(
    kind: string,
    old: [string | null, string],
    neu: [string | null, string],
    table?: [string, string],
  ): void {
    this.push(kind, 'rename', old[0], old[1], table);
    this.push(kind, 'rename', neu[0], neu[1], table);
  }

  typeRef(t: Node | undefined): undefined {
    if (!t || t.pct_type) return;
    const ns = names(t.names);
    if (ns.length === 0) return;
    if (ns.length > 1 ? ns[ns.length - 2] === 'pg_catalog' : isBuiltinType(ns[0] as string)) return;
    typeReference(this.ctx, ns);
  }

  // ------------------------------------------------------------ expressions

  expr(n: Node, scope: Scope): undefined {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) this.expr(x, scope);
      return;
    }
    if (n.ColumnRef) {
      const f = n.ColumnRef.fields as Node[];
      const last = f[f.length - 1];
      if (last?.A_Star) {
        if (f.length === 2) resolveStar(this.ctx, scope, str(f[0]));
        return;
      }
      const parts = f.map(str);
      if (parts.length === 1 && scope.outputNames?.has(parts[0] as string)) return;
      resolveColumn(this.ctx, scope, parts);
      return;
    }
    if (n.FuncCall) {
      const fc = n.FuncCall;
      const fname = names(fc.funcname);
      if (fc.funcformat === 'COERCE_EXPLICIT_CALL' || fname[0] !== 'pg_catalog')
        functionCall(this.ctx, fname);
      const last = fname[fname.length - 1] as string;
      if (
        ['nextval', 'currval', 'setval'].includes(last) &&
        (fname.length === 1 || fname[0] === 'pg_catalog')
      ) {
        let a = fc.args?.[0];
        if (a?.TypeCast?.arg?.A_Const) a = a.TypeCast.arg;
        const s = a?.A_Const?.sval?.sval;
        if (typeof s === 'string') {
          const parts = qualifiedNameFromString(s);
          if (parts) {
            const schema =
              parts.length >= 2 ? (parts[parts.length - 2] as string) : this.ctx.schema;
            const name = parts[parts.length - 1] as string;
            if (!this.ctx.bodyRelations?.has(qualify(schema, name)))
              this.push('sequence', 'reference', schema, name);
          }
        }
      }
      this.expr(fc.args, scope);
      this.expr(fc.agg_order, scope);
      this.expr(fc.agg_filter, scope);
      if (fc.over) {
        this.expr(fc.over.WindowDef?.partitionClause ?? fc.over.partitionClause, scope);
        this.expr(fc.over.WindowDef?.orderClause ?? fc.over.orderClause, scope);
      }
      return;
    }
    if (n.TypeCast) {
      this.typeRef(n.TypeCast.typeName);
      this.expr(n.TypeCast.arg, scope);
      return;
    }
    if (n.SubLink) {
      this.expr(n.SubLink.testexpr, scope);
      this.select(n.SubLink.subselect, scope);
      return;
    }
    if (n.WindowDef) {
      this.expr(n.WindowDef.partitionClause, scope);
      this.expr(n.WindowDef.orderClause, scope);
      return;
    }
    if (n.SelectStmt || n.InsertStmt || n.UpdateStmt || n.DeleteStmt) {
      this.query(n, scope);
      return;
    }
    for (const k of Object.keys(n)) {
      if (k === 'location' || k === 'typeName') continue;
      const v = n[k];
      if (v && typeof v === 'object') this.expr(v, scope);
    }
  }

  // ------------------------------------------------------------ queries

  query(n: Node, parent?: Scope, stored?: boolean): { columns?: string[] } {
    if (n.SelectStmt) return this.select(n, parent, stored);
    if (n.InsertStmt) return this.insert(n.InsertStmt, parent);
    if (n.UpdateStmt) return this.update(n.UpdateStmt, parent);
    if (n.DeleteStmt) return this.delete(n.DeleteStmt, parent);
    if (n.MergeStmt) return this.merge(n.MergeStmt, parent);
    return {};
  }

  withScope(w: Node, parent: Scope | undefined, stored?: boolean): Scope | undefined {
    if (!w) return parent;
    const ctes = new Map<string, string[] | undefined>();
    const cs = { entries: [], parent, ctes, stored } as Scope & { ctes: typeof ctes };
    for (const c of w.ctes ?? []) {
      const cte = c.CommonTableExpr;
      const cols = cte.aliascolnames ? names(cte.aliascolnames) : undefined;
      if (w.recursive) ctes.set(cte.ctename, cols);
      const shape = this.query(cte.ctequery, cs);
      ctes.set(cte.ctename, cols ?? shape.columns);
    }
    return cs;
  }

  findCte(scope: Scope | undefined, name: string): { columns?: string[] } | undefined {
    for (let s = scope; s; s = s.parent) {
      const m = (s as Scope & { ctes?: Map<string, string[] | undefined> }).ctes;
      if (m?.has(name)) return { columns: m.get(name) };
    }
    return undefined;
  }

  fromName(rv: Node, scope: Scope | undefined): RangeEntry {
    if (!rv.schemaname) {
      const cte = this.findCte(scope, rv.relname);
      if (cte) return { ref: rv.alias?.aliasname ?? rv.relname, columns: cte.columns };
    }
    const t = this.ref(rv);
    const alias = rv.alias?.aliasname;
    if (rv.alias?.colnames) return { ref: alias, columns: undefined };
    return tableEntry(this.ctx, t, alias);
  }

  /** FROM items into `scope`; ON and lateral work deferred until all entries exist. */
  fromItem(n: Node, scope: Scope, deferred: (() => void)[]): RangeEntry[] {
    if (n.RangeVar) {
      const e = this.fromName(n.RangeVar, scope);
      scope.entries.push(e);
      return [e];
    }
    if (n.RangeSubselect) {
      const rs = n.RangeSubselect;
      const e: RangeEntry = { ref: rs.alias?.aliasname ?? '', columns: undefined };
      scope.entries.push(e);
      const cols = rs.alias?.colnames ? names(rs.alias.colnames) : undefined;
      const run = () => {
        const shape = this.query(rs.subquery, rs.lateral ? scope : scope.parent);
        e.columns = cols ?? shape.columns;
      };
      if (rs.lateral) deferred.push(run);
      else run();
      return [e];
    }
    if (n.RangeFunction) {
      const rf = n.RangeFunction;
      const fnames = (rf.functions ?? []).map((l: Node) => l.List?.items?.[0]);
      const first = fnames[0]?.FuncCall ? names(fnames[0].FuncCall.funcname) : undefined;
      const ref = rf.alias?.aliasname ?? (rf.is_rowsfrom ? '' : (first?.[first.length - 1] ?? ''));
      const e: RangeEntry = {
        ref,
        columns: rf.alias?.colnames ? names(rf.alias.colnames) : undefined,
      };
      scope.entries.push(e);
      deferred.push(() => {
        for (const f of fnames) this.expr(f, scope);
      });
      return [e];
    }
    if (n.RangeTableSample) return this.fromItem(n.RangeTableSample.relation, scope, deferred);
    if (n.JoinExpr) {
      const j = n.JoinExpr;
      const l = this.fromItem(j.larg, scope, deferred);
      const r = this.fromItem(j.rarg, scope, deferred);
      if (j.quals) deferred.push(() => this.expr(j.quals, scope));
      if (j.usingClause) {
        const cols = names(j.usingClause);
        deferred.push(() => {
          for (const col of cols) {
            for (const side of [l, r]) {
              const hits = side.filter((e) => e.columns?.includes(col));
              const target =
                side.length === 1
                  ? side[0]
                  : hits.length === 1 && side.every((e) => e.columns)
                    ? hits[0]
                    : undefined;
              if (target?.table && side.some((e) => e.table))
                this.push('column', 'reference', target.table[0], col, target.table);
            }
          }
        });
      }
      if (j.alias) {
        const e: RangeEntry = { ref: j.alias.aliasname, columns: undefined };
        scope.entries.push(e);
        return [...l, ...r, e];
      }
      return [...l, ...r];
    }
    return [];
  }

  select(n: Node, parent?: Scope, stored?: boolean, lastOfSet = false): { columns?: string[] } {
    // set-operation branches are bare SelectStmt bodies
    const s = n.SelectStmt ?? (n.op !== undefined || n.targetList || n.valuesLists ? n : undefined);
    if (!s) return this.query(n, parent, stored);
    const scopeParent = this.withScope(s.withClause, parent, stored);
    if (s.op && s.op !== 'SETOP_NONE') {
      const l = this.select(s.larg, scopeParent, stored, false);
      this.select(s.rarg, scopeParent, stored, true);
      // ORDER BY / LIMIT of the set: output names only
      this.expr(s.sortClause, { entries: [], parent: scopeParent, outputNames: new Set() });
      this.expr(s.limitCount, { entries: [], parent: scopeParent });
      this.expr(s.limitOffset, { entries: [], parent: scopeParent });
      return l;
    }
    if (s.valuesLists) {
      const sc: Scope = { entries: [], parent: scopeParent };
      this.expr(s.valuesLists, sc);
      const n0 = s.valuesLists[0]?.List?.items?.length ?? 0;
      return { columns: Array.from({ length: n0 }, (_, i) => `column${i + 1}`) };
    }
    const scope: Scope = { entries: [], parent: scopeParent, stored };
    const deferred: (() => void)[] = [];
    for (const f of s.fromClause ?? []) this.fromItem(f, scope, deferred);
    for (const d of deferred) d();
    const out: string[] = [];
    let known = true;
    for (const t of s.targetList ?? []) {
      const rt = t.ResTarget;
      const v = rt.val;
      const f = v?.ColumnRef?.fields as Node[] | undefined;
      if (f?.[f.length - 1]?.A_Star) {
        const ref = f.length === 2 ? str(f[0]) : undefined;
        resolveStar(this.ctx, scope, ref);
        for (const e of scope.entries) {
          if (ref !== undefined && e.ref !== ref) continue;
          if (e.columns) out.push(...e.columns);
          else known = false;
        }
        continue;
      }
      this.expr(v, scope);
      if (rt.name !== undefined) out.push(rt.name);
      else {
        const fg = figure(v);
        out.push(fg.strength > 0 ? fg.name : '?column?');
      }
    }
    const outputs: Scope = { ...scope, outputNames: new Set(out) };
    if (Array.isArray(s.distinctClause))
      this.expr(
        s.distinctClause.filter((x: Node) => Object.keys(x).length > 0),
        outputs,
      );
    if (s.intoClause && this.ctx.live && parent === undefined)
      this.selectInto(s.intoClause, known ? out : undefined);
    this.expr(s.whereClause, scope);
    this.expr(s.groupClause, outputs);
    this.expr(s.havingClause, scope);
    for (const w of s.windowClause ?? []) this.expr(w, scope);
    this.expr(
      s.sortClause,
      lastOfSet ? { entries: [], parent: scopeParent, outputNames: new Set() } : outputs,
    );
    this.expr(s.limitCount, { entries: [], parent: scopeParent });
    this.expr(s.limitOffset, { entries: [], parent: scopeParent });
    return known ? { columns: out } : {};
  }

  selectInto(into: Node, columns: string[] | undefined): undefined {
    const rv = into.rel;
    const schema = this.rvSchema(rv);
    this.push('table', 'create', schema, rv.relname);
    if (columns)
      for (const c of new Set(columns))
        this.push('column', 'create', schema, c, [schema, rv.relname]);
    this.cat.addTable(schema, rv.relname, columns);
  }

  dmlTarget(rv: Node, scope: Scope | undefined): RangeEntry {
    return this.fromName(rv, scope);
  }

  colTarget(t: RangeEntry, col: string): void {
    if (t.table && (t.columns === undefined || t.columns.includes(col)))
      this.push('column', 'reference', t.table[0], col, t.table);
  }

  assignments(list: Node[] | undefined, t: RangeEntry, scope: Scope): void {
    for (const x of list ?? []) {
      const rt = x.ResTarget;
      if (rt.name !== undefined) this.colTarget(t, rt.name);
      if (rt.val?.MultiAssignRef) {
        if (rt.val.MultiAssignRef.colno === 1) this.expr(rt.val.MultiAssignRef.source, scope);
      } else this.expr(rt.val, scope);
    }
  }

  insert(n: Node, parent?: Scope): { columns?: string[] } {
    const scopeParent = this.withScope(n.withClause, parent);
    const t = this.dmlTarget(n.relation, scopeParent);
    for (const c of n.cols ?? []) this.colTarget(t, c.ResTarget.name);
    if (n.selectStmt) this.select(n.selectStmt, scopeParent);
    const own: Scope = { entries: [t], parent: scopeParent };
    const oc = n.onConflictClause;
    if (oc) {
      for (const e of oc.infer?.indexElems ?? []) {
        const ie = e.IndexElem;
        if (ie.name !== undefined) resolveColumn(this.ctx, own, [ie.name]);
        else this.expr(ie.expr, own);
      }
      this.expr(oc.infer?.whereClause, own);
      const both: Scope = {
        entries: [t, { ...t, ref: 'excluded', schemaRef: undefined }],
        parent: scopeParent,
      };
      this.assignments(oc.targetList, t, both);
      this.expr(oc.whereClause, both);
    }
    this.returning(n.returningList, own);
    return {};
  }

  returning(list: Node[] | undefined, scope: Scope): void {
    for (const x of list ?? []) {
      const v = x.ResTarget.val;
      const f = v?.ColumnRef?.fields as Node[] | undefined;
      if (f?.[f.length - 1]?.A_Star)
        resolveStar(this.ctx, scope, f.length === 2 ? str(f[0]) : undefined);
      else this.expr(v, scope);
    }
  }

  update(n: Node, parent?: Scope): { columns?: string[] } {
    const scopeParent = this.withScope(n.withClause, parent);
    const t = this.dmlTarget(n.relation, scopeParent);
    const scope: Scope = { entries: [t], parent: scopeParent };
    const deferred: (() => void)[] = [];
    for (const f of n.fromClause ?? []) this.fromItem(f, scope, deferred);
    for (const d of deferred) d();
    this.assignments(n.targetList, t, scope);
    if (!n.whereClause?.CurrentOfExpr) this.expr(n.whereClause, scope);
    this.returning(n.returningList, scope);
    return {};
  }

  delete(n: Node, parent?: Scope): { columns?: string[] } {
    const scopeParent = this.withScope(n.withClause, parent);
    const t = this.dmlTarget(n.relation, scopeParent);
    const scope: Scope = { entries: [t], parent: scopeParent };
    const deferred: (() => void)[] = [];
    for (const f of n.usingClause ?? []) this.fromItem(f, scope, deferred);
    for (const d of deferred) d();
    if (!n.whereClause?.CurrentOfExpr) this.expr(n.whereClause, scope);
    this.returning(n.returningList, scope);
    return {};
  }

  merge(n: Node, parent?: Scope): { columns?: string[] } {
    const scopeParent = this.withScope(n.withClause, parent);
    const t = this.dmlTarget(n.relation, scopeParent);
    const scope: Scope = { entries: [t], parent: scopeParent };
    const deferred: (() => void)[] = [];
    this.fromItem(n.sourceRelation, scope, deferred);
    for (const d of deferred) d();
    this.expr(n.joinCondition, scope);
    for (const w of n.mergeWhenClauses ?? []) {
      const mw = w.MergeWhenClause;
      this.expr(mw.condition, scope);
      if (mw.commandType === 'CMD_UPDATE') this.assignments(mw.targetList, t, scope);
      if (mw.commandType === 'CMD_INSERT') {
        for (const c of mw.targetList ?? []) this.colTarget(t, c.ResTarget.name);
        this.expr(mw.values, scope);
      }
    }
    return {};
  }

  // ------------------------------------------------------------ tables

  tableScope(
    table: [string, string],
    columns: string[] | undefined,
    onColumn?: Scope['onColumn'],
  ): Scope {
    return { entries: [{ ref: table[1], table, schemaRef: table[0], columns }], onColumn };
  }

  indexElem(e: Node, scope: Scope): { label: string; column?: string; plain: boolean } {
    const ie = e.IndexElem ?? e;
    const plain =
      ie.ordering === 'SORTBY_DEFAULT' &&
      ie.nulls_ordering === 'SORTBY_NULLS_DEFAULT' &&
      !ie.opclass &&
      !ie.collation;
    if (ie.name !== undefined) return { label: ie.name, column: ie.name, plain };
    this.expr(ie.expr, scope);
    const f = figure(ie.expr);
    return { label: f.strength > 0 ? f.name : 'expr', plain: false };
  }

  constraint(c: Node, column: string | undefined, scope: Scope): Con | undefined {
    const base = { include: names(c.including), refColumns: [] as string[] };
    const extra = [
      c.deferrable ? 'deferrable' : '',
      c.initdeferred ? 'initially deferred' : '',
    ].filter((x) => x);
    switch (c.contype) {
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE': {
        const type = c.contype === 'CONSTR_PRIMARY' ? 'p' : 'u';
        if (c.indexname)
          return { ...base, type, name: c.conname, columns: [], usingIndex: c.indexname, sig: '' };
        const cols = column !== undefined ? [column] : names(c.keys);
        const sig = [
          '',
          cols.join(','),
          base.include.join(','),
          c.nulls_not_distinct ? 'nnd' : '',
          ...extra,
        ].join('|');
        return { ...base, type, name: c.conname, columns: cols, sig };
      }
      case 'CONSTR_CHECK':
        return {
          ...base,
          type: 'c',
          name: c.conname,
          columns: [],
          check: c.raw_expr,
          noInherit: c.is_no_inherit,
          sig: '',
        };
      case 'CONSTR_EXCLUSION': {
        const labels: string[] = [];
        const cols: string[] = [];
        const texts: string[] = [];
        for (const pair of c.exclusions ?? []) {
          const el = this.indexElem(pair.List.items[0], scope);
          labels.push(el.label);
          if (el.column !== undefined) cols.push(el.column);
          texts.push(el.column !== undefined && el.plain ? quoteIdent(el.column) : '');
        }
        this.expr(c.where_clause, scope);
        return {
          ...base,
          type: 'x',
          name: c.conname,
          columns: cols,
          labels,
          keyTexts: texts,
          sig: `x${astKey([c.exclusions, c.where_clause, c.access_method, c.including])}`,
        };
      }
      case 'CONSTR_FOREIGN':
        return {
          ...base,
          type: 'f',
          name: c.conname,
          columns: column !== undefined ? [column] : names(c.fk_attrs),
          refTable: c.pktable,
          refColumns: names(c.pk_attrs),
          sig: '',
        };
      default:
        return undefined;
    }
  }

  addChecks(
    table: [string, string],
    info: RelationInfo | undefined,
    columns: string[] | undefined,
    cons: Con[],
    only = false,
  ): void {
    const checknames: string[] = [];
    for (const c of cons) {
      const read: string[] = [];
      const scope = this.tableScope(table, columns, (t, col) => {
        read.push(col);
        this.push('column', 'reference', t[0], col, t);
      });
      this.expr(c.check, scope);
      const name =
        c.name ??
        chooseCheckName(
          table[1],
          read,
          (n) => checknames.includes(n) || this.cat.constraintTaken(table[0], n),
        );
      checknames.push(name);
      this.push('constraint', 'create', table[0], name, table);
      if (info) {
        this.cat.addConstraint(info, { name, type: 'c', columns: read, noInherit: c.noInherit });
        if (!only && !c.noInherit) {
          for (const child of this.cat.descendants(info)) {
            if (child.constraints?.has(name)) continue;
            this.push('constraint', 'create', child.schema, name, [child.schema, child.name]);
            for (const col of read)
              this.push('column', 'reference', child.schema, col, [child.schema, child.name]);
            this.cat.addConstraint(child, { name, type: 'c', columns: read });
          }
        }
      } else this.cat.addDomainConstraint(table[0], name);
    }
  }

  addIndexCons(
    table: [string, string],
    info: RelationInfo | undefined,
    cons: Con[],
    only: boolean,
    creating: boolean,
  ): void {
    const ordered: Con[] = [];
    const pk = cons.find((c) => c.type === 'p');
    if (pk) ordered.push(pk);
    for (const c of cons) {
      if (c === pk) continue;
      const prior = creating ? ordered.find((p) => p.sig === c.sig && c.sig !== '') : undefined;
      if (prior) {
        prior.name ??= c.name;
        continue;
      }
      ordered.push(c);
    }
    for (const c of ordered) {
      const kind: IndexNameKind = c.type === 'p' ? 'pkey' : c.type === 'x' ? 'excl' : 'key';
      const columnNames = indexColumnNames([...(c.labels ?? c.columns), ...c.include]);
      const name =
        c.name ?? chooseIndexName(table[1], columnNames, kind, this.cat.takenFor(table[0], true));
      this.push('constraint', 'create', table[0], name, table);
      const keyTexts = c.type === 'x' ? (c.keyTexts ?? []) : c.columns.map(quoteIdent);
      const io = this.push('index', 'create', table[0], name, table);
      if (keyTexts.every((k) => k !== '')) io.columns = keyTexts;
      for (const col of [...c.columns, ...c.include])
        this.push('column', 'reference', table[0], col, table);
      const idx: IndexInfo = {
        columnNames,
        signature: c.sig,
        kind,
        constraint: name,
        keyTexts,
        plainColumns: c.columns,
      };
      if (info) {
        this.cat.addConstraint(info, { name, type: c.type, columns: c.columns, index: name });
        this.cat.addIndex(info, name, idx);
        if (!only && info.partitioned)
          for (const k of info.children ?? []) this.cloneIndex(relKey(table[0], name), idx, k);
      } else {
        this.cat.addDomainConstraint(table[0], name);
        this.cat.addRelation({
          kind: 'index',
          schema: table[0],
          name,
          table: relKey(...table),
          index: idx,
        });
      }
    }
  }

  cloneIndex(parentKey: string, idx: IndexInfo, childKey: string): void {
    const child = this.cat.relations.get(childKey);
    if (!child) return;
    const isCon = idx.constraint !== undefined;
    for (const n of child.indexes ?? []) {
      const ci = this.cat.relation(child.schema, n)?.index;
      if (!ci || ci.parent !== undefined || ci.signature !== idx.signature) continue;
      if (isCon && ci.constraint === undefined) continue;
      ci.parent = parentKey;
      return;
    }
    const table: [string, string] = [child.schema, child.name];
    const name = chooseIndexName(
      child.name,
      idx.columnNames,
      idx.kind,
      this.cat.takenFor(child.schema, isCon),
    );
    const io = this.push('index', 'create', child.schema, name, table);
    if (idx.keyTexts.every((k) => k !== '')) io.columns = idx.keyTexts;
    for (const col of idx.plainColumns) this.push('column', 'reference', child.schema, col, table);
    if (isCon) {
      this.push('constraint', 'create', child.schema, name, table);
      this.cat.addConstraint(child, {
        name,
        type: idx.kind === 'pkey' ? 'p' : idx.kind === 'excl' ? 'x' : 'u',
        columns: idx.plainColumns,
        index: name,
      });
    }
    const info: IndexInfo = { ...idx, constraint: isCon ? name : undefined, parent: parentKey };
    this.cat.addIndex(child, name, info);
    if (child.partitioned)
      for (const k of child.children ?? []) this.cloneIndex(relKey(child.schema, name), info, k);
  }

  refColumns(ref: [string, string], given: string[]): string[] {
    if (given.length > 0) return given;
    const t = this.cat.table(ref[0], ref[1]);
    return t ? (this.cat.primaryKey(t) ?? []) : [];
  }

  addFks(table: [string, string], info: RelationInfo | undefined, cons: Con[], only = false): void {
    for (const c of cons) {
      const name =
        c.name ??
        chooseForeignKeyName(table[1], c.columns, (n) => this.cat.constraintTaken(table[0], n));
      this.push('constraint', 'create', table[0], name, table);
      for (const col of c.columns) this.push('column', 'reference', table[0], col, table);
      const ref = this.existing(c.refTable);
      this.push('table', 'reference', ref[0], ref[1]);
      for (const col of this.refColumns(ref, c.refColumns))
        this.push('column', 'reference', ref[0], col, ref);
      const fk = {
        name,
        type: 'f' as const,
        columns: c.columns,
        refTable: relKey(...ref),
        refColumns: c.refColumns,
      };
      if (info) {
        this.cat.addConstraint(info, fk);
        if (!only && info.partitioned) this.cloneFk(info, fk);
        const target = this.cat.relations.get(relKey(...ref));
        if (target?.partitioned) {
          for (const _p of this.cat.descendants(target)) {
            const extra = chooseForeignKeyName(table[1], c.columns, (n) =>
              this.cat.constraintTaken(table[0], n),
            );
            this.push('constraint', 'create', table[0], extra, table);
            this.cat.addConstraint(info, { ...fk, name: extra });
          }
        }
      } else this.cat.addDomainConstraint(table[0], name);
    }
  }

  cloneFk(
    parent: RelationInfo,
    fk: { name: string; type: 'f'; columns: string[]; refTable?: string; refColumns?: string[] },
  ): void {
    for (const k of parent.children ?? []) {
      const child = this.cat.relations.get(k);
      if (!child) continue;
      const name = child.constraints?.has(fk.name)
        ? chooseForeignKeyName(child.name, fk.columns, (n) =>
            this.cat.constraintTaken(child.schema, n),
          )
        : fk.name;
      const t: [string, string] = [child.schema, child.name];
      this.push('constraint', 'create', child.schema, name, t);
      for (const col of fk.columns) this.push('column', 'reference', child.schema, col, t);
      const copy = { ...fk, name };
      this.cat.addConstraint(child, copy);
      if (child.partitioned) this.cloneFk(child, copy);
    }
  }

  inheritPartition(parent: RelationInfo, child: RelationInfo): void {
    const table: [string, string] = [child.schema, child.name];
    for (const n of [...(parent.indexes ?? [])]) {
      const r = this.cat.relation(parent.schema, n);
      if (r?.index)
        this.cloneIndex(relKey(parent.schema, n), r.index, relKey(child.schema, child.name));
    }
    for (const [trig, fn] of parent.triggers ?? []) {
      if (child.triggers?.has(trig)) continue;
      this.push('trigger', 'create', child.schema, trig, table);
      if (fn) this.fn('reference', fn, '');
      child.triggers ??= new Map();
      child.triggers.set(trig, fn);
    }
    for (const c of [...(parent.constraints?.values() ?? [])]) {
      if (c.type !== 'f') continue;
      const name = child.constraints?.has(c.name)
        ? chooseForeignKeyName(child.name, c.columns, (n) =>
            this.cat.constraintTaken(child.schema, n),
          )
        : c.name;
      this.push('constraint', 'create', child.schema, name, table);
      for (const col of c.columns) this.push('column', 'reference', child.schema, col, table);
      const ref = c.refTable !== undefined ? this.cat.relations.get(c.refTable) : undefined;
      if (ref) {
        this.push('table', 'reference', ref.schema, ref.name);
        const cols =
          c.refColumns && c.refColumns.length > 0 ? c.refColumns : (this.cat.primaryKey(ref) ?? []);
        for (const col of cols)
          this.push('column', 'reference', ref.schema, col, [ref.schema, ref.name]);
      }
      this.cat.addConstraint(child, { ...c, name });
    }
  }

  sequenceFor(
    table: [string, string],
    info: RelationInfo | undefined,
    col: string,
    identity?: Node,
  ): void {
    let schema = table[0];
    let name: string;
    const seqName = (identity?.options ?? []).find(
      (o: Node) => o.DefElem?.defname === 'sequence_name',
    );
    if (seqName) {
      const ns = names(seqName.DefElem.arg.List.items);
      schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : table[0];
      name = ns[ns.length - 1] as string;
      this.push('sequence', 'create', schema, name);
    } else {
      name = chooseSequenceName(table[1], col, (n) => this.cat.relationTaken(schema, n));
      this.push('sequence', 'create', schema, name);
    }
    this.cat.addRelation({ kind: 'sequence', schema, name });
    info?.sequences?.set(col, relKey(schema, name));
    if (identity && info) {
      info.identity ??= new Set();
      info.identity.add(col);
    }
  }

  createTable(n: Node): undefined {
    const rv = n.relation;
    const schema = this.rvSchema(rv);
    const table: [string, string] = [schema, rv.relname];
    this.push('table', 'create', schema, rv.relname);
    if (n.if_not_exists && this.cat.relationTaken(schema, rv.relname)) return;
    const partitionOf = n.partbound ? n.inhRelations?.[0]?.RangeVar : undefined;
    const parents = partitionOf
      ? [partitionOf]
      : (n.inhRelations ?? []).map((x: Node) => x.RangeVar);
    const parentInfos: RelationInfo[] = [];
    const colNames: string[] = [];
    let known = true;
    for (const p of parents) {
      const t = this.ref(p);
      const pi = this.cat.table(...t);
      if (pi) {
        parentInfos.push(pi);
        if (pi.columns) colNames.push(...pi.columns);
        else known = false;
      } else known = false;
    }
    const typed = n.ofTypename !== undefined;
    if (typed) {
      const ns = names(n.ofTypename.names);
      const [ts, tn] = this.namesObj('type', 'reference', ns);
      const comp = this.cat.relation(ts, tn);
      if (comp?.kind === 'composite' && comp.columns) {
        colNames.push(...comp.columns);
        for (const c of comp.columns) this.push('column', 'create', schema, c, table);
      } else known = false;
    }
    const cols: { name: string; def: Node }[] = [];
    const ordered: Con[] = [];
    const likes: Node[] = [];
    const elemScope = this.tableScope(table, undefined);
    for (const e of n.tableElts ?? []) {
      if (e.ColumnDef) {
        const cd = e.ColumnDef;
        const own = !partitionOf && !typed;
        if (own) {
          cols.push({ name: cd.colname, def: cd });
          colNames.push(cd.colname);
          this.typeRef(cd.typeName);
        }
        for (const c of cd.constraints ?? []) {
          const con = this.constraint(c.Constraint, cd.colname, elemScope);
          if (con) ordered.push(con);
        }
      } else if (e.Constraint) {
        const con = this.constraint(e.Constraint, undefined, elemScope);
        if (con) ordered.push(con);
      } else if (e.TableLikeClause) {
        const t = this.ref(e.TableLikeClause.relation);
        likes.push({ source: t, options: e.TableLikeClause.options });
        const si = this.cat.table(...t);
        if (si?.columns) colNames.push(...si.columns);
        else known = false;
      }
    }
    for (const c of cols) this.push('column', 'create', schema, c.name, table);
    const columns = known ? [...new Set(colNames)] : undefined;
    const isSerial = (cd: Node) => {
      const ns = names(cd.typeName?.names);
      return (
        ns.length === 1 &&
        ['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'].includes(
          ns[0] as string,
        )
      );
    };
    const seqCols: { name: string; identity?: Node }[] = [];
    for (const c of cols) {
      const ident = (c.def.constraints ?? []).find(
        (x: Node) => x.Constraint?.contype === 'CONSTR_IDENTITY',
      )?.Constraint;
      if (isSerial(c.def) || ident) seqCols.push({ name: c.name, identity: ident });
    }
    for (const s of seqCols) this.sequenceFor(table, undefined, s.name, s.identity);
    const info = this.cat.addTable(schema, rv.relname, columns);
    if (n.partspec) info.partitioned = true;
    for (const p of parentInfos) {
      p.children ??= [];
      p.children.push(relKey(...table));
    }
    for (const s of seqCols) {
      if (s.identity) {
        info.identity ??= new Set();
        info.identity.add(s.name);
      }
    }
    {
      const seqs = this.ctx.objects.filter((o) => o.kind === 'sequence' && o.action === 'create');
      seqCols.forEach((s, i) => {
        const o = seqs[i];
        if (o) info.sequences?.set(s.name, relKey(o.schema as string, o.name));
      });
    }
    // DEFAULT and generated expressions
    for (const c of cols) {
      for (const x of c.def.constraints ?? []) {
        const k = x.Constraint;
        if (k.contype === 'CONSTR_DEFAULT') this.expr(k.raw_expr, { entries: [] });
        if (k.contype === 'CONSTR_GENERATED')
          this.expr(k.raw_expr, this.tableScope(table, columns));
      }
    }
    // inherited CHECKs
    for (const p of parentInfos) {
      for (const c of p.constraints?.values() ?? []) {
        if (c.type !== 'c' || c.noInherit || info.constraints?.has(c.name)) continue;
        this.push('constraint', 'create', schema, c.name, table);
        this.cat.addConstraint(info, { name: c.name, type: 'c', columns: c.columns });
      }
    }
    this.addChecks(
      table,
      info,
      columns,
      ordered.filter((c) => c.type === 'c'),
    );
    if (partitionOf && parentInfos[0]) this.inheritPartition(parentInfos[0], info);
    this.addIndexCons(
      table,
      info,
      ordered.filter((c) => c.type === 'p' || c.type === 'u' || c.type === 'x'),
      false,
      true,
    );
    for (const like of likes) this.likeCopies(like.source, like.options, table, info);
    this.addFks(
      table,
      info,
      ordered.filter((c) => c.type === 'f'),
    );
  }

  likeCopies(
    src: [string, string],
    options: number,
    table: [string, string],
    info: RelationInfo,
  ): void {
    const si = this.cat.table(...src);
    if (!si) return;
    // CREATE_TABLE_LIKE_ options: COMMENTS 1, COMPRESSION 2, CONSTRAINTS 4, DEFAULTS 8, GENERATED 16, IDENTITY 32, INDEXES 64, STATISTICS 128, STORAGE 256
    for (const c of si.columns ?? []) this.push('column', 'create', table[0], c, table);
    if (options & 32)
      for (const c of si.identity ?? []) this.sequenceFor(table, info, c, { options: [] });
    if (options & 4) {
      for (const c of si.constraints?.values() ?? []) {
        if (c.type !== 'c' || info.constraints?.has(c.name)) continue;
        this.push('constraint', 'create', table[0], c.name, table);
        this.cat.addConstraint(info, { ...c });
      }
    }
    if (options & 64) {
      for (const n of [...(si.indexes ?? [])]) {
        const idx = this.cat.relation(si.schema, n)?.index;
        if (!idx) continue;
        const isCon = idx.constraint !== undefined;
        const name = chooseIndexName(
          table[1],
          idx.columnNames,
          idx.kind,
          this.cat.takenFor(table[0], isCon),
        );
        const io = this.push('index', 'create', table[0], name, table);
        if (idx.keyTexts.every((k) => k !== '')) io.columns = idx.keyTexts;
        if (isCon) {
          this.push('constraint', 'create', table[0], name, table);
          this.cat.addConstraint(info, {
            name,
            type: idx.kind === 'pkey' ? 'p' : idx.kind === 'excl' ? 'x' : 'u',
            columns: idx.plainColumns,
            index: name,
          });
        }
        this.cat.addIndex(info, name, {
          ...idx,
          constraint: isCon ? name : undefined,
          parent: undefined,
        });
      }
    }
  }

  createTableAs(n: Node): undefined {
    const kind = n.objtype === 'OBJECT_MATVIEW' ? 'materialized_view' : 'table';
    const rv = n.into.rel;
    const schema = this.rvSchema(rv);
    this.push(kind, 'create', schema, rv.relname);
    const shape = n.query?.ExecuteStmt
      ? {}
      : this.query(n.query, undefined, kind === 'materialized_view');
    let columns = shape.columns;
    const colnames = n.into.colNames ? names(n.into.colNames) : undefined;
    if (colnames && columns) columns = [...colnames, ...columns.slice(colnames.length)];
    if (kind === 'table') {
      if (columns && new Set(columns).size === columns.length) {
        for (const c of columns) this.push('column', 'create', schema, c, [schema, rv.relname]);
      } else columns = undefined;
      this.cat.addTable(schema, rv.relname, columns);
    } else
      this.cat.addRelation({
        kind: 'materialized_view',
        schema,
        name: rv.relname,
        columns,
        indexes: new Set(),
      });
  }

  view(n: Node): undefined {
    const rv = n.view;
    const schema = this.rvSchema(rv);
    this.push('view', 'create', schema, rv.relname);
    const cols = n.aliases ? names(n.aliases) : undefined;
    const shape = this.query(n.query, undefined, true);
    this.cat.addRelation({
      kind: 'view',
      schema,
      name: rv.relname,
      columns: cols ?? shape.columns,
    });
  }

  alterTable(n: Node): undefined {
    if (n.objtype === 'OBJECT_TYPE') {
      // ALTER TYPE ... ADD / DROP / ALTER ATTRIBUTE
      const t = [n.relation.schemaname ?? this.ctx.schema, n.relation.relname] as [string, string];
      this.push('type', 'alter', t[0], t[1]);
      for (const x of n.cmds ?? []) this.typeRef(x.AlterTableCmd.def?.ColumnDef?.typeName);
      return;
    }
    const kind = {
      OBJECT_TABLE: 'table',
      OBJECT_VIEW: 'view',
      OBJECT_MATVIEW: 'materialized_view',
      OBJECT_INDEX: 'index',
      OBJECT_SEQUENCE: 'sequence',
      OBJECT_FOREIGN_TABLE: 'table',
    }[n.objtype as string];
    if (!kind) return this.unsupported();
    if (kind === 'index') return this.alterIndex(n);
    if (kind === 'sequence') {
      const t = this.existing(n.relation);
      this.push('sequence', 'alter', t[0], t[1]);
      return;
    }
    const table = this.existing(n.relation);
    this.push(kind, 'alter', table[0], table[1]);
    if (kind !== 'table') return;
    const only = n.relation.inh !== true;
    const info = this.cat.table(...table);
    const drops: (() => void)[] = [];
    const types: (() => void)[] = [];
    const seqs: (() => void)[] = [];
    const addCols: (() => void)[] = [];
    const attrs: (() => void)[] = [];
    const misc: (() => void)[] = [];
    const idxCons: Con[] = [];
    const usingIdx: Con[] = [];
    const checks: Con[] = [];
    const fks: Con[] = [];
    const addCon = (c: Con) => {
      if (c.usingIndex !== undefined) usingIdx.push(c);
      else if (c.type === 'c') checks.push(c);
      else if (c.type === 'f') fks.push(c);
      else idxCons.push(c);
    };
    for (const x of n.cmds ?? []) {
      const c = x.AlterTableCmd;
      switch (c.subtype) {
        case 'AT_AddColumn': {
          const cd = c.def.ColumnDef;
          this.push('column', 'create', table[0], cd.colname, table);
          this.typeRef(cd.typeName);
          const ns = names(cd.typeName?.names);
          const serial =
            ns.length === 1 &&
            ['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'].includes(
              ns[0] as string,
            );
          const ident = (cd.constraints ?? []).find(
            (k: Node) => k.Constraint?.contype === 'CONSTR_IDENTITY',
          )?.Constraint;
          if (serial || ident) seqs.push(() => this.sequenceFor(table, info, cd.colname, ident));
          addCols.push(() => {
            if (info?.columns && !info.columns.includes(cd.colname)) info.columns.push(cd.colname);
            for (const k of cd.constraints ?? []) {
              if (k.Constraint.contype === 'CONSTR_DEFAULT')
                this.expr(k.Constraint.raw_expr, { entries: [] });
              if (k.Constraint.contype === 'CONSTR_GENERATED')
                this.expr(k.Constraint.raw_expr, this.tableScope(table, info?.columns));
            }
          });
          for (const k of cd.constraints ?? []) {
            const con = this.constraint(
              k.Constraint,
              cd.colname,
              this.tableScope(table, undefined),
            );
            if (con) addCon(con);
          }
          break;
        }
        case 'AT_DropColumn':
          this.push('column', 'drop', table[0], c.name, table);
          drops.push(() => this.dropColumnDeps(table, info, c.name));
          break;
        case 'AT_AlterColumnType':
          this.push('column', 'alter', table[0], c.name, table);
          this.typeRef(c.def?.ColumnDef?.typeName);
          if (c.def?.ColumnDef?.raw_default) {
            const e = c.def.ColumnDef.raw_default;
            types.push(() => this.expr(e, this.tableScope(table, info?.columns)));
          }
          break;
        case 'AT_ColumnDefault':
          this.push('column', 'alter', table[0], c.name, table);
          if (c.def) this.expr(c.def, { entries: [] });
          break;
        case 'AT_AddIdentity': {
          this.push('column', 'alter', table[0], c.name, table);
          const ident = c.def.Constraint;
          seqs.push(() => this.sequenceFor(table, info, c.name, ident));
          break;
        }
        case 'AT_DropIdentity':
          this.push('column', 'alter', table[0], c.name, table);
          attrs.push(() => {
            const seq = info?.sequences?.get(c.name);
            if (seq === undefined || !info?.identity?.has(c.name)) return;
            const [ss, sn] = splitKey(seq);
            this.push('sequence', 'drop', ss, sn);
            this.cat.relations.delete(seq);
            info.sequences?.delete(c.name);
            info.identity.delete(c.name);
          });
          break;
        case 'AT_DropNotNull':
        case 'AT_SetNotNull':
        case 'AT_SetStatistics':
        case 'AT_SetStorage':
        case 'AT_SetIdentity':
        case 'AT_DropExpression':
        case 'AT_SetOptions':
        case 'AT_ResetOptions':
        case 'AT_SetCompression':
        case 'AT_SetExpression':
          this.push('column', 'alter', table[0], c.name, table);
          break;
        case 'AT_AddConstraint': {
          const con = this.constraint(
            c.def.Constraint,
            undefined,
            this.tableScope(table, undefined),
          );
          if (con) addCon(con);
          else if (c.def.Constraint.conname)
            this.push('constraint', 'create', table[0], c.def.Constraint.conname, table);
          break;
        }
        case 'AT_DropConstraint':
          this.push('constraint', 'drop', table[0], c.name, table);
          drops.push(() => {
            const con = info ? this.cat.dropConstraint(info, c.name) : undefined;
            if (con?.index !== undefined) this.push('index', 'drop', table[0], con.index, table);
            if (info && !only) {
              for (const child of this.cat.descendants(info)) {
                const cc = child.constraints?.get(c.name);
                if (cc && cc.type === 'c') {
                  this.push('constraint', 'drop', child.schema, c.name, [child.schema, child.name]);
                  this.cat.dropConstraint(child, c.name);
                }
              }
            }
          });
          break;
        case 'AT_ValidateConstraint':
          this.push('constraint', 'alter', table[0], c.name, table);
          break;
        case 'AT_AlterConstraint':
          this.push('constraint', 'alter', table[0], c.def.Constraint.conname, table);
          break;
        case 'AT_EnableTrig':
        case 'AT_EnableAlwaysTrig':
        case 'AT_EnableReplicaTrig':
        case 'AT_DisableTrig':
          this.push('trigger', 'alter', table[0], c.name, table);
          break;
        case 'AT_AttachPartition': {
          const child = this.existing(c.def.PartitionCmd.name);
          this.push('table', 'alter', child[0], child[1]);
          misc.push(() => {
            const ci = this.cat.table(...child);
            if (!info || !ci) return;
            info.children ??= [];
            info.children.push(relKey(...child));
            this.inheritPartition(info, ci);
          });
          break;
        }
        case 'AT_DetachPartition':
        case 'AT_DetachPartitionFinalize': {
          const child = this.existing(c.def.PartitionCmd.name);
          this.push('table', 'alter', child[0], child[1]);
          misc.push(() => {
            if (info?.children) info.children = info.children.filter((k) => k !== relKey(...child));
            const ci = this.cat.table(...child);
            for (const i of ci?.indexes ?? []) {
              const r = this.cat.relation(child[0], i);
              if (r?.index) r.index.parent = undefined;
            }
            for (const trig of info?.triggers?.keys() ?? []) {
              if (!ci?.triggers?.delete(trig)) continue;
              this.push('trigger', 'drop', child[0], trig, child);
            }
          });
          break;
        }
        case 'AT_AddInherit':
        case 'AT_DropInherit': {
          const p = this.ref(c.def.RangeVar);
          const inherit = c.subtype === 'AT_AddInherit';
          misc.push(() => {
            const pi = this.cat.table(...p);
            if (!pi || !info) return;
            const k = relKey(...table);
            pi.children = (pi.children ?? []).filter((x) => x !== k);
            if (inherit) pi.children.push(k);
          });
          break;
        }
        case 'AT_ClusterOn':
          this.push('index', 'reference', table[0], c.name);
          break;
        case 'AT_ReplicaIdentity':
          if (c.def?.ReplicaIdentityStmt?.name)
            this.push('index', 'reference', table[0], c.def.ReplicaIdentityStmt.name);
          break;
        default:
          break;
      }
    }
    for (const f of seqs) f();
    for (const f of drops) f();
    for (const f of types) f();
    for (const f of addCols) f();
    for (const f of attrs) f();
    this.addIndexCons(table, info, idxCons, only, false);
    for (const c of usingIdx) this.usingIndex(table, info, c);
    this.addChecks(table, info, info?.columns, checks, only);
    this.addFks(table, info, fks, only);
    for (const f of misc) f();
  }

  usingIndex(table: [string, string], info: RelationInfo | undefined, c: Con): void {
    const idx = c.usingIndex as string;
    const name = c.name ?? idx;
    this.push('constraint', 'create', table[0], name, table);
    this.push('index', name === idx ? 'alter' : 'rename', table[0], idx);
    if (name !== idx) this.push('index', 'rename', table[0], name);
    const r = this.cat.relation(table[0], idx);
    for (const col of r?.index?.plainColumns ?? [])
      this.push('column', 'reference', table[0], col, table);
    if (name !== idx) this.cat.renameRelation(table[0], idx, table[0], name);
    if (info)
      this.cat.addConstraint(info, {
        name,
        type: c.type,
        columns: r?.index?.plainColumns ?? [],
        index: name,
      });
    else this.cat.addDomainConstraint(table[0], name);
    if (r?.index) {
      r.index.constraint = name;
      r.index.kind = c.type === 'p' ? 'pkey' : 'key';
    }
  }

  dropColumnDeps(table: [string, string], info: RelationInfo | undefined, col: string): void {
    if (!info) return;
    for (const c of [...(info.constraints?.values() ?? [])]) {
      if (!c.columns.includes(col)) continue;
      this.push('constraint', 'drop', table[0], c.name, table);
      if (c.index !== undefined) this.push('index', 'drop', table[0], c.index, table);
      this.cat.dropConstraint(info, c.name);
    }
    for (const i of [...(info.indexes ?? [])]) {
      const r = this.cat.relation(info.schema, i);
      if (!r?.index) continue;
      if (!r.index.plainColumns.includes(col) && !r.index.columnNames.includes(col)) continue;
      this.push('index', 'drop', table[0], i, table);
      this.cat.dropRelation(info.schema, i);
    }
    const seq = info.sequences?.get(col);
    if (seq !== undefined) {
      const [ss, sn] = splitKey(seq);
      this.push('sequence', 'drop', ss, sn);
      this.cat.relations.delete(seq);
      info.sequences?.delete(col);
    }
    if (info.columns) info.columns = info.columns.filter((x) => x !== col);
  }

  alterIndex(n: Node): undefined {
    const t = this.existing(n.relation);
    this.push('index', 'alter', t[0], t[1]);
    for (const x of n.cmds ?? []) {
      const c = x.AlterTableCmd;
      if (c.subtype === 'AT_AttachPartition') {
        const child = this.existing(c.def.PartitionCmd.name);
        this.push('index', 'reference', child[0], child[1]);
        const ci = this.cat.relation(...child)?.index;
        if (ci) ci.parent = relKey(...t);
      }
    }
  }

  index(n: Node): undefined {
    const table = this.existing(n.relation);
    const scope = this.tableScope(table, this.cat.table(...table)?.columns);
    const labels: string[] = [];
    const plain: string[] = [];
    let allPlain = true;
    for (const p of n.indexParams ?? []) {
      const el = this.indexElem(p, scope);
      labels.push(el.label);
      if (el.column !== undefined) {
        plain.push(quoteIdent(el.column));
        this.push('column', 'reference', table[0], el.column, table);
      }
      if (!el.plain || el.column === undefined) allPlain = false;
    }
    const include = (n.indexIncludingParams ?? []).map((p: Node) => p.IndexElem.name as string);
    for (const c of include) this.push('column', 'reference', table[0], c, table);
    this.expr(n.whereClause, scope);
    const columnNames = indexColumnNames([...labels, ...include]);
    const name =
      n.idxname ??
      chooseIndexName(table[1], columnNames, 'idx', this.cat.takenFor(table[0], false));
    const o = this.push('index', 'create', table[0], name, table);
    if (allPlain) o.columns = plain;
    if (this.cat.relationTaken(table[0], name)) return;
    const info: IndexInfo = {
      columnNames,
      signature: `${n.unique ? 'u' : ''}|${astKey([n.indexParams, n.indexIncludingParams, n.whereClause, n.accessMethod, n.nulls_not_distinct])}`,
      kind: 'idx',
      keyTexts: allPlain ? plain : labels.map(() => ''),
      plainColumns: (n.indexParams ?? [])
        .filter((p: Node) => p.IndexElem.name !== undefined)
        .map((p: Node) => p.IndexElem.name),
    };
    const ti = this.cat.table(...table);
    if (ti) {
      this.cat.addIndex(ti, name, info);
      if (n.relation.inh === true && ti.partitioned)
        for (const k of ti.children ?? []) this.cloneIndex(relKey(table[0], name), info, k);
    } else
      this.cat.addRelation({
        kind: 'index',
        schema: table[0],
        name,
        table: relKey(...table),
        index: info,
      });
  }

  // ------------------------------------------------------------ statements

  statement(s: Node): undefined {
    const [type] = Object.keys(s) as [string];
    const n = s[type];
    switch (type) {
      case 'CreateStmt':
        return this.createTable(n);
      case 'CreateTableAsStmt':
        return this.createTableAs(n);
      case 'ViewStmt':
        return this.view(n);
      case 'AlterTableStmt':
        return this.alterTable(n);
      case 'RenameStmt':
        return this.rename(n);
      case 'AlterObjectSchemaStmt':
        return this.setSchema(n);
      case 'IndexStmt':
        return this.index(n);
      case 'DropStmt':
        return this.drop(n);
      case 'CreateFunctionStmt':
        return this.createFunction(n);
      case 'DefineStmt':
        if (n.kind === 'OBJECT_AGGREGATE') {
          const ns = names(n.defnames);
          if (n.oldstyle) this.fn('create', ns);
          else {
            const lists = n.args?.[0]?.List?.items ?? [];
            this.fn('create', ns, signatureOf(lists, this.ctx.schema));
            for (const a of lists) this.typeRef(a.FunctionParameter?.argType);
          }
          for (const d of n.definition ?? []) {
            const de = d.DefElem;
            if (/func$/.test(de.defname) && de.arg?.TypeName)
              functionCall(this.ctx, names(de.arg.TypeName.names));
            if (['stype', 'mstype', 'basetype'].includes(de.defname) && de.arg?.TypeName)
              this.typeRef(de.arg.TypeName);
          }
          return;
        }
        if (n.kind === 'OBJECT_TYPE') {
          const [ts, tn] = this.namesObj('type', 'create', names(n.defnames));
          this.cat.types.set(relKey(ts, tn), 'base');
          return;
        }
        return this.unsupported();
      case 'CompositeTypeStmt': {
        const schema = this.rvSchema(n.typevar);
        this.push('type', 'create', schema, n.typevar.relname);
        const cols: string[] = [];
        for (const c of n.coldeflist ?? []) {
          cols.push(c.ColumnDef.colname);
          this.typeRef(c.ColumnDef.typeName);
        }
        this.cat.addRelation({ kind: 'composite', schema, name: n.typevar.relname, columns: cols });
        return;
      }
      case 'CreateEnumStmt':
        this.namesObj('type', 'create', names(n.typeName));
        return;
      case 'CreateRangeStmt': {
        const [ts, tn] = this.namesObj('type', 'create', names(n.typeName));
        let multi: string | undefined;
        for (const p of n.params ?? []) {
          const de = p.DefElem;
          if (de.defname === 'multirange_type_name')
            multi = names(de.arg.TypeName?.names ?? de.arg.List?.items).pop();
          if (de.defname === 'subtype') this.typeRef(de.arg.TypeName);
        }
        this.push('type', 'create', ts, multi ?? multirangeTypeName(tn));
        return;
      }
      case 'CreateDomainStmt': {
        const [ds, dn] = this.namesObj('type', 'create', names(n.domainname));
        this.typeRef(n.typeName);
        for (const c of n.constraints ?? []) {
          const k = c.Constraint;
          if (k.contype === 'CONSTR_DEFAULT') this.expr(k.raw_expr, { entries: [] });
          if (k.contype !== 'CONSTR_CHECK') continue;
          this.expr(k.raw_expr, { entries: [] });
          const name =
            k.conname ?? chooseDomainCheckName(dn, (x) => this.cat.constraintTaken(ds, x));
          this.push('constraint', 'create', ds, name, [ds, dn]);
          this.cat.addDomainConstraint(ds, name);
        }
        return;
      }
      case 'AlterDomainStmt': {
        const [ds, dn] = this.namesObj('type', 'alter', names(n.typeName));
        if (n.subtype === 'C') {
          const k = n.def.Constraint;
          this.expr(k.raw_expr, { entries: [] });
          const name =
            k.conname ?? chooseDomainCheckName(dn, (x) => this.cat.constraintTaken(ds, x));
          this.push('constraint', 'create', ds, name, [ds, dn]);
          this.cat.addDomainConstraint(ds, name);
        } else if (n.subtype === 'X') this.push('constraint', 'drop', ds, n.name, [ds, dn]);
        else if (n.subtype === 'V') this.push('constraint', 'alter', ds, n.name, [ds, dn]);
        else if (n.subtype === 'T' && n.def) this.expr(n.def, { entries: [] });
        return;
      }
      case 'AlterEnumStmt':
        this.namesObj('type', 'alter', names(n.typeName));
        return;
      case 'AlterFunctionStmt':
        this.owa('alter', n.func.ObjectWithArgs ?? n.func);
        return;
      case 'CreateTrigStmt':
        return this.trigger(n);
      case 'CreateSeqStmt': {
        const schema = this.rvSchema(n.sequence);
        this.push('sequence', 'create', schema, n.sequence.relname);
        this.cat.addRelation({ kind: 'sequence', schema, name: n.sequence.relname });
        this.seqOptions(n.options, [schema, n.sequence.relname]);
        return;
      }
      case 'AlterSeqStmt': {
        const t = this.existing(n.sequence);
        this.push('sequence', 'alter', t[0], t[1]);
        this.seqOptions(n.options, t);
        return;
      }
      case 'CreatePolicyStmt':
      case 'AlterPolicyStmt': {
        const table = this.existing(n.table);
        this.push(
          'policy',
          type === 'CreatePolicyStmt' ? 'create' : 'alter',
          table[0],
          n.policy_name,
          table,
        );
        const scope = this.tableScope(table, this.cat.table(...table)?.columns);
        this.expr(n.qual, scope);
        this.expr(n.with_check, scope);
        return;
      }
      case 'CreatePublicationStmt':
      case 'AlterPublicationStmt':
        // the publication is not modelled; the tables and schemas it names are references
        for (const o of n.pubobjects ?? []) {
          const spec = o.PublicationObjSpec;
          if (spec.pubobjtype === 'PUBLICATIONOBJ_TABLES_IN_SCHEMA')
            this.push('schema', 'reference', null, spec.name);
          else if (spec.pubobjtype === 'PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA') {
            if (this.ctx.schema !== 'pg_catalog')
              this.push('schema', 'reference', null, this.ctx.schema);
          } else if (spec.pubobjtype === 'PUBLICATIONOBJ_TABLE') {
            const t = this.existing(spec.pubtable.relation);
            this.push('table', 'reference', t[0], t[1]);
            for (const col of spec.pubtable.columns ?? [])
              this.push('column', 'reference', t[0], str(col), t);
            this.expr(spec.pubtable.whereClause, this.tableScope(t, this.cat.table(...t)?.columns));
          } else this.unsupported();
        }
        return;
      case 'CreateExtensionStmt': {
        this.push('extension', 'create', null, n.extname);
        let schema: string | undefined;
        for (const o of n.options ?? []) {
          if (o.DefElem.defname === 'schema') {
            schema = str(o.DefElem.arg);
            this.push('schema', 'reference', null, schema);
          }
        }
        this.cat.extensions.set(n.extname, schema ?? this.ctx.schema);
        return;
      }
      case 'AlterExtensionStmt':
      case 'AlterExtensionContentsStmt':
        this.push('extension', 'alter', null, n.extname);
        return;
      case 'CreateSchemaStmt': {
        const name = n.schemaname ?? n.authrole?.RoleSpec?.rolename ?? n.authrole?.rolename;
        this.push('schema', 'create', null, name);
        const saved = this.ctx.schema;
        this.ctx.schema = name;
        for (const e of n.schemaElts ?? []) this.statement(e);
        this.ctx.schema = saved;
        return;
      }
      case 'AlterOwnerStmt':
        return this.owner(n);
      case 'CommentStmt':
        return this.comment(n);
      case 'GrantStmt':
        return this.grant(n);
      case 'VariableSetStmt':
        if (!this.ctx.live) return; // a SET in a function body runs when it is called
        if (n.kind === 'VAR_RESET_ALL') return this.setPath(this.ctx.defaultSchema, false);
        if (n.name !== 'search_path') return;
        if (n.kind === 'VAR_SET_DEFAULT' || n.kind === 'VAR_RESET')
          return this.setPath(this.ctx.defaultSchema, n.is_local === true);
        if (n.kind === 'VAR_SET_VALUE')
          return this.setPath(firstUserSchema(argValues(n.args)), n.is_local === true);
        return;
      case 'DiscardStmt':
        if (this.ctx.live && n.target === 'DISCARD_ALL' && this.txn === undefined)
          this.setPath(this.ctx.defaultSchema, false);
        return;
      case 'TransactionStmt':
        if (this.ctx.live) this.transaction(n);
        return;
      case 'VariableShowStmt':
      case 'ConstraintsSetStmt':
        return;
      case 'SelectStmt': {
        // pg_dump's SELECT pg_catalog.set_config('search_path', '', false)
        const t = n.targetList?.[0]?.ResTarget?.val?.FuncCall;
        if (
          t &&
          !n.fromClause &&
          n.targetList.length === 1 &&
          names(t.funcname).pop() === 'set_config'
        ) {
          const a0 = t.args?.[0]?.A_Const?.sval?.sval;
          const a1 = t.args?.[1]?.A_Const?.sval?.sval;
          if (a0 === 'search_path' && typeof a1 === 'string') {
            const local = t.args?.[2]?.A_Const?.boolval?.boolval === true;
            if (this.ctx.live) this.setPath(firstUserSchema(splitPathText(a1)), local);
            return;
          }
        }
        this.select(s);
        return;
      }
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        this.query(s);
        return;
      case 'TruncateStmt':
      case 'LockStmt':
        for (const r of n.relations ?? []) this.ref(r.RangeVar);
        return;
      case 'RefreshMatViewStmt': {
        const t = this.existing(n.relation);
        this.push('materialized_view', 'reference', t[0], t[1]);
        return;
      }
      case 'DoStmt':
        this.bodyUnknown = true;
        this.live = true;
        return;
      case 'CallStmt': {
        const fc = n.funccall;
        functionCall(this.ctx, names(fc.funcname));
        this.expr(fc.args, { entries: [] });
        // a procedure written in PL/pgSQL runs now: its effects are the catalog replay's to check
        this.bodyUnknown = true;
        this.live = true;
        return;
      }
      default:
        return this.unsupported();
    }
  }

  seqOptions(options: Node[] | undefined, seq: [string, string]): void {
    for (const o of options ?? []) {
      const de = o.DefElem;
      if (de.defname === 'owned_by') {
        const ns = names(de.arg.List?.items);
        if (ns.length < 2) continue;
        const col = ns[ns.length - 1] as string;
        const tparts = ns.slice(0, -1);
        const t: [string, string] = [
          tparts.length >= 2 ? (tparts[tparts.length - 2] as string) : this.ctx.schema,
          tparts[tparts.length - 1] as string,
        ];
        this.push('table', 'reference', t[0], t[1]);
        this.push('column', 'reference', t[0], col, t);
        const ti = this.cat.table(...t);
        ti?.sequences?.set(col, relKey(...seq));
      }
      if (de.defname === 'as') this.typeRef(de.arg.TypeName ?? de.arg);
    }
  }

  trigger(n: Node): undefined {
    const table = this.existing(n.relation);
    this.push('trigger', 'create', table[0], n.trigname, table);
    if (n.isconstraint) this.push('constraint', 'create', table[0], n.trigname, table);
    for (const c of names(n.columns)) this.push('column', 'reference', table[0], c, table);
    if (n.constrrel) this.ref(n.constrrel);
    const info = this.cat.table(...table);
    if (n.whenClause) {
      this.expr(n.whenClause, {
        entries: [
          { ref: 'new', table, columns: info?.columns },
          { ref: 'old', table, columns: info?.columns },
        ],
      });
    }
    const fname = names(n.funcname);
    let fn: string[] | undefined;
    if (
      !(fname.length === 1 && CATALOG_FUNCTION_SET.has(fname[0] as string)) &&
      fname[0] !== 'pg_catalog'
    ) {
      this.fn('reference', fname, '');
    }
    fn = fname.length === 1 ? [this.ctx.schema, fname[0] as string] : fname;
    if (!info) {
      if (n.isconstraint) this.cat.addDomainConstraint(table[0], n.trigname);
      return;
    }
    if (n.isconstraint) this.cat.addConstraint(info, { name: n.trigname, type: 't', columns: [] });
    if (n.row) {
      info.triggers ??= new Map();
      info.triggers.set(n.trigname, fn);
      if (info.partitioned) {
        for (const child of this.cat.descendants(info)) {
          if (child.triggers?.has(n.trigname)) continue;
          this.push('trigger', 'create', child.schema, n.trigname, [child.schema, child.name]);
          child.triggers ??= new Map();
          child.triggers.set(n.trigname, fn);
        }
      }
    }
  }

  /** SET (or SET LOCAL, inside a transaction block; outside one it lasts, as in a migration tool's). */
  setPath(schema: string, local: boolean): undefined {
    if (local && this.txn !== undefined) this.local = schema;
    else {
      this.session = schema;
      this.local = undefined;
    }
    this.ctx.schema = this.local ?? this.session;
  }

  transaction(n: Node): undefined {
    const sp = this.txn?.savepoints ?? [];
    const at = sp.map((x) => x.name).lastIndexOf(n.savepoint_name);
    switch (n.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        this.txn ??= { atBegin: this.session, savepoints: [] };
        return;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_PREPARE':
      case 'TRANS_STMT_ROLLBACK':
        if (this.txn === undefined) return;
        if (n.kind === 'TRANS_STMT_ROLLBACK') this.session = this.txn.atBegin;
        this.local = undefined;
        this.txn = n.chain === true ? { atBegin: this.session, savepoints: [] } : undefined;
        this.ctx.schema = this.session;
        return;
      case 'TRANS_STMT_SAVEPOINT':
        if (this.txn !== undefined)
          sp.push({ name: n.savepoint_name, session: this.session, local: this.local });
        return;
      case 'TRANS_STMT_RELEASE':
        if (at >= 0) sp.length = at;
        return;
      case 'TRANS_STMT_ROLLBACK_TO':
        if (at < 0) return;
        this.session = (sp[at] as PathSnapshot).session;
        this.local = (sp[at] as PathSnapshot).local;
        sp.length = at + 1;
        this.ctx.schema = this.local ?? this.session;
        return;
    }
  }

  createFunction(n: Node): undefined {
    const sig = signatureOf(n.parameters, this.ctx.schema);
    const o = this.fn('create', names(n.funcname), sig);
    for (const p of n.parameters ?? []) this.typeRef(p.FunctionParameter?.argType);
    this.typeRef(n.returnType);
    let language: string | undefined;
    let body: string | undefined;
    // a string body runs with its caller's path, which is never pg_dump's empty one
    let schema = this.ctx.schema === 'pg_catalog' ? this.ctx.defaultSchema : this.ctx.schema;
    for (const d of n.options ?? []) {
      const de = d.DefElem;
      if (de.defname === 'language') language = str(de.arg);
      if (de.defname === 'as') {
        const items = de.arg.List?.items ?? [];
        if (items.length === 1) body = str(items[0]);
      }
      const set = de.defname === 'set' ? de.arg?.VariableSetStmt : undefined;
      if (set?.name === 'search_path') {
        if (set.kind === 'VAR_SET_VALUE') schema = firstUserSchema(argValues(set.args));
        else if (set.kind === 'VAR_SET_CURRENT') schema = this.ctx.schema;
        else if (set.kind === 'VAR_SET_DEFAULT') schema = this.ctx.defaultSchema;
      }
    }
    const vars = new Set<string>();
    for (const p of n.parameters ?? [])
      if (p.FunctionParameter?.name) vars.add(p.FunctionParameter.name);
    const kindProc = n.is_procedure === true;
    if (kindProc && language === 'plpgsql' && body !== undefined) {
      this.cat.procedures.set(relKey(o.schema as string, o.name), {
        language,
        body,
        schema,
        vars: [...vars],
      });
    }
    if (n.sql_body) {
      // parsed at CREATE, with the path in force then
      this.inBody(this.ctx.schema, vars, () => {
        const sb = n.sql_body;
        if (sb.ReturnStmt) this.expr(sb.ReturnStmt.returnval, { entries: [] });
        for (const l of sb.List?.items ?? [])
          for (const st of l.List?.items ?? []) this.bodyStatement(st);
      });
      return;
    }
    if (language === 'sql' && body !== undefined) {
      let tree: Node;
      try {
        tree = parseSync(body);
      } catch {
        return;
      }
      this.inBody(schema, vars, () => {
        for (const st of tree.stmts ?? []) this.bodyStatement(st.stmt);
      });
      return;
    }
    if (language === 'plpgsql') this.bodyUnknown = true;
  }

  bodyStatement(st: Node): void {
    const saved = this.supported;
    this.statement(st);
    this.supported = saved;
  }

  inBody(schema: string, vars: Set<string>, fn: () => void): void {
    const outer = this.ctx;
    const sub: Ctx = {
      ...outer,
      schema,
      objects: [],
      live: false,
      bodyRelations: new Set(outer.bodyRelations ?? []),
      vars: new Set([...(outer.vars ?? []), ...vars]),
    };
    this.ctx = sub;
    try {
      fn();
    } finally {
      this.ctx = outer;
    }
    for (const o of sub.objects) {
      if (
        o.action === 'create' &&
        ['table', 'view', 'sequence', 'materialized_view'].includes(o.kind)
      )
        sub.bodyRelations?.add(o.qualified);
    }
    for (const o of sub.objects) {
      if (o.action !== 'reference') continue;
      if (
        sub.bodyRelations?.has(o.qualified) ||
        (o.table !== undefined && sub.bodyRelations?.has(o.table))
      )
        continue;
      outer.objects.push(o);
    }
  }

  unsupported(): undefined {
    this.supported = false;
  }

  rename(n: Node): undefined {
    const rt = n.renameType as string;
    if (rt === 'OBJECT_PUBLICATION') return; // not modelled, and names nothing that is
    if (REL_KIND[rt]) {
      const kind = REL_KIND[rt] as string;
      const t = this.existing(n.relation);
      const idx = kind === 'index' ? this.cat.relation(...t) : undefined;
      this.renamePair(kind, t, [t[0], n.newname]);
      if (idx?.index?.constraint !== undefined && idx.table !== undefined) {
        const ti = this.cat.relations.get(idx.table);
        if (ti) {
          const tt: [string, string] = [ti.schema, ti.name];
          this.renamePair(
            'constraint',
            [ti.schema, idx.index.constraint],
            [ti.schema, n.newname],
            tt,
          );
          this.cat.renameConstraint(ti, idx.index.constraint, n.newname);
          const ci = ti.constraints?.get(n.newname);
          if (ci) ci.index = n.newname;
          idx.index.constraint = n.newname;
        }
      }
      this.cat.renameRelation(t[0], t[1], t[0], n.newname);
      return;
    }
    if (rt === 'OBJECT_COLUMN' || rt === 'OBJECT_TABCONSTRAINT') {
      const kind = rt === 'OBJECT_TABCONSTRAINT' ? 'table' : (REL_KIND[n.relationType] ?? 'table');
      const table = this.existing(n.relation);
      this.push(kind, 'alter', table[0], table[1]);
      if (kind !== 'table') return;
      const sub = rt === 'OBJECT_COLUMN' ? 'column' : 'constraint';
      this.renamePair(sub, [table[0], n.subname], [table[0], n.newname], table);
      const info = this.cat.table(...table);
      if (!info) return;
      if (sub === 'constraint') {
        const con = this.cat.renameConstraint(info, n.subname, n.newname);
        if (con?.index !== undefined) {
          this.renamePair('index', [table[0], con.index], [table[0], n.newname]);
          const r = this.cat.relation(table[0], con.index);
          this.cat.renameRelation(table[0], con.index, table[0], n.newname);
          if (r?.index) r.index.constraint = n.newname;
          con.index = n.newname;
        }
      } else {
        if (info.columns) info.columns = info.columns.map((x) => (x === n.subname ? n.newname : x));
        for (const c of info.constraints?.values() ?? [])
          c.columns = c.columns.map((x) => (x === n.subname ? n.newname : x));
        const seq = info.sequences?.get(n.subname);
        if (seq !== undefined) {
          info.sequences?.delete(n.subname);
          info.sequences?.set(n.newname, seq);
        }
      }
      return;
    }
    if (rt === 'OBJECT_TRIGGER' || rt === 'OBJECT_POLICY') {
      const t = this.existing(n.relation);
      const kind = rt === 'OBJECT_TRIGGER' ? 'trigger' : 'policy';
      this.renamePair(kind, [t[0], n.subname], [t[0], n.newname], t);
      if (kind === 'trigger') {
        const info = this.cat.table(...t);
        const fnOf = info?.triggers?.get(n.subname);
        if (info?.triggers?.delete(n.subname)) {
          info.triggers.set(n.newname, fnOf);
          for (const child of this.cat.descendants(info)) {
            if (!child.triggers?.delete(n.subname)) continue;
            child.triggers.set(n.newname, fnOf);
            this.renamePair(
              'trigger',
              [child.schema, n.subname],
              [child.schema, n.newname],
              [child.schema, child.name],
            );
          }
        }
      }
      return;
    }
    if (FUNCTION_KINDS.includes(rt)) {
      const owa = n.object.ObjectWithArgs;
      const ns = names(owa.objname);
      const schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema;
      const sig = owa.args_unspecified ? undefined : signatureOf(owa.objfuncargs, this.ctx.schema);
      for (const a of owa.objfuncargs ?? []) this.typeRef(a.FunctionParameter?.argType);
      this.fn('rename', [schema, ns[ns.length - 1] as string], sig);
      this.fn('rename', [schema, n.newname], sig);
      return;
    }
    if (rt === 'OBJECT_TYPE' || rt === 'OBJECT_DOMAIN') {
      const ns = names(n.object.List.items);
      const schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema;
      const old = ns[ns.length - 1] as string;
      this.renamePair('type', [schema, old], [schema, n.newname]);
      this.cat.renameRelation(schema, old, schema, n.newname);
      return;
    }
    if (rt === 'OBJECT_DOMCONSTRAINT') {
      const ns = names(n.object.TypeName?.names ?? n.object.List?.items);
      const schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema;
      const d = ns[ns.length - 1] as string;
      this.push('type', 'alter', schema, d);
      this.renamePair('constraint', [schema, n.subname], [schema, n.newname], [schema, d]);
      this.cat.addDomainConstraint(schema, n.newname);
      return;
    }
    if (rt === 'OBJECT_ATTRIBUTE') {
      const t = this.existing(n.relation);
      this.push('type', 'alter', t[0], t[1]);
      return;
    }
    if (rt === 'OBJECT_SCHEMA') {
      this.renamePair('schema', [null, n.subname], [null, n.newname]);
      return;
    }
    this.unsupported();
  }

  owner(n: Node): undefined {
    const ot = n.objectType as string;
    const o = n.object;
    if (ot === 'OBJECT_PUBLICATION') return; // not modelled, and names nothing that is
    if (ot === 'OBJECT_SCHEMA' || ot === 'OBJECT_EXTENSION') {
      this.push(ot === 'OBJECT_SCHEMA' ? 'schema' : 'extension', 'alter', null, str(o));
      return;
    }
    if (FUNCTION_KINDS.includes(ot)) {
      this.owa('alter', o.ObjectWithArgs);
      return;
    }
    if (ot === 'OBJECT_TYPE' || ot === 'OBJECT_DOMAIN') {
      this.namesObj('type', 'alter', o.List ? names(o.List.items) : names(o.TypeName.names));
      return;
    }
    this.unsupported();
  }

  setSchema(n: Node): undefined {
    const ot = n.objectType as string;
    if (REL_KIND[ot] && ot !== 'OBJECT_INDEX') {
      const kind = REL_KIND[ot] as string;
      const t = this.existing(n.relation);
      this.renamePair(kind, t, [n.newschema, t[1]]);
      const info = kind === 'table' ? this.cat.table(...t) : undefined;
      if (info) {
        for (const i of info.indexes ?? []) this.renamePair('index', [t[0], i], [n.newschema, i]);
        for (const s of info.sequences?.values() ?? []) {
          const [ss, sn] = splitKey(s);
          this.renamePair('sequence', [ss, sn], [n.newschema, sn]);
        }
      }
      this.cat.renameRelation(t[0], t[1], n.newschema, t[1]);
      return;
    }
    if (FUNCTION_KINDS.includes(ot)) {
      const owa = n.object.ObjectWithArgs;
      const ns = names(owa.objname);
      const schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema;
      const name = ns[ns.length - 1] as string;
      const sig = owa.args_unspecified ? undefined : signatureOf(owa.objfuncargs, this.ctx.schema);
      for (const a of owa.objfuncargs ?? []) this.typeRef(a.FunctionParameter?.argType);
      this.fn('rename', [schema, name], sig);
      this.fn('rename', [n.newschema, name], sig);
      return;
    }
    if (ot === 'OBJECT_TYPE' || ot === 'OBJECT_DOMAIN') {
      const ns = names(n.object.List.items);
      const schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema;
      const name = ns[ns.length - 1] as string;
      this.renamePair('type', [schema, name], [n.newschema, name]);
      this.cat.renameRelation(schema, name, n.newschema, name);
      return;
    }
    if (ot === 'OBJECT_EXTENSION') {
      this.push('extension', 'alter', null, str(n.object));
      this.push('schema', 'reference', null, n.newschema);
      this.cat.extensions.set(str(n.object), n.newschema);
      return;
    }
    this.unsupported();
  }

  drop(n: Node): undefined {
    const kinds: Record<string, string> = {
      ...REL_KIND,
      OBJECT_TYPE: 'type',
      OBJECT_DOMAIN: 'type',
    };
    const rt = n.removeType as string;
    for (const o of n.objects ?? []) {
      if (kinds[rt]) {
        const kind = kinds[rt] as string;
        const ns = o.List ? names(o.List.items) : o.TypeName ? names(o.TypeName.names) : [str(o)];
        let t: [string, string];
        if (kind === 'type') t = this.namesObj('type', 'drop', ns);
        else {
          t = this.existing({
            relname: ns[ns.length - 1],
            schemaname: ns.length >= 2 ? ns[ns.length - 2] : undefined,
          });
          this.push(kind, 'drop', t[0], t[1]);
        }
        if (kind === 'type') {
          this.cat.types.delete(relKey(...t));
          if (this.cat.relation(...t)?.kind === 'composite') this.cat.dropRelation(...t);
        } else {
          const r = this.cat.relation(...t);
          if (r && (r.kind === kind || (kind === 'table' && r.kind === 'foreign_table')))
            this.cat.dropRelation(...t);
        }
      } else if (rt === 'OBJECT_SCHEMA' || rt === 'OBJECT_EXTENSION') {
        this.push(rt === 'OBJECT_SCHEMA' ? 'schema' : 'extension', 'drop', null, str(o));
      } else if (FUNCTION_KINDS.includes(rt)) {
        this.owa('drop', o.ObjectWithArgs);
      } else if (rt === 'OBJECT_TRIGGER' || rt === 'OBJECT_POLICY') {
        const ns = names(o.List.items);
        const name = ns.pop() as string;
        const t = this.existing({
          relname: ns[ns.length - 1],
          schemaname: ns.length >= 2 ? ns[ns.length - 2] : undefined,
        });
        this.push(rt === 'OBJECT_TRIGGER' ? 'trigger' : 'policy', 'drop', t[0], name, t);
        if (rt === 'OBJECT_TRIGGER') {
          const info = this.cat.table(...t);
          if (!info) continue;
          info.triggers?.delete(name);
          const con = info.constraints?.get(name);
          if (con?.type === 't') {
            this.push('constraint', 'drop', t[0], name, t);
            this.cat.dropConstraint(info, name);
          }
          for (const child of this.cat.descendants(info)) child.triggers?.delete(name);
        }
      } else return this.unsupported();
    }
  }

  comment(n: Node): undefined {
    const kinds: Record<string, string> = {
      ...REL_KIND,
      OBJECT_TYPE: 'type',
      OBJECT_DOMAIN: 'type',
    };
    const ot = n.objtype as string;
    const o = n.object;
    if (kinds[ot]) {
      const ns = o.List ? names(o.List.items) : o.TypeName ? names(o.TypeName.names) : [str(o)];
      this.namesObj(kinds[ot] as string, 'alter', ns);
      return;
    }
    if (ot === 'OBJECT_COLUMN') {
      const ns = names(o.List.items);
      const col = ns.pop() as string;
      const schema = ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema;
      this.push('column', 'alter', schema, col, [schema, ns[ns.length - 1] as string]);
      return;
    }
    if (FUNCTION_KINDS.includes(ot)) {
      this.owa('alter', o.ObjectWithArgs);
      return;
    }
    if (ot === 'OBJECT_SCHEMA' || ot === 'OBJECT_EXTENSION') {
      this.push(ot === 'OBJECT_SCHEMA' ? 'schema' : 'extension', 'alter', null, str(o));
      return;
    }
    if (
      ot === 'OBJECT_TABCONSTRAINT' ||
      ot === 'OBJECT_TRIGGER' ||
      ot === 'OBJECT_POLICY' ||
      ot === 'OBJECT_DOMCONSTRAINT'
    ) {
      const ns = o.List ? names(o.List.items) : [];
      let name: string;
      let t: [string, string];
      if (ot === 'OBJECT_DOMCONSTRAINT') {
        const tn = names(o.List.items[0].TypeName.names);
        name = str(o.List.items[1]);
        t = [
          tn.length >= 2 ? (tn[tn.length - 2] as string) : this.ctx.schema,
          tn[tn.length - 1] as string,
        ];
      } else {
        name = ns.pop() as string;
        t = [
          ns.length >= 2 ? (ns[ns.length - 2] as string) : this.ctx.schema,
          ns[ns.length - 1] as string,
        ];
      }
      const kind =
        ot === 'OBJECT_TRIGGER' ? 'trigger' : ot === 'OBJECT_POLICY' ? 'policy' : 'constraint';
      this.push(kind, 'alter', t[0], name, t);
      return;
    }
    this.unsupported();
  }

  grant(n: Node): undefined {
    if (n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
      for (const o of n.objects ?? []) this.push('schema', 'reference', null, str(o));
      return;
    }
    if (n.targtype !== 'ACL_TARGET_OBJECT') return this.unsupported();
    for (const o of n.objects ?? []) {
      switch (n.objtype) {
        case 'OBJECT_TABLE': {
          const t = this.existing(o.RangeVar);
          this.push('table', 'alter', t[0], t[1]);
          break;
        }
        case 'OBJECT_SEQUENCE': {
          const t = this.existing(o.RangeVar);
          this.push('sequence', 'reference', t[0], t[1]);
          break;
        }
        case 'OBJECT_FUNCTION':
        case 'OBJECT_PROCEDURE':
        case 'OBJECT_ROUTINE':
          this.owa('reference', o.ObjectWithArgs);
          break;
        case 'OBJECT_SCHEMA':
          this.push('schema', 'reference', null, str(o));
          break;
        case 'OBJECT_TYPE':
        case 'OBJECT_DOMAIN':
          this.namesObj(
            'type',
            'reference',
            o.List ? names(o.List.items) : names(o.TypeName.names),
          );
          break;
        default:
          return this.unsupported();
      }
    }
  }
}

import { CATALOG_FUNCTIONS, CATALOG_RELATIONS } from '../../../src/detector/catalog.js';

const CATALOG_FUNCTION_SET = CATALOG_FUNCTIONS;
const CATALOG_RELATION_SET = CATALOG_RELATIONS;

/** Canonical strings for comparing object sets. */
export function canon(o: {
  kind: string;
  action: string;
  qualified: string;
  signature?: string;
}): string {
  let s = `${o.kind} ${o.action} ${o.qualified}`;
  if (o.kind === 'function' && o.signature !== undefined) s += `(${o.signature})`;
  return s;
}

/**
 * Objects of each statement of `sql` according to the real parser. Throws when
 * libpg-query rejects the SQL (a generator bug in the tests).
 */
export function oracleStatements(sql: string, defaultSchema = 'public'): OracleResult[] {
  const tree = parseSync(sql);
  const out: OracleResult[] = [];
  const c = new Collector(defaultSchema);
  for (const s of tree.stmts ?? []) {
    c.ctx.objects = [];
    c.supported = true;
    c.bodyUnknown = false;
    c.live = false;
    c.ctx.depth = 0;
    c.statement(s.stmt);
    const objects: OracleObject[] = c.ctx.objects.map((o) => {
      const r: OracleObject = { kind: o.kind, action: o.action, qualified: o.qualified };
      if (o.signature !== undefined) r.signature = o.signature;
      if (o.columns !== undefined) r.columns = o.columns;
      return r;
    });
    out.push({
      supported: c.supported,
      bodyUnknown: c.bodyUnknown || undefined,
      live: c.live || undefined,
      objects,
    });
  }
  return out;
}
