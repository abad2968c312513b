/**
 * Queries: SELECT (set operations, CTEs, FROM items, joins, target lists),
 * VALUES, TABLE, INSERT, UPDATE, DELETE, MERGE, and SELECT ... INTO. Records
 * the relations a query reads or writes (`table` references: the parser cannot
 * tell tables from views) and the columns it reads or writes, resolved as
 * scope.ts explains.
 */
import {
  type Ctx,
  MAX_DEPTH,
  namedObj,
  relObj,
  resolveRelation,
  scopedObj,
  TEMP_SCHEMA,
} from './context.js';
import type { Cursor } from './cursor.js';
import { parseType } from './datatypes.js';
import { figureColname, functionCall, scanExpr } from './exprs.js';
import type { Token } from './lexer.js';
import { RESERVED_KEYWORDS } from './names.js';
import { type RangeEntry, resolveStar, type Scope, tableEntry } from './scope.js';

const QUERY_START = new Set(['select', 'with', 'values', 'table']);

/** True when the tokens from `at` (after any `(`) start a query. Bounded look-ahead keeps nesting linear. */
export function startsQuery(c: Cursor, at: number): boolean {
  let i = at;
  while (i < c.end && i < at + 64) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && t.text === '(') {
      i++;
      continue;
    }
    return t.type === 'ident' && QUERY_START.has(t.value ?? '');
  }
  return false;
}

export interface QueryOptions {
  /** A stored query (view, materialized view): `*` of a relation with unknown columns sets `allColumns`. */
  stored?: boolean;
  /** A top-level statement: SELECT ... INTO creates a table. */
  top?: boolean;
}

/** Output columns of a query, when they can be known. */
export interface QueryShape {
  columns?: string[];
}

interface CteScope extends Scope {
  ctes: Map<string, string[] | undefined>;
}

function findCte(scope: Scope | undefined, name: string): { columns?: string[] } | undefined {
  for (let s = scope; s; s = s.parent) {
    const m = (s as Partial<CteScope>).ctes;
    if (m?.has(name)) return { columns: m.get(name) };
  }
  return undefined;
}

/** Parses a query or DML statement, recording what it reads and writes. */
export function parseQuery(
  ctx: Ctx,
  c: Cursor,
  parent?: Scope,
  opts: QueryOptions = {},
): QueryShape {
  if (ctx.depth > MAX_DEPTH) {
    c.pos = c.end;
    return {};
  }
  ctx.depth++;
  try {
    let scope = parent;
    if (c.isKw('with')) {
      const cs: CteScope = { entries: [], parent, ctes: new Map(), stored: parent?.stored };
      if (opts.stored) cs.stored = true;
      parseWith(ctx, c, cs);
      scope = cs;
    }
    if (c.isKw('insert')) return parseInsert(ctx, c, scope);
    if (c.isKw('update')) return parseUpdate(ctx, c, scope);
    if (c.isKw('delete')) return parseDelete(ctx, c, scope);
    if (c.isKw('merge')) return parseMerge(ctx, c, scope);
    return parseSetOperations(ctx, c, scope, opts);
  } finally {
    ctx.depth--;
  }
}

function parseWith(ctx: Ctx, c: Cursor, cs: CteScope): undefined {
  c.kw('with');
  const recursive = c.kw('recursive');
  for (;;) {
    const name = c.ident();
    if (name === undefined) return;
    let cols: string[] | undefined;
    if (c.isPunct('(')) cols = identList(c.parens() as Cursor);
    if (!c.kw('as')) return;
    c.kw('not');
    c.kw('materialized');
    if (recursive) cs.ctes.set(name, cols);
    const body = c.parens();
    if (body) {
      const shape = parseQuery(ctx, body, cs);
      cs.ctes.set(name, cols ?? shape.columns);
    } else cs.ctes.set(name, cols);
    if (c.isKw('search') || c.isKw('cycle')) {
      while (!c.atEnd() && !c.isPunct(',') && !QUERY_START.has(c.peek()?.value ?? '')) {
        if (c.isKw('insert') || c.isKw('update') || c.isKw('delete') || c.isKw('merge')) break;
        c.skipOne();
      }
    }
    if (!c.punct(',')) return;
  }
}

function identList(c: Cursor): string[] {
  const out: string[] = [];
  for (const part of c.splitCommas()) {
    const v = part.ident();
    if (v !== undefined) out.push(v);
  }
  return out;
}

const SET_OPS = new Set(['union', 'intersect', 'except']);

function parseSetOperations(
  ctx: Ctx,
  c: Cursor,
  parent: Scope | undefined,
  opts: QueryOptions,
): QueryShape {
  // split at top-level UNION / INTERSECT / EXCEPT
  const cuts: number[] = [];
  for (let i = c.pos; i < c.end; i++) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = c.matchParen(i);
    else if (t.type === 'ident' && SET_OPS.has(t.value ?? '')) cuts.push(i);
  }
  if (cuts.length === 0) return parseBranch(ctx, c, parent, opts, false);
  let first: QueryShape | undefined;
  let from = c.pos;
  for (let k = 0; k <= cuts.length; k++) {
    const to = k < cuts.length ? (cuts[k] as number) : c.end;
    const part = c.slice(from, to);
    const shape = parseBranch(
      ctx,
      part,
      parent,
      { ...opts, top: opts.top && k === 0 },
      k === cuts.length,
    );
    first ??= shape;
    if (k < cuts.length) {
      from = to + 1;
      const n = c.toks[from];
      if (n && n.type === 'ident' && (n.value === 'all' || n.value === 'distinct')) from++;
    }
  }
  c.pos = c.end;
  return first ?? {};
}

/** One branch of a set operation: (query), VALUES, TABLE, or SELECT. */
function parseBranch(
  ctx: Ctx,
  c: Cursor,
  parent: Scope | undefined,
  opts: QueryOptions,
  lastOfSet: boolean,
): QueryShape {
  if (c.isPunct('(')) {
    const inner = c.parens() as Cursor;
    const shape = parseQuery(ctx, inner, parent, { stored: opts.stored });
    // ORDER BY / LIMIT of the whole set: output names only
    const s: Scope = { entries: [], parent, stored: opts.stored };
    if (!c.atEnd()) scanTail(ctx, c, s, true);
    return shape;
  }
  if (c.kw('values')) {
    const s: Scope = { entries: [], parent };
    let n = 0;
    const lists = new Set<number>();
    for (let i = c.pos; i < c.end; i++) {
      const t = c.toks[i] as Token;
      if (t.type === 'punct' && t.text === '(') {
        lists.add(i);
        i = c.matchParen(i);
      } else if (t.type === 'ident' && (t.value === 'order' || t.value === 'limit')) break;
    }
    const first = [...lists][0];
    if (first !== undefined) {
      n = c.slice(first + 1, c.matchParen(first)).splitCommas().length;
    }
    scanExpr(ctx, c, s);
    const columns: string[] = [];
    for (let i = 1; i <= n; i++) columns.push(`column${i}`);
    return { columns };
  }
  if (c.kw('table')) {
    c.kw('only');
    const n = c.name();
    if (!n) return {};
    const e = fromName(ctx, n, undefined, parent);
    // TABLE t is SELECT * FROM t
    resolveStar(ctx, { entries: [e], stored: opts.stored });
    return { columns: e.columns };
  }
  if (!c.kw('select')) {
    scanExpr(ctx, c, { entries: [], parent });
    return {};
  }
  return parseSelect(ctx, c, parent, opts, lastOfSet);
}

/** Clause keywords of a SELECT, in the order they may appear. */
type Clause =
  | 'targets'
  | 'into'
  | 'from'
  | 'where'
  | 'group'
  | 'having'
  | 'window'
  | 'order'
  | 'limit'
  | 'offset'
  | 'fetch'
  | 'for';

/** Splits a SELECT (after the SELECT keyword) into its clauses at top level. */
function selectClauses(c: Cursor): Map<Clause, Cursor> {
  const out = new Map<Clause, Cursor>();
  let cur: Clause = 'targets';
  let start = c.pos;
  let p1: Token | undefined;
  let p2: Token | undefined;
  const close = (at: number, next: Clause, skip: number) => {
    if (!out.has(cur)) out.set(cur, c.slice(start, at));
    cur = next;
    start = at + skip;
  };
  for (let i = c.pos; i < c.end; i++) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) {
      i = c.matchParen(i);
      p2 = p1;
      p1 = t;
      continue;
    }
    if (t.type === 'ident') {
      const v = t.value;
      const n = c.toks[i + 1];
      const nv = n?.type === 'ident' ? n.value : undefined;
      if (v === 'from') {
        // IS [NOT] DISTINCT FROM is an operator
        const isOp =
          p1?.type === 'ident' &&
          p1.value === 'distinct' &&
          p2?.type === 'ident' &&
          (p2.value === 'is' || p2.value === 'not');
        if (!isOp && (cur === 'targets' || cur === 'into')) close(i, 'from', 1);
      } else if (v === 'into' && cur === 'targets') close(i, 'into', 1);
      else if (v === 'where' && (cur === 'targets' || cur === 'into' || cur === 'from'))
        close(i, 'where', 1);
      else if (v === 'group' && nv === 'by') close(i, 'group', 2);
      else if (v === 'having') close(i, 'having', 1);
      else if (v === 'window') close(i, 'window', 1);
      else if (v === 'order' && nv === 'by') close(i, 'order', 2);
      else if (v === 'limit') close(i, 'limit', 1);
      else if (v === 'offset') close(i, 'offset', 1);
      else if (v === 'fetch' && (nv === 'first' || nv === 'next')) close(i, 'fetch', 1);
      else if (
        v === 'for' &&
        (nv === 'update' || nv === 'share' || nv === 'no' || nv === 'key') &&
        cur !== 'targets'
      )
        close(i, 'for', 1);
    }
    p2 = p1;
    p1 = t;
  }
  if (!out.has(cur)) out.set(cur, c.slice(start, c.end));
  c.pos = c.end;
  return out;
}

/** Words after which a trailing identifier is an operand, not a column alias. */
/** Reserved keywords that are whole values: an identifier after them is an alias. */
const VALUE_WORDS = new Set([
  'true',
  'false',
  'null',
  'end',
  'current_date',
  'current_time',
  'current_timestamp',
  'localtime',
  'localtimestamp',
  'current_user',
  'current_role',
  'current_catalog',
  'current_schema',
  'session_user',
  'system_user',
  'user',
]);

const OPERAND_WORDS = new Set([
  'zone',
  'escape',
  'over',
  'filter',
  'interval',
  'operator',
  'nulls',
  'by',
  'partition',
]);

interface Target {
  expr: Cursor;
  alias?: string;
  star?: string | true;
}

/** A target list item: `*`, `t.*`, or an expression with an optional (AS) alias. */
function target(item: Cursor): Target {
  const n = item.end - item.pos;
  if (n === 1 && item.isOp('*')) return { expr: item, star: true };
  if (n === 3 && item.isName() && item.isPunct('.', 1) && item.isOp('*', 2)) {
    return { expr: item, star: item.peek()?.value ?? '' };
  }
  const last = item.toks[item.end - 1] as Token;
  const before = item.end - 2 >= item.pos ? item.toks[item.end - 2] : undefined;
  if (n < 2 || (last.type !== 'ident' && last.type !== 'qident')) return { expr: item };
  if (before?.type === 'ident' && before.value === 'as') {
    return { expr: item.slice(item.pos, item.end - 2), alias: last.value };
  }
  // a trailing `::type`: the alias, if any, is what the type leaves over
  let cast = -1;
  for (let i = item.pos; i < item.end; i++) {
    const t = item.toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = item.matchParen(i);
    else if (t.type === 'punct' && t.text === '::') cast = i;
  }
  if (cast >= 0) {
    const ty = item.slice(cast + 1, item.end);
    parseType(ty, '');
    if (ty.pos === item.end - 1)
      return { expr: item.slice(item.pos, item.end - 1), alias: last.value };
    if (ty.pos >= cast + 1 && ty.pos < item.end - 1) return { expr: item };
    if (ty.atEnd()) return { expr: item };
  }
  const lastIsWord = last.type === 'qident' || !RESERVED_KEYWORDS.has(last.value ?? '');
  const ends =
    before !== undefined &&
    (before.type === 'number' ||
      before.type === 'string' ||
      before.type === 'param' ||
      before.type === 'qident' ||
      (before.type === 'punct' && (before.text === ')' || before.text === ']')) ||
      (before.type === 'ident' && VALUE_WORDS.has(before.value ?? '')) ||
      (before.type === 'ident' &&
        !RESERVED_KEYWORDS.has(before.value ?? '') &&
        !OPERAND_WORDS.has(before.value ?? '')));
  if (lastIsWord && ends) return { expr: item.slice(item.pos, item.end - 1), alias: last.value };
  return { expr: item };
}

function parseSelect(
  ctx: Ctx,
  c: Cursor,
  parent: Scope | undefined,
  opts: QueryOptions,
  lastOfSet: boolean,
): QueryShape {
  c.kw('all');
  let distinctOn: Cursor | undefined;
  if (c.kw('distinct')) {
    if (c.kw('on')) distinctOn = c.parens();
  }
  const clauses = selectClauses(c);
  const scope: Scope = { entries: [], parent, stored: opts.stored };
  const from = clauses.get('from');
  const deferred: (() => void)[] = [];
  if (from) parseFromList(ctx, from, scope, deferred);
  for (const d of deferred) d();
  // target list
  const targets = clauses.get('targets');
  const names: string[] = [];
  let known = true;
  if (targets && !targets.atEnd()) {
    for (const item of targets.splitCommas()) {
      if (item.atEnd()) continue;
      const t = target(item);
      if (t.star !== undefined) {
        const ref = t.star === true ? undefined : t.star;
        resolveStar(ctx, scope, ref);
        for (const e of scope.entries) {
          if (ref !== undefined && e.ref !== ref) continue;
          if (e.columns) names.push(...e.columns);
          else known = false;
        }
        continue;
      }
      if (t.alias !== undefined) names.push(t.alias);
      else {
        const f = figureColname(t.expr.slice(t.expr.pos, t.expr.end));
        names.push(f.strength > 0 ? f.name : '?column?');
      }
      scanExpr(ctx, t.expr, scope);
    }
  }
  const outputs: Scope = { ...scope, outputNames: new Set(names) };
  if (distinctOn) scanExpr(ctx, distinctOn, outputs);
  const into = clauses.get('into');
  if (into && opts.top && ctx.live) selectInto(ctx, into, known ? names : undefined);
  const where = clauses.get('where');
  if (where) scanExpr(ctx, where, scope);
  const group = clauses.get('group');
  if (group) scanExpr(ctx, group, outputs);
  const having = clauses.get('having');
  if (having) scanExpr(ctx, having, scope);
  const win = clauses.get('window');
  if (win) {
    for (const w of win.splitCommas()) {
      w.ident();
      w.kw('as');
      const spec = w.parens();
      if (spec) scanExpr(ctx, spec, scope, true);
    }
  }
  const order = clauses.get('order');
  if (order)
    scanExpr(
      ctx,
      order,
      lastOfSet ? { entries: [], parent, outputNames: new Set() } : outputs,
      true,
    );
  for (const k of ['limit', 'offset', 'fetch'] as const) {
    const x = clauses.get(k);
    if (x) scanExpr(ctx, x, { entries: [], parent });
  }
  return known ? { columns: names } : {};
}

/** ORDER BY / LIMIT after a parenthesised set branch. */
function scanTail(ctx: Ctx, c: Cursor, scope: Scope, window: boolean): undefined {
  c.kw('order', 'by');
  scanExpr(ctx, c, scope, window);
}

/** SELECT ... INTO [TEMP | UNLOGGED] [TABLE] t: creates t. */
function selectInto(ctx: Ctx, into: Cursor, columns: string[] | undefined): undefined {
  const temp =
    into.kw('temporary') ||
    into.kw('temp') ||
    (into.kw('local') && (into.kw('temporary') || into.kw('temp')));
  into.kw('unlogged');
  into.kw('table');
  const n = into.name();
  if (!n) return;
  const t = relObj(ctx, 'table', 'create', n, temp ? TEMP_SCHEMA : undefined);
  const schema = t.schema as string;
  if (columns) {
    for (const col of new Set(columns)) scopedObj(ctx, 'column', 'create', [schema, t.name], col);
  }
  ctx.cat.addTable(schema, t.name, columns);
}

// ---------------------------------------------------------------- FROM

const JOIN_WORDS = new Set(['join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'outer']);

/** The FROM list: entries go into `scope`; ON / USING / lateral work is deferred until all entries are known. */
function parseFromList(ctx: Ctx, c: Cursor, scope: Scope, deferred: (() => void)[]): undefined {
  for (const item of c.splitCommas()) parseJoinTree(ctx, item, scope, deferred);
}

function parseJoinTree(ctx: Ctx, c: Cursor, scope: Scope, deferred: (() => void)[]): undefined {
  let left: RangeEntry[] = parseFromItem(ctx, c, scope, deferred);
  while (!c.atEnd()) {
    while (c.peek()?.type === 'ident' && JOIN_WORDS.has(c.peek()?.value ?? '') && !c.isKw('join')) {
      c.next();
    }
    if (!c.kw('join')) {
      c.skipOne();
      continue;
    }
    const right = parseFromItem(ctx, c, scope, deferred);
    if (c.kw('on')) {
      // up to the next JOIN keyword at top level
      const start = c.pos;
      while (!c.atEnd() && !(c.peek()?.type === 'ident' && JOIN_WORDS.has(c.peek()?.value ?? '')))
        c.skipOne();
      const on = c.slice(start, c.pos);
      deferred.push(() => scanExpr(ctx, on, scope));
    } else if (c.kw('using')) {
      const cols = identList(c.parens() as Cursor);
      if (c.kw('as')) c.ident();
      const l = left;
      deferred.push(() => {
        for (const col of cols) {
          for (const side of [l, right]) {
            const tables = side.filter((e) => e.table);
            const hits = side.filter((e) => e.columns?.includes(col));
            const target =
              side.length === 1
                ? side[0]
                : hits.length === 1 && side.every((e) => e.columns)
                  ? hits[0]
                  : undefined;
            if (target?.table && tables.length > 0)
              scopedObj(ctx, 'column', 'reference', target.table, col);
          }
        }
      });
    }
    left = [...left, ...right];
  }
  return undefined;
}

/** One FROM item; returns the entries it adds. */
function parseFromItem(ctx: Ctx, c: Cursor, scope: Scope, deferred: (() => void)[]): RangeEntry[] {
  const lateral = c.kw('lateral');
  if (c.isPunct('(')) {
    const isQ = startsQuery(c, c.pos + 1);
    const inner = c.parens() as Cursor;
    if (isQ) {
      const { alias, columns } = aliasClause(c);
      const entry: RangeEntry = { ref: alias ?? '', columns: undefined };
      scope.entries.push(entry);
      const run = () => {
        const shape = parseQuery(ctx, inner, lateral ? scope : scope.parent);
        entry.columns = columns ?? shape.columns;
      };
      // a non-lateral subquery cannot see its siblings: its shape is known at once
      if (lateral) deferred.push(run);
      else run();
      return [entry];
    }
    // a parenthesised join
    const before = scope.entries.length;
    parseJoinTree(ctx, inner, scope, deferred);
    const added = scope.entries.slice(before);
    const { alias } = aliasClause(c);
    if (alias !== undefined) {
      // the join's columns are only reachable through the alias now
      const entry: RangeEntry = { ref: alias, columns: undefined };
      scope.entries.push(entry);
      return [...added, entry];
    }
    return added;
  }
  if (c.kw('rows', 'from')) {
    const inner = c.parens();
    if (inner) deferred.push(() => scanExpr(ctx, inner, scope));
    c.kw('with', 'ordinality');
    const { alias, columns } = aliasClause(c);
    const entry: RangeEntry = { ref: alias ?? '', columns };
    scope.entries.push(entry);
    return [entry];
  }
  const only = c.kw('only');
  if (!c.isName()) return [];
  const n = c.name() as string[];
  if (c.isPunct('(') && !only) {
    // a function in FROM (implicitly LATERAL: its arguments see the items before it)
    const args = c.parens() as Cursor;
    const fn = n;
    deferred.push(() => {
      const fname = fn[fn.length - 1] as string;
      if (fn.length > 1 || !['xmltable', 'json_table'].includes(fname)) functionCall(ctx, fn);
      scanExpr(ctx, args, scope);
    });
    c.kw('with', 'ordinality');
    const { alias, columns } = aliasClause(c);
    const entry: RangeEntry = { ref: alias ?? (n[n.length - 1] as string), columns };
    scope.entries.push(entry);
    return [entry];
  }
  if (c.isOp('*')) c.next();
  const { alias, columns } = aliasClause(c);
  if (c.kw('tablesample')) {
    c.next();
    c.parens();
    if (c.kw('repeatable')) c.parens();
  }
  const entry = fromName(ctx, n, alias, scope);
  if (columns !== undefined) {
    // column aliases rename the relation's columns: resolve nothing through it
    const renamedEntry: RangeEntry = { ref: entry.ref, columns: undefined };
    scope.entries.push(renamedEntry);
    return [renamedEntry];
  }
  scope.entries.push(entry);
  return [entry];
}

/** A relation or CTE named in FROM: records the table reference. */
function fromName(
  ctx: Ctx,
  n: string[],
  alias: string | undefined,
  scope: Scope | undefined,
): RangeEntry {
  if (n.length === 1) {
    const cte = findCte(scope, n[0] as string);
    if (cte) return { ref: alias ?? (n[0] as string), columns: cte.columns };
  }
  const table = resolveRelation(ctx, n);
  if (!ctx.bodyRelations?.has(`${table[0]}.${table[1]}`)) {
    namedObj(ctx, 'table', 'reference', table[0], table[1]);
  }
  return tableEntry(ctx, table, alias);
}

export { resolveRelation };

/** `[AS] alias [(col, ...)]` after a FROM item. */
function aliasClause(c: Cursor): { alias?: string; columns?: string[] } {
  const hadAs = c.kw('as');
  const t = c.peek();
  if (
    t &&
    (t.type === 'qident' ||
      (t.type === 'ident' &&
        (hadAs || (!RESERVED_KEYWORDS.has(t.value ?? '') && !NOT_ALIASES.has(t.value ?? '')))))
  ) {
    c.next();
    let columns: string[] | undefined;
    if (c.isPunct('(')) {
      columns = [];
      for (const part of (c.parens() as Cursor).splitCommas()) {
        const v = part.ident();
        if (v !== undefined) columns.push(v);
      }
    }
    return { alias: t.value, columns };
  }
  return {};
}

/** Unreserved words that end a FROM item rather than alias it. */
const NOT_ALIASES = new Set(['set', 'tablesample', 'repeatable', 'ordinality']);

// ---------------------------------------------------------------- DML

/** The target of INSERT / UPDATE / DELETE / MERGE: a table reference and its entry. */
function dmlTarget(ctx: Ctx, c: Cursor, scope: Scope | undefined): RangeEntry | undefined {
  c.kw('only');
  const n = c.name();
  if (!n) return undefined;
  if (c.isOp('*')) c.next();
  let alias: string | undefined;
  if (c.kw('as')) alias = c.ident();
  else if (
    c.isName() &&
    !(c.peek()?.type === 'ident' && (RESERVED_KEYWORDS.has(c.peek()?.value ?? '') || c.isKw('set')))
  )
    alias = c.ident();
  return fromName(ctx, n, alias, scope);
}

function columnTarget(ctx: Ctx, target: RangeEntry, col: string): undefined {
  if (target.table && (target.columns === undefined || target.columns.includes(col))) {
    scopedObj(ctx, 'column', 'reference', target.table, col);
  }
}

/** `col = expr, (a, b) = (...)` of UPDATE ... SET and ON CONFLICT DO UPDATE SET. */
function assignments(ctx: Ctx, c: Cursor, target: RangeEntry, scope: Scope): undefined {
  for (const a of c.splitCommas()) {
    if (a.isPunct('(')) {
      for (const col of identList(a.parens() as Cursor)) columnTarget(ctx, target, col);
    } else {
      const col = a.ident();
      if (col !== undefined) columnTarget(ctx, target, col);
      while (!a.atEnd() && !a.isOp('=')) a.skipOne();
    }
    if (a.isOp('=')) a.next();
    scanExpr(ctx, a, scope);
  }
}

/** A top-level clause keyword (never the FROM of IS [NOT] DISTINCT FROM). */
function topLevel(c: Cursor, ...words: string[]): number {
  for (let i = c.pos; i < c.end; i++) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = c.matchParen(i);
    else if (t.type === 'ident' && words.includes(t.value ?? '')) {
      if (t.value === 'from' && c.toks[i - 1]?.value === 'distinct') continue;
      return i;
    }
  }
  return -1;
}

function parseInsert(ctx: Ctx, c: Cursor, parent: Scope | undefined): QueryShape {
  c.kw('insert');
  c.kw('into');
  const target = dmlTarget(ctx, c, parent);
  if (!target) return {};
  if (c.isPunct('(') && !startsQuery(c, c.pos + 1)) {
    for (const col of identList(c.parens() as Cursor)) columnTarget(ctx, target, col);
  }
  if (c.kw('overriding')) {
    c.next();
    c.kw('value');
  }
  const on = (() => {
    for (let i = c.pos; i < c.end; i++) {
      const t = c.toks[i] as Token;
      if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = c.matchParen(i);
      else if (t.type === 'ident' && t.value === 'on' && c.toks[i + 1]?.value === 'conflict')
        return i;
    }
    return -1;
  })();
  const ret = topLevel(c, 'returning');
  const srcEnd = on >= 0 ? on : ret >= 0 ? ret : c.end;
  const src = c.slice(c.pos, srcEnd);
  if (src.kw('default', 'values')) {
    /* nothing read */
  } else if (src.isKw('values')) {
    src.next();
    scanExpr(ctx, src, { entries: [], parent });
  } else if (!src.atEnd()) parseQuery(ctx, src, parent);
  const own: Scope = { entries: [target], parent };
  if (on >= 0) {
    const oc = c.slice(on + 2, ret >= 0 ? ret : c.end);
    if (oc.isPunct('(')) scanExpr(ctx, oc.parens() as Cursor, own);
    if (oc.kw('on', 'constraint')) oc.ident();
    if (oc.kw('where')) {
      const start = oc.pos;
      while (!oc.atEnd() && !oc.isKw('do')) oc.skipOne();
      scanExpr(ctx, oc.slice(start, oc.pos), own);
    }
    if (oc.kw('do', 'update', 'set')) {
      const w = oc.findKw(['where']);
      const excluded: RangeEntry = { ...target, ref: 'excluded', schemaRef: undefined };
      const both: Scope = { entries: [target, excluded], parent };
      assignments(ctx, oc.slice(oc.pos, w >= 0 ? w : oc.end), target, both);
      if (w >= 0) scanExpr(ctx, oc.slice(w + 1, oc.end), both);
    }
  }
  if (ret >= 0) scanReturning(ctx, c.slice(ret + 1, c.end), own);
  c.pos = c.end;
  return {};
}

function scanReturning(ctx: Ctx, c: Cursor, scope: Scope): undefined {
  for (const item of c.splitCommas()) {
    const t = target(item);
    if (t.star !== undefined) resolveStar(ctx, scope, t.star === true ? undefined : t.star);
    else scanExpr(ctx, t.expr, scope);
  }
}

function parseUpdate(ctx: Ctx, c: Cursor, parent: Scope | undefined): QueryShape {
  c.kw('update');
  const target = dmlTarget(ctx, c, parent);
  if (!target) return {};
  if (!c.kw('set')) return {};
  const from = topLevel(c, 'from');
  const where = topLevel(c, 'where');
  const ret = topLevel(c, 'returning');
  const setEnd = [from, where, ret].filter((x) => x >= 0).sort((a, b) => a - b)[0] ?? c.end;
  const scope: Scope = { entries: [target], parent };
  dmlFromList(ctx, c, from, [where, ret], scope);
  assignments(ctx, c.slice(c.pos, setEnd), target, scope);
  dmlWhereReturning(ctx, c, where, ret, scope);
  return {};
}

function parseDelete(ctx: Ctx, c: Cursor, parent: Scope | undefined): QueryShape {
  c.kw('delete');
  c.kw('from');
  const target = dmlTarget(ctx, c, parent);
  if (!target) return {};
  const using = c.isKw('using') ? c.pos : -1;
  const where = topLevel(c, 'where');
  const ret = topLevel(c, 'returning');
  const scope: Scope = { entries: [target], parent };
  dmlFromList(ctx, c, using, [where, ret], scope);
  dmlWhereReturning(ctx, c, where, ret, scope);
  return {};
}

/**
 * UPDATE's FROM or DELETE's USING list, at `at` (the keyword; -1: none) up to
 * the first of `ends` after it: its relations join the statement's scope.
 */
function dmlFromList(ctx: Ctx, c: Cursor, at: number, ends: number[], scope: Scope): undefined {
  if (at < 0) return;
  const end = ends.filter((x) => x > at).sort((a, b) => a - b)[0] ?? c.end;
  const deferred: (() => void)[] = [];
  parseFromList(ctx, c.slice(at + 1, end), scope, deferred);
  for (const d of deferred) d();
}

/** The WHERE (not WHERE CURRENT OF) and RETURNING of UPDATE and DELETE; consumes the rest. */
function dmlWhereReturning(
  ctx: Ctx,
  c: Cursor,
  where: number,
  ret: number,
  scope: Scope,
): undefined {
  if (where >= 0) {
    const w = c.slice(where + 1, ret > where ? ret : c.end);
    if (!w.isKw('current')) scanExpr(ctx, w, scope);
  }
  if (ret >= 0) scanReturning(ctx, c.slice(ret + 1, c.end), scope);
  c.pos = c.end;
}

function parseMerge(ctx: Ctx, c: Cursor, parent: Scope | undefined): QueryShape {
  c.kw('merge');
  c.kw('into');
  const target = dmlTarget(ctx, c, parent);
  if (!target || !c.kw('using')) return {};
  const scope: Scope = { entries: [target], parent };
  const deferred: (() => void)[] = [];
  const onAt = topLevel(c, 'on');
  const src = c.slice(c.pos, onAt >= 0 ? onAt : c.end);
  parseFromItem(ctx, src, scope, deferred);
  for (const d of deferred) d();
  if (onAt < 0) return {};
  c.pos = onAt + 1;
  // WHEN clauses
  const whens: number[] = [];
  for (let i = c.pos; i < c.end; i++) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = c.matchParen(i);
    else if (t.type === 'ident' && t.value === 'when') whens.push(i);
  }
  scanExpr(ctx, c.slice(c.pos, whens[0] ?? c.end), scope);
  for (let k = 0; k < whens.length; k++) {
    const w = c.slice((whens[k] as number) + 1, whens[k + 1] ?? c.end);
    w.kw('not');
    w.kw('matched');
    const thenAt = w.findKw(['then']);
    if (thenAt < 0) continue;
    if (w.kw('and')) scanExpr(ctx, w.slice(w.pos, thenAt), scope);
    w.pos = thenAt + 1;
    if (w.kw('update', 'set')) assignments(ctx, w, target, scope);
    else if (w.kw('insert')) {
      if (w.isPunct('('))
        for (const col of identList(w.parens() as Cursor)) columnTarget(ctx, target, col);
      if (w.kw('overriding')) {
        w.next();
        w.kw('value');
      }
      if (w.kw('values')) scanExpr(ctx, w, scope);
    }
  }
  c.pos = c.end;
  return {};
}
