/**
 * Indexes: CREATE INDEX (named or named by PostgreSQL, recursing into the
 * partitions of a partitioned table), DROP INDEX, ALTER INDEX (RENAME renames
 * a constraint's index and its constraint together; ATTACH PARTITION), and
 * the index elements shared with PRIMARY KEY / UNIQUE / EXCLUDE constraints.
 */
import {
  type Ctx,
  fail,
  memoOf,
  namedObj,
  relObj,
  relRef,
  renamed,
  resolve,
  resolveRelation,
  scopedObj,
} from './context.js';
import type { Cursor } from './cursor.js';
import { figureColname, scanExpr } from './exprs.js';
import type { Token } from './lexer.js';
import { quoteIdent } from './names.js';
import { chooseIndexName, type IndexNameKind, indexColumnNames } from './naming.js';
import { type Scope, tableEntry } from './scope.js';
import { type IndexInfo, type RelationInfo, relKey } from './shadow.js';
import type { DbObject } from './types.js';

export interface IndexElement {
  /** Normalised text (key expression and options). */
  text: string;
  /** Set for a plain column. */
  column?: string;
  /** FigureIndexColname: the column, the function, the cast's type, or `expr`. */
  label: string;
}

function tokenNorm(t: Token): string {
  if (t.type === 'ident') return t.value ?? '';
  if (t.type === 'qident') return quoteIdent(t.value ?? '');
  return t.text;
}

function isWordy(t: Token): boolean {
  return (
    t.type === 'ident' ||
    t.type === 'qident' ||
    t.type === 'number' ||
    t.type === 'string' ||
    t.type === 'param'
  );
}

/** Normalised text of a token run: folded identifiers, single spaces only between words. */
export function normalizeTokens(toks: Token[]): string {
  let out = '';
  let prev: Token | undefined;
  for (const t of toks) {
    if (prev && isWordy(prev) && isWordy(t)) out += ' ';
    out += tokenNorm(t);
    prev = t;
  }
  return out;
}

/**
 * One index element: a plain column (with its ordering/opclass options) or an
 * expression; records the columns, functions and types it reads in `scope`.
 */
export function indexElement(ctx: Ctx, c: Cursor, scope: Scope): IndexElement {
  const t = c.peek();
  const toks = c.toks.slice(c.pos, c.end).filter((x) => !(x.type === 'ident' && x.value === 'asc'));
  if (
    t &&
    (t.type === 'ident' || t.type === 'qident') &&
    !c.isPunct('(', 1) &&
    !c.isPunct('.', 1)
  ) {
    const col = t.value ?? '';
    const rest = normalizeTokens(toks.slice(1));
    return {
      text: rest === '' ? quoteIdent(col) : `${quoteIdent(col)} ${rest}`,
      column: col,
      label: col,
    };
  }
  let expr: Cursor;
  if (c.isPunct('(')) {
    const close = c.matchParen(c.pos);
    expr = c.slice(c.pos + 1, close);
  } else {
    // func_expr_windowless: a name and its argument list
    let k = 1;
    while (c.isPunct('.', k) && c.isName(k + 1)) k += 2;
    const close = c.isPunct('(', k) ? c.matchParen(c.pos + k) : c.pos + k - 1;
    expr = c.slice(c.pos, close + 1);
  }
  scanExpr(ctx, expr.slice(expr.pos, expr.end), scope);
  const f = figureColname(expr.slice(expr.pos, expr.end));
  return { text: normalizeTokens(toks), label: f.strength > 0 ? f.name : 'expr' };
}

export interface IndexSpec {
  table: [string, string];
  elements: IndexElement[];
  include: string[];
  where?: string;
  method: string;
  unique: boolean;
  nullsNotDistinct: boolean;
}

/** The definition PostgreSQL compares when it looks for an equivalent index on a partition. */
export function indexSignature(s: IndexSpec): string {
  return [
    s.unique ? 'u' : '',
    s.nullsNotDistinct ? 'n' : '',
    s.method,
    s.elements.map((e) => e.text).join(','),
    s.include.join(','),
    s.where ?? '',
  ].join('\u0001');
}

/** Records an index PostgreSQL creates and names itself (constraint indexes, clones). */
export function emitIndex(
  ctx: Ctx,
  table: [string, string],
  name: string,
  columns: string[],
  implicit: boolean,
): DbObject {
  const o = scopedObj(ctx, 'index', 'create', table, name);
  o.columns = columns;
  if (implicit) o.implicitName = true;
  return o;
}

/** Registers an index in the shadow catalog (its table may be unknown). */
export function registerIndex(
  ctx: Ctx,
  table: [string, string],
  name: string,
  info: IndexInfo,
): undefined {
  if (!ctx.live) return;
  const t = ctx.cat.table(table[0], table[1]);
  if (t) ctx.cat.addIndex(t, name, info);
  else
    ctx.cat.addRelation({
      kind: 'index',
      schema: table[0],
      name,
      table: relKey(table[0], table[1]),
      index: info,
    });
}

/**
 * Copies `index` of a partitioned table to `child` (DefineIndex recursing, or
 * a new partition): attaches an equivalent index the child already has, else
 * creates one named by ChooseIndexName. Constraint indexes bring their
 * constraint. Recurses into the child's own partitions.
 */
export function cloneIndexTo(
  ctx: Ctx,
  parentKey: string,
  index: IndexInfo,
  child: RelationInfo,
): undefined {
  const isConstraint = index.constraint !== undefined;
  let found: string | undefined;
  for (const n of child.indexes ?? []) {
    const ci = ctx.cat.relation(child.schema, n)?.index;
    if (!ci || ci.parent !== undefined || ci.signature !== index.signature) continue;
    if (isConstraint && ci.constraint === undefined) continue;
    found = n;
    break;
  }
  if (found !== undefined) {
    const ci = ctx.cat.relation(child.schema, found)?.index;
    if (ci) ci.parent = parentKey;
    return;
  }
  const table: [string, string] = [child.schema, child.name];
  const name = chooseIndexName(
    child.name,
    index.columnNames,
    index.kind,
    ctx.cat.takenFor(child.schema, isConstraint),
    memoOf(ctx),
  );
  emitIndex(ctx, table, name, index.keyTexts, true);
  for (const col of index.plainColumns) scopedObj(ctx, 'column', 'reference', table, col);
  if (isConstraint) {
    const con = scopedObj(ctx, 'constraint', 'create', table, name);
    con.implicitName = true;
    ctx.cat.addConstraint(child, {
      name,
      type: index.kind === 'pkey' ? 'p' : index.kind === 'excl' ? 'x' : 'u',
      columns: index.plainColumns,
      index: name,
    });
  }
  const info: IndexInfo = {
    ...index,
    constraint: isConstraint ? name : undefined,
    parent: parentKey,
  };
  ctx.cat.addIndex(child, name, info);
  cloneIndexToChildren(ctx, relKey(child.schema, name), info, child);
}

/** Recursion of DefineIndex into the partitions of `table`. */
export function cloneIndexToChildren(
  ctx: Ctx,
  indexKey: string,
  index: IndexInfo,
  table: RelationInfo,
): undefined {
  for (const k of table.children ?? []) {
    const child = ctx.cat.relations.get(k);
    if (child && table.partitioned) cloneIndexTo(ctx, indexKey, index, child);
  }
}

/** Copies every index of `parent` to the new partition `child`. */
export function cloneIndexesToPartition(
  ctx: Ctx,
  parent: RelationInfo,
  child: RelationInfo,
): undefined {
  for (const n of [...(parent.indexes ?? [])]) {
    const r = ctx.cat.relation(parent.schema, n);
    if (r?.index) cloneIndexTo(ctx, relKey(parent.schema, n), r.index, child);
  }
}

export function parseCreateIndex(ctx: Ctx, c: Cursor, unique: boolean): undefined {
  c.kw('concurrently');
  let name: string | undefined;
  if (c.kw('if', 'not', 'exists')) name = c.ident();
  else if (!c.isKw('on')) name = c.ident();
  if (!c.kw('on')) return fail(ctx, c, 'ON table');
  const only = c.kw('only');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a table name');
  const table = resolveRelation(ctx, parts);
  let method = 'btree';
  if (c.kw('using')) method = c.next()?.value ?? 'btree';
  const scope: Scope = { entries: [tableEntry(ctx, table)] };
  const elems = c.parens();
  const elements: IndexElement[] = [];
  if (elems) for (const e of elems.splitCommas()) elements.push(indexElement(ctx, e, scope));
  const include: string[] = [];
  let nullsNotDistinct = false;
  let where: string | undefined;
  while (!c.atEnd()) {
    if (c.kw('include')) {
      for (const part of (c.parens() as Cursor).splitCommas()) {
        const v = part.ident();
        if (v === undefined) continue;
        include.push(v);
        scopedObj(ctx, 'column', 'reference', table, v);
      }
      continue;
    }
    if (c.kw('nulls', 'not', 'distinct')) {
      nullsNotDistinct = true;
      continue;
    }
    if (c.kw('where')) {
      const pred = c.slice(c.pos, c.end);
      where = normalizeTokens(pred.toks.slice(pred.pos, pred.end));
      scanExpr(ctx, pred, scope);
      break;
    }
    c.skipOne();
  }
  for (const e of elements)
    if (e.column !== undefined) scopedObj(ctx, 'column', 'reference', table, e.column);
  const columnNames = indexColumnNames([...elements.map((e) => e.label), ...include]);
  const idxName =
    name ??
    chooseIndexName(table[1], columnNames, 'idx', ctx.cat.takenFor(table[0], false), memoOf(ctx));
  emitIndex(
    ctx,
    table,
    idxName,
    elements.map((e) => e.text),
    name === undefined,
  );
  const spec: IndexSpec = { table, elements, include, where, method, unique, nullsNotDistinct };
  const info: IndexInfo = {
    columnNames,
    signature: indexSignature(spec),
    kind: 'idx',
    keyTexts: elements.map((e) => e.text),
    plainColumns: elements.filter((e) => e.column !== undefined).map((e) => e.column as string),
  };
  if (!ctx.live) return;
  const t = ctx.cat.table(table[0], table[1]);
  if (ctx.cat.relationTaken(table[0], idxName)) return; // IF NOT EXISTS on an existing index
  registerIndex(ctx, table, idxName, info);
  if (t && !only) cloneIndexToChildren(ctx, relKey(table[0], idxName), info, t);
}

export function parseDropIndexes(ctx: Ctx, c: Cursor): undefined {
  c.kw('concurrently');
  c.kw('if', 'exists');
  for (const item of c.splitCommas()) {
    const n = item.name();
    if (!n) continue;
    const o = relRef(ctx, 'index', 'drop', n);
    if (ctx.live) {
      const r = ctx.cat.relation(o.schema as string, o.name);
      if (r?.kind === 'index') ctx.cat.dropRelation(o.schema as string, o.name);
    }
  }
}

export function parseAlterIndex(ctx: Ctx, c: Cursor): undefined {
  c.kw('if', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'an index name');
  const o = relObj(ctx, 'index', 'alter', parts);
  const schema = o.schema as string;
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn === undefined) return fail(ctx, c, 'a new name');
    renamed(ctx, o, schema, nn);
    if (!ctx.live) return;
    const r = ctx.cat.relation(schema, o.name);
    // the constraint of a constraint index is renamed with it
    if (r?.index?.constraint !== undefined && r.table !== undefined) {
      const t = ctx.cat.relations.get(r.table);
      if (t) {
        const con = scopedObj(ctx, 'constraint', 'rename', [t.schema, t.name], r.index.constraint);
        renamed(ctx, con, t.schema, nn);
        ctx.cat.renameConstraint(t, r.index.constraint, nn);
        const ci = t.constraints?.get(nn);
        if (ci) ci.index = nn;
        r.index.constraint = nn;
      }
    }
    ctx.cat.renameRelation(schema, o.name, schema, nn);
    return;
  }
  if (c.kw('attach', 'partition')) {
    const n = c.name();
    if (!n) return fail(ctx, c, 'an index name');
    const child = resolve(ctx, n);
    namedObj(ctx, 'index', 'reference', child[0], child[1]);
    if (ctx.live) {
      const ci = ctx.cat.relation(child[0], child[1])?.index;
      if (ci) ci.parent = relKey(schema, o.name);
    }
    return;
  }
}

export type { IndexNameKind };
