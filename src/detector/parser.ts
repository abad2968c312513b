/**
 * DDL object model: turns a script into statements and the database objects
 * each one touches. Token-based recursive descent over PostgreSQL's grammar for
 * the statement kinds pggit analyses; everything else is reported as a warning
 * naming the statement kind. Function bodies (strings, dollar quotes and
 * BEGIN ATOMIC blocks) are never scanned as DDL.
 */
import { Cursor } from './cursor.js';
import { lex, splitTokens, type Token } from './lexer.js';
import {
  BUILTIN_TYPES,
  normalizeQuotedTypeName,
  normalizeTypeName,
  qualify,
  quoteIdent,
  truncateIdent,
} from './names.js';
import type {
  DbObject,
  ObjectAction,
  ObjectKind,
  ParsedStatement,
  ParseOptions,
  ParseResult,
  ParseWarning,
} from './types.js';

/** Schema of temporary objects created without a schema. */
export const TEMP_SCHEMA = 'pg_temp';

interface Ctx {
  schema: string;
  objects: DbObject[];
  warnings: string[];
  /** Unqualified CTE names of the current statement (excluded from table references). */
  ctes: Set<string>;
  /** Recursion depth guard for nested queries. */
  depth: number;
}

const MAX_DEPTH = 200;

function resolve(ctx: Ctx, parts: string[], defaultSchema?: string): [string, string] {
  const n = parts.length;
  if (n === 1) return [defaultSchema ?? ctx.schema, parts[0] as string];
  return [parts[n - 2] as string, parts[n - 1] as string];
}

function relObj(
  ctx: Ctx,
  kind: ObjectKind,
  action: ObjectAction,
  parts: string[],
  defaultSchema?: string,
): DbObject {
  const [schema, name] = resolve(ctx, parts, defaultSchema);
  const o: DbObject = { kind, action, schema, name, qualified: qualify(schema, name) };
  ctx.objects.push(o);
  return o;
}

/** A table-scoped object (column, constraint, trigger, policy) or an index. */
function scopedObj(
  ctx: Ctx,
  kind: ObjectKind,
  action: ObjectAction,
  table: [string, string],
  name: string,
): DbObject {
  const [schema, tname] = table;
  const o: DbObject = {
    kind,
    action,
    schema,
    name,
    table: qualify(schema, tname),
    qualified: kind === 'index' ? qualify(schema, name) : qualify(schema, tname, name),
  };
  ctx.objects.push(o);
  return o;
}

function globalObj(
  ctx: Ctx,
  kind: 'schema' | 'extension',
  action: ObjectAction,
  name: string,
): DbObject {
  const o: DbObject = { kind, action, schema: null, name, qualified: quoteIdent(name) };
  ctx.objects.push(o);
  return o;
}

/** Records a rename: the old object with action 'rename' and `newName`, the new one with `renamedFrom`. */
function renamed(ctx: Ctx, old: DbObject, newSchema: string | null, newName: string): undefined {
  old.action = 'rename';
  old.newName = newName;
  const o: DbObject = { ...old, action: 'rename', name: newName, renamedFrom: old.qualified };
  delete o.newName;
  if (old.table !== undefined && old.kind !== 'index') {
    o.qualified = `${old.table}.${quoteIdent(newName)}`;
  } else if (old.schema === null) {
    o.qualified = quoteIdent(newName);
  } else {
    o.schema = newSchema;
    o.qualified = qualify(newSchema, newName);
  }
  ctx.objects.push(o);
}

// ---------------------------------------------------------------- types

interface ParsedType {
  /** Normalised type, e.g. `integer`, `character varying[]`, `public.mood`. */
  text: string;
  /** The name parts of a type that is not built in (a user-defined type, domain or enum). */
  ref?: string[];
}

const TYPE_STOP = new Set([
  'constraint',
  'not',
  'null',
  'default',
  'check',
  'unique',
  'primary',
  'references',
  'generated',
  'collate',
  'compression',
  'storage',
]);

/** Parses a type name at the cursor; undefined when no type starts here. */
export function parseType(c: Cursor, defaultSchema: string): ParsedType | undefined {
  c.kw('setof');
  const t = c.peek();
  if (!t || (t.type !== 'ident' && t.type !== 'qident')) return undefined;
  let parts: string[];
  let special: string | undefined;
  let ref: string[] | undefined;
  let hadMods = false;
  const v = t.type === 'ident' ? t.value : undefined;
  if (v === 'double' && c.isKw('precision', 1)) {
    c.pos += 2;
    parts = ['double precision'];
  } else if (v === 'national' || v === 'character' || v === 'char' || v === 'nchar') {
    c.kw('national');
    c.next();
    parts = [c.kw('varying') ? 'character varying' : 'character'];
  } else if (v === 'bit') {
    c.next();
    parts = [c.kw('varying') ? 'bit varying' : 'bit'];
  } else if (v === 'timestamp' || v === 'time') {
    c.next();
    if (c.parens()) hadMods = true;
    if (c.kw('with', 'time', 'zone')) parts = [`${v} with time zone`];
    else {
      c.kw('without', 'time', 'zone');
      parts = [`${v} without time zone`];
    }
  } else if (v === 'interval') {
    c.next();
    parts = ['interval'];
    const fields = ['year', 'month', 'day', 'hour', 'minute', 'second'];
    while (fields.some((f) => c.isKw(f)) || c.isKw('to')) c.next();
  } else if (v === 'float') {
    c.next();
    const p = c.parens();
    parts = ['double precision'];
    if (p) {
      hadMods = true;
      const num = p.peek();
      if (num && num.type === 'number' && Number(num.text) <= 24) parts = ['real'];
    }
  } else if (t.type === 'qident' && !c.isPunct('.', 1)) {
    // a quoted single name is never a synonym: "char" is not character
    c.next();
    parts = [];
    special = normalizeQuotedTypeName(t.value ?? '');
    if (!BUILTIN_TYPES.has(t.value ?? '')) ref = [t.value ?? ''];
  } else {
    parts = c.name() ?? [];
    if (
      parts.length > 1
        ? parts[parts.length - 2] !== 'pg_catalog'
        : !BUILTIN_TYPES.has(parts[0] ?? '')
    ) {
      ref = parts;
    }
    if (c.isOp('%') && (c.isKw('type', 1) || c.isKw('rowtype', 1))) {
      c.next();
      special = `${qualify(...parts)}%${c.next()?.value}`;
      ref = undefined;
    }
  }
  if (!hadMods && c.isPunct('(')) c.parens();
  let dims = 0;
  for (;;) {
    if (c.isPunct('[')) {
      c.skipOne();
      dims++;
    } else if (c.kw('array')) {
      dims++;
      if (c.isPunct('[')) c.skipOne();
    } else break;
  }
  const text =
    special !== undefined
      ? dims > 0
        ? `${special}[]`
        : special
      : normalizeTypeName(parts, dims, defaultSchema);
  return ref && ref.length > 0 ? { text, ref } : { text };
}

const ARG_MODES = new Set(['in', 'out', 'inout', 'variadic']);

/** Normalised input-argument signature of a function argument list (OUT arguments excluded). */
export function parseSignature(args: Cursor, defaultSchema: string): string {
  const types: string[] = [];
  if (args.atEnd()) return '';
  for (const a of args.splitCommas()) {
    if (a.atEnd()) continue;
    if (a.isOp('*') && a.end - a.pos === 1) continue; // aggregate(*)
    let mode = 'in';
    if (a.peek()?.type === 'ident' && ARG_MODES.has(a.peek()?.value ?? '') && a.end - a.pos > 1) {
      mode = a.next()?.value ?? 'in';
    }
    const stop = a.findKw(['default']);
    let end = stop >= 0 ? stop : a.end;
    for (let i = a.pos; i < end; i++) {
      const t = a.toks[i] as Token;
      if (t.type === 'op' && t.text === '=') {
        end = i;
        break;
      }
      if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = a.matchParen(i);
    }
    const sub = new Cursor(a.toks, a.match, a.pos, end);
    let ty = parseType(sub, defaultSchema);
    if (!ty || !sub.atEnd()) {
      sub.pos = a.pos;
      sub.next(); // the argument's name
      if (
        sub.peek()?.type === 'ident' &&
        ARG_MODES.has(sub.peek()?.value ?? '') &&
        end - sub.pos > 1
      ) {
        mode = sub.next()?.value ?? 'in';
      }
      ty = parseType(sub, defaultSchema);
    }
    if (mode === 'out') continue;
    types.push(ty ? ty.text : '?');
  }
  return types.join(',');
}

// ---------------------------------------------------------------- queries

const QUERY_START = new Set(['select', 'with', 'values', 'table']);
const FROM_END = new Set([
  'where',
  'group',
  'having',
  'window',
  'order',
  'limit',
  'offset',
  'fetch',
  'for',
  'union',
  'intersect',
  'except',
  'returning',
  'set',
  'into',
  'select',
  'values',
  'on',
  'using',
]);

function startsQuery(c: Cursor, at: number): boolean {
  let i = at;
  // bounded look-ahead over `((((`: keeps adversarial nesting linear
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

function tableRef(ctx: Ctx, parts: string[]): undefined {
  if (parts.length === 1 && ctx.ctes.has(parts[0] as string)) return;
  relObj(ctx, 'table', 'reference', parts);
}

/** Parses a query or DML statement body, recording every relation it reads or writes as a reference. */
function scanQuery(ctx: Ctx, c: Cursor): undefined {
  if (ctx.depth > MAX_DEPTH) return;
  ctx.depth++;
  try {
    if (c.isKw('with')) parseCtes(ctx, c);
    if (c.kw('insert', 'into')) {
      const n = c.name();
      if (n) tableRef(ctx, n);
    } else if (c.kw('update')) {
      c.kw('only');
      const n = c.name();
      if (n) tableRef(ctx, n);
    } else if (c.kw('delete', 'from')) {
      c.kw('only');
      const n = c.name();
      if (n) tableRef(ctx, n);
    } else if (c.kw('merge', 'into')) {
      c.kw('only');
      const n = c.name();
      if (n) tableRef(ctx, n);
    } else if (c.kw('table')) {
      c.kw('only');
      const n = c.name();
      if (n) tableRef(ctx, n);
    }
    scanExpr(ctx, c, true);
  } finally {
    ctx.depth--;
  }
}

function parseCtes(ctx: Ctx, c: Cursor): undefined {
  if (!c.kw('with')) return;
  c.kw('recursive');
  for (;;) {
    const name = c.ident();
    if (name === undefined) return;
    ctx.ctes.add(name);
    if (c.isPunct('(')) c.parens();
    if (!c.kw('as')) return;
    c.kw('not');
    c.kw('materialized');
    const body = c.parens();
    if (body) scanQuery(ctx, body);
    if (c.isKw('search') || c.isKw('cycle')) {
      // SEARCH/CYCLE clauses: skip to the next CTE or the main query
      while (!c.atEnd() && !c.isPunct(',') && !QUERY_START.has(c.peek()?.value ?? '')) c.skipOne();
    }
    if (!c.punct(',')) return;
  }
}

/** True when the `with` at offset k starts a CTE list (`WITH [RECURSIVE] name [(...)] AS`). */
function isCteStart(c: Cursor): boolean {
  if (!c.isKw('with')) return false;
  let k = 1;
  if (c.isKw('recursive', k)) k++;
  if (!c.isName(k)) return false;
  k++;
  if (c.isPunct('(', k)) {
    const close = c.matchParen(c.pos + k);
    k = close - c.pos + 1;
  }
  return c.isKw('as', k);
}

/** Scans expressions and clauses; with `query` set, FROM/JOIN/USING lists are parsed for relations. */
function scanExpr(ctx: Ctx, c: Cursor, query: boolean): undefined {
  if (ctx.depth > MAX_DEPTH) {
    c.pos = c.end;
    return;
  }
  let inFrom = false;
  let prev: Token | undefined;
  while (!c.atEnd()) {
    const t = c.peek() as Token;
    if (t.type === 'punct' && t.text === '(') {
      const isQ = startsQuery(c, c.pos + 1);
      const inner = c.parens() as Cursor;
      ctx.depth++;
      if (isQ) scanQuery(ctx, inner);
      else scanExpr(ctx, inner, false);
      ctx.depth--;
      prev = t;
      continue;
    }
    if (query && t.type === 'ident') {
      const v = t.value ?? '';
      if (v === 'from' && !(prev && prev.type === 'ident' && prev.value === 'distinct')) {
        c.next();
        inFrom = true;
        parseFromItem(ctx, c);
        prev = t;
        continue;
      }
      if (v === 'join') {
        c.next();
        inFrom = true;
        parseFromItem(ctx, c);
        prev = t;
        continue;
      }
      if (v === 'using' && !c.isPunct('(', 1)) {
        c.next();
        inFrom = true;
        parseFromItem(ctx, c);
        prev = t;
        continue;
      }
      if (v === 'with' && isCteStart(c)) {
        parseCtes(ctx, c);
        prev = undefined;
        continue;
      }
      if (FROM_END.has(v)) inFrom = false;
    }
    if (query && inFrom && t.type === 'punct' && t.text === ',') {
      c.next();
      parseFromItem(ctx, c);
      prev = t;
      continue;
    }
    prev = t;
    c.next();
  }
}

function parseFromItem(ctx: Ctx, c: Cursor): undefined {
  c.kw('lateral');
  if (c.isPunct('(')) {
    const isQ = startsQuery(c, c.pos + 1);
    const inner = c.parens() as Cursor;
    ctx.depth++;
    if (ctx.depth <= MAX_DEPTH) {
      if (isQ) scanQuery(ctx, inner);
      else {
        // parenthesised join: starts with a from item
        parseFromItem(ctx, inner);
        scanExpr(ctx, inner, true);
      }
    }
    ctx.depth--;
    return;
  }
  if (c.kw('rows', 'from')) return;
  const only = c.kw('only');
  if (!c.isName()) return;
  const save = c.pos;
  const n = c.name() as string[];
  if (c.isPunct('(') && !only) {
    // a function call in FROM: scan its arguments for subqueries
    c.pos = save;
    for (let i = 0; i < n.length * 2 - 1; i++) c.next();
    const inner = c.parens() as Cursor;
    ctx.depth++;
    scanExpr(ctx, inner, false);
    ctx.depth--;
    return;
  }
  tableRef(ctx, n);
}

// ---------------------------------------------------------------- statements

interface ConstraintInfo {
  kind: 'pkey' | 'key' | 'fkey' | 'check' | 'excl';
  name?: string;
  columns: string[];
  refTable?: string[];
  refColumns: string[];
}

function identList(c: Cursor | undefined): string[] {
  if (!c) return [];
  const out: string[] = [];
  for (const part of c.splitCommas()) {
    const v = part.ident();
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Parses a table constraint body (after an optional CONSTRAINT name). */
function parseTableConstraint(c: Cursor): ConstraintInfo | undefined {
  if (c.kw('primary', 'key'))
    return { kind: 'pkey', columns: identList(c.parens()), refColumns: [] };
  if (c.kw('unique')) {
    if (c.kw('nulls', 'not', 'distinct') || c.kw('nulls', 'distinct')) {
      /* modifiers */
    }
    return { kind: 'key', columns: identList(c.parens()), refColumns: [] };
  }
  if (c.kw('check')) {
    c.parens();
    return { kind: 'check', columns: [], refColumns: [] };
  }
  if (c.kw('exclude')) return { kind: 'excl', columns: [], refColumns: [] };
  if (c.kw('foreign', 'key')) {
    const cols = identList(c.parens());
    const info: ConstraintInfo = { kind: 'fkey', columns: cols, refColumns: [] };
    if (c.kw('references')) {
      info.refTable = c.name();
      info.refColumns = identList(c.parens());
    }
    return info;
  }
  return undefined;
}

function derivedName(table: string, info: ConstraintInfo, column?: string): string {
  const cols = column !== undefined ? [column] : info.columns;
  switch (info.kind) {
    case 'pkey':
      return truncateIdent(`${table}_pkey`);
    case 'check':
      return truncateIdent(column !== undefined ? `${table}_${column}_check` : `${table}_check`);
    case 'excl':
      return truncateIdent(`${table}_excl`);
    default:
      return truncateIdent([table, ...cols, info.kind].join('_'));
  }
}

function emitConstraint(
  ctx: Ctx,
  table: [string, string],
  info: ConstraintInfo,
  action: ObjectAction,
  column?: string,
): undefined {
  const name = info.name ?? derivedName(table[1], info, column);
  const o = scopedObj(ctx, 'constraint', action, table, name);
  if (info.name === undefined) o.implicitName = true;
  for (const col of info.columns) scopedObj(ctx, 'column', 'reference', table, col);
  if (info.refTable) {
    const ref = relObj(ctx, 'table', 'reference', info.refTable);
    for (const col of info.refColumns) {
      scopedObj(ctx, 'column', 'reference', [ref.schema as string, ref.name], col);
    }
  }
}

/** Parses a type at the cursor (if one starts there) and records a reference to a non-built-in type. */
function typeRef(ctx: Ctx, c: Cursor): undefined {
  const t = c.peek();
  if (t?.type === 'ident' && TYPE_STOP.has(t.value ?? '')) return;
  if (c.isKw('with') && c.isKw('options', 1)) return;
  const ty = parseType(c, ctx.schema);
  if (ty?.ref) relObj(ctx, 'type', 'reference', ty.ref);
}

/** Column definition: name, type, inline constraints. */
function parseColumnDef(
  ctx: Ctx,
  c: Cursor,
  table: [string, string],
  action: ObjectAction,
): undefined {
  const col = c.ident();
  if (col === undefined) {
    ctx.warnings.push(`could not read a column definition near '${c.describe()}'`);
    return;
  }
  scopedObj(ctx, 'column', action, table, col);
  typeRef(ctx, c);
  // the rest of the type: everything up to the first constraint keyword
  while (!c.atEnd() && !(c.peek()?.type === 'ident' && TYPE_STOP.has(c.peek()?.value ?? ''))) {
    if (c.isKw('with') && c.isKw('options', 1)) break;
    c.skipOne();
  }
  // inline constraints come into existence with the column
  parseColumnConstraints(ctx, c, table, col, 'create');
}

function parseColumnConstraints(
  ctx: Ctx,
  c: Cursor,
  table: [string, string],
  col: string,
  action: ObjectAction,
): undefined {
  let name: string | undefined;
  while (!c.atEnd()) {
    if (c.kw('constraint')) {
      name = c.ident();
      continue;
    }
    let info: ConstraintInfo | undefined;
    if (c.kw('primary', 'key')) info = { kind: 'pkey', columns: [], refColumns: [] };
    else if (c.kw('unique')) info = { kind: 'key', columns: [], refColumns: [] };
    else if (c.kw('check')) {
      c.parens();
      info = { kind: 'check', columns: [], refColumns: [] };
    } else if (c.kw('references')) {
      info = { kind: 'fkey', columns: [], refColumns: [] };
      info.refTable = c.name();
      info.refColumns = identList(c.parens());
    }
    if (info) {
      if (name !== undefined) info.name = name;
      name = undefined;
      emitConstraint(ctx, table, info, action, col);
      continue;
    }
    if (
      c.peek()?.type === 'ident' &&
      ['not', 'null', 'default', 'generated', 'collate'].includes(c.peek()?.value ?? '')
    ) {
      name = undefined;
    }
    c.skipOne();
  }
}

/** A table element inside CREATE TABLE ( ... ). */
function parseTableElement(ctx: Ctx, c: Cursor, table: [string, string]): undefined {
  if (c.atEnd()) return;
  if (c.kw('like')) {
    const n = c.name();
    if (n) relObj(ctx, 'table', 'reference', n);
    return;
  }
  let name: string | undefined;
  if (c.kw('constraint')) name = c.ident();
  const info = parseTableConstraint(c);
  if (info) {
    if (name !== undefined) info.name = name;
    emitConstraint(ctx, table, info, 'create');
    return;
  }
  if (name !== undefined) {
    ctx.warnings.push(`could not read constraint ${quoteIdent(name)}`);
    return;
  }
  parseColumnDef(ctx, c, table, 'create');
}

function parseCreateTable(ctx: Ctx, c: Cursor, temp: boolean): undefined {
  c.kw('if', 'not', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'table name');
  const t = relObj(ctx, 'table', 'create', parts, temp ? TEMP_SCHEMA : undefined);
  const table: [string, string] = [t.schema as string, t.name];
  const asAt = c.findKw(['as']);
  if (asAt >= 0) {
    // CREATE TABLE ... AS query: column names (if any) are not recorded
    c.pos = asAt + 1;
    if (c.kw('execute')) return;
    scanQuery(ctx, c);
    return;
  }
  if (c.kw('partition', 'of')) {
    const p = c.name();
    if (p) relObj(ctx, 'table', 'reference', p);
  } else if (c.kw('of')) {
    const ty = c.name();
    if (ty) relObj(ctx, 'type', 'reference', ty);
  }
  const elems = c.parens();
  if (elems) for (const e of elems.splitCommas()) parseTableElement(ctx, e, table);
  while (!c.atEnd()) {
    if (c.kw('inherits')) {
      const list = c.parens();
      if (list) {
        for (const e of list.splitCommas()) {
          const n = e.name();
          if (n) relObj(ctx, 'table', 'reference', n);
        }
      }
      continue;
    }
    c.skipOne();
  }
}

function fail(ctx: Ctx, c: Cursor, what: string): undefined {
  ctx.warnings.push(`expected ${what} near '${c.describe()}'`);
}

function parseAlterTable(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  if (c.isKw('all') && c.isKw('in', 1)) {
    ctx.warnings.push('ALTER ... ALL IN TABLESPACE is not analysed');
    return;
  }
  c.kw('if', 'exists');
  c.kw('only');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a name');
  if (c.isOp('*')) c.next();
  const [schema, name] = resolve(ctx, parts);
  const table: [string, string] = [schema, name];
  const makeRel = (action: ObjectAction) => relObj(ctx, kind, action, parts);
  // whole-statement forms
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    const old = makeRel('rename');
    if (nn !== undefined) renamed(ctx, old, schema, nn);
    return;
  }
  if (c.kw('set', 'schema')) {
    const ns = c.ident();
    const old = makeRel('rename');
    if (ns !== undefined) renamed(ctx, old, ns, name);
    return;
  }
  makeRel('alter');
  for (const a of c.splitCommas()) parseAlterAction(ctx, a, table, kind);
}

function parseAlterAction(
  ctx: Ctx,
  c: Cursor,
  table: [string, string],
  kind: ObjectKind,
): undefined {
  if (c.atEnd()) return;
  if (c.kw('add')) {
    if (c.kw('column')) {
      c.kw('if', 'not', 'exists');
      parseColumnDef(ctx, c, table, 'create');
      return;
    }
    let name: string | undefined;
    if (c.kw('constraint')) name = c.ident();
    const info = parseTableConstraint(c);
    if (info) {
      if (name !== undefined) info.name = name;
      emitConstraint(ctx, table, info, 'create');
      return;
    }
    if (name !== undefined) {
      // ADD CONSTRAINT name UNIQUE/PRIMARY KEY USING INDEX ...
      scopedObj(ctx, 'constraint', 'create', table, name);
      return;
    }
    c.kw('if', 'not', 'exists');
    parseColumnDef(ctx, c, table, 'create');
    return;
  }
  if (c.kw('drop')) {
    if (c.kw('constraint')) {
      c.kw('if', 'exists');
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'constraint', 'drop', table, n);
      return;
    }
    c.kw('column');
    c.kw('if', 'exists');
    const n = c.ident();
    if (n !== undefined) scopedObj(ctx, 'column', 'drop', table, n);
    return;
  }
  if (c.kw('alter')) {
    if (c.kw('constraint')) {
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'constraint', 'alter', table, n);
      return;
    }
    c.kw('column');
    const n = c.ident();
    if (n !== undefined) scopedObj(ctx, 'column', 'alter', table, n);
    if (c.kw('set', 'data', 'type') || c.kw('type')) typeRef(ctx, c);
    return;
  }
  if (c.kw('validate', 'constraint')) {
    const n = c.ident();
    if (n !== undefined) scopedObj(ctx, 'constraint', 'alter', table, n);
    return;
  }
  if (c.kw('rename')) {
    const isConstraint = c.kw('constraint');
    if (!isConstraint) c.kw('column');
    const from = c.ident();
    if (from === undefined || !c.kw('to')) return fail(ctx, c, 'RENAME ... TO');
    const to = c.ident();
    const o = scopedObj(ctx, isConstraint ? 'constraint' : 'column', 'rename', table, from);
    if (to !== undefined) renamed(ctx, o, o.schema, to);
    return;
  }
  if (c.isKw('enable') || c.isKw('disable')) {
    c.next();
    c.kw('replica') || c.kw('always');
    if (c.kw('trigger')) {
      if (c.isKw('all') || c.isKw('user')) return;
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'trigger', 'alter', table, n);
    }
    return;
  }
  if (c.kw('attach', 'partition') || c.kw('detach', 'partition')) {
    const n = c.name();
    if (n) relObj(ctx, 'table', 'alter', n);
    return;
  }
  if (c.kw('inherit') || c.kw('no', 'inherit')) {
    const n = c.name();
    if (n) relObj(ctx, 'table', 'reference', n);
    return;
  }
  const known = [
    'owner',
    'set',
    'reset',
    'cluster',
    'replica',
    'force',
    'no',
    'of',
    'not',
    'alter',
    'options',
  ];
  if (c.peek()?.type === 'ident' && known.includes(c.peek()?.value ?? '')) return;
  ctx.warnings.push(
    `ALTER ${kind === 'table' ? 'TABLE' : kind.toUpperCase()} action '${c.describe()}' is not analysed`,
  );
}

/**
 * One index element: a plain column (with its ordering/opclass options) or an
 * expression. `column` is set for plain columns; `label` is the part PostgreSQL
 * uses when it names an unnamed index (column, function name, or `expr`).
 */
function indexElement(c: Cursor): { text: string; column?: string; label: string } {
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
  let label = 'expr';
  let inner = c;
  if (c.isPunct('(')) {
    const p = new Cursor(c.toks, c.match, c.pos, c.end).parens();
    if (p) inner = p;
  }
  const f = inner.peek();
  if (f && (f.type === 'ident' || f.type === 'qident')) {
    let k = 1;
    while (inner.isPunct('.', k) && inner.isName(k + 1)) k += 2;
    const close = inner.isPunct('(', k) ? inner.matchParen(inner.pos + k) : -1;
    const after = close >= 0 && close + 1 < inner.end ? inner.toks[close + 1] : undefined;
    // f(...) alone, or followed only by COLLATE / opclass / ASC / DESC / NULLS options
    if (close >= 0 && (after === undefined || after.type === 'ident' || after.type === 'qident')) {
      label = inner.peek(k - 1)?.value ?? 'expr';
    }
  }
  return { text: normalizeTokens(toks), label };
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

function parseCreateIndex(ctx: Ctx, c: Cursor): undefined {
  c.kw('concurrently');
  let name: string | undefined;
  if (c.kw('if', 'not', 'exists')) name = c.ident();
  else if (!c.isKw('on')) name = c.ident();
  if (!c.kw('on')) return fail(ctx, c, 'ON table');
  c.kw('only');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a table name');
  const table = resolve(ctx, parts);
  if (c.kw('using')) c.next();
  const elems = c.parens();
  const cols: string[] = [];
  const plain: string[] = [];
  if (elems) {
    for (const e of elems.splitCommas()) {
      const el = indexElement(e);
      cols.push(el.text);
      plain.push(el.label);
      if (el.column !== undefined) scopedObj(ctx, 'column', 'reference', table, el.column);
    }
  }
  const idxName = name ?? truncateIdent([table[1], ...plain, 'idx'].join('_'));
  const o = scopedObj(ctx, 'index', 'create', table, idxName);
  o.columns = cols;
  if (name === undefined) o.implicitName = true;
}

function parseFunctionLike(
  ctx: Ctx,
  c: Cursor,
  action: ObjectAction,
  withArgs: boolean,
): DbObject | undefined {
  const parts = c.name();
  if (!parts) {
    fail(ctx, c, 'a function name');
    return undefined;
  }
  const o = relObj(ctx, 'function', action, parts);
  if (withArgs && c.isPunct('(')) {
    const args = c.parens() as Cursor;
    const ob = args.findKw(['order']);
    if (ob >= 0 && args.isKw('by', ob - args.pos + 1)) {
      // ordered-set aggregate: direct args ORDER BY aggregated args
      const direct = new Cursor(args.toks, args.match, args.pos, ob);
      const agg = new Cursor(args.toks, args.match, ob + 2, args.end);
      o.signature = [parseSignature(direct, ctx.schema), parseSignature(agg, ctx.schema)]
        .filter((s) => s !== '')
        .join(',');
    } else o.signature = parseSignature(args, ctx.schema);
  }
  return o;
}

function parseDropList(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  c.kw('concurrently');
  c.kw('if', 'exists');
  for (const item of c.splitCommas()) {
    if (kind === 'function') {
      parseFunctionLike(ctx, item, 'drop', true);
      continue;
    }
    const n = item.name();
    if (!n) continue;
    if (kind === 'schema' || kind === 'extension')
      globalObj(ctx, kind, 'drop', n[n.length - 1] as string);
    else relObj(ctx, kind, 'drop', n);
  }
}

/** DROP TRIGGER / POLICY name ON table; DROP RULE is not handled here. */
function parseDropOnTable(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  c.kw('if', 'exists');
  const n = c.ident();
  if (n === undefined || !c.kw('on')) return fail(ctx, c, 'name ON table');
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  scopedObj(ctx, kind, 'drop', resolve(ctx, t), n);
}

function parseRenameOrAlter(ctx: Ctx, c: Cursor, o: DbObject): undefined {
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn !== undefined) renamed(ctx, o, o.schema, nn);
    else o.action = 'rename';
  } else if (c.kw('set', 'schema')) {
    const ns = c.ident();
    if (ns !== undefined && o.schema !== null) renamed(ctx, o, ns, o.name);
    else o.action = 'rename';
  } else o.action = 'alter';
}

function parseCreate(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
  c.kw('create');
  c.kw('or', 'replace');
  c.kw('global') || c.kw('local');
  const temp = c.kw('temp') || c.kw('temporary');
  c.kw('unlogged'); // unlogged relations live in their schema like any other
  if (c.kw('table')) {
    setKind('CREATE TABLE');
    return parseCreateTable(ctx, c, temp);
  }
  if (c.kw('unique', 'index') || c.kw('index')) {
    setKind('CREATE INDEX');
    return parseCreateIndex(ctx, c);
  }
  for (const w of ['function', 'procedure', 'aggregate']) {
    if (c.kw(w)) {
      setKind(`CREATE ${w.toUpperCase()}`);
      const o = parseFunctionLike(ctx, c, 'create', true);
      // old-style CREATE AGGREGATE name (BASETYPE = ..., SFUNC = ...) has a single list,
      // of options rather than arguments: no signature then
      if (o && w === 'aggregate' && !c.isPunct('(')) delete o.signature;
      return;
    }
  }
  const recursive = c.kw('recursive');
  if (c.kw('view')) {
    setKind('CREATE VIEW');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a view name');
    const v = relObj(ctx, 'view', 'create', parts, temp ? TEMP_SCHEMA : undefined);
    if (recursive && parts.length === 1) ctx.ctes.add(v.name);
    const asAt = c.findKw(['as']);
    if (asAt < 0) return fail(ctx, c, 'AS query');
    c.pos = asAt + 1;
    const end = c.findKw(['check']);
    const q = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
    scanQuery(ctx, q);
    return;
  }
  if (c.kw('materialized', 'view')) {
    setKind('CREATE MATERIALIZED VIEW');
    c.kw('if', 'not', 'exists');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a view name');
    relObj(ctx, 'materialized_view', 'create', parts);
    const asAt = c.findKw(['as']);
    if (asAt < 0) return fail(ctx, c, 'AS query');
    c.pos = asAt + 1;
    scanQuery(ctx, c);
    return;
  }
  if (c.kw('constraint', 'trigger') || c.kw('trigger')) {
    setKind('CREATE TRIGGER');
    const name = c.ident();
    const onAt = c.findKw(['on']);
    if (name === undefined || onAt < 0) return fail(ctx, c, 'trigger name ... ON table');
    c.pos = onAt + 1;
    const t = c.name();
    if (!t) return fail(ctx, c, 'a table name');
    const table = resolve(ctx, t);
    scopedObj(ctx, 'trigger', 'create', table, name);
    if (c.kw('from')) {
      const r = c.name();
      if (r) relObj(ctx, 'table', 'reference', r);
    }
    const ex = c.findKw(['execute']);
    if (ex >= 0) {
      c.pos = ex + 1;
      if (c.kw('function') || c.kw('procedure')) {
        const f = c.name();
        if (f) relObj(ctx, 'function', 'reference', f).signature = '';
      }
    }
    return;
  }
  if (c.kw('type')) {
    setKind('CREATE TYPE');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a type name');
    relObj(ctx, 'type', 'create', parts);
    return;
  }
  if (c.kw('domain')) {
    setKind('CREATE DOMAIN');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a domain name');
    relObj(ctx, 'type', 'create', parts);
    c.kw('as');
    typeRef(ctx, c);
    return;
  }
  if (c.kw('sequence')) {
    setKind('CREATE SEQUENCE');
    c.kw('if', 'not', 'exists');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a sequence name');
    relObj(ctx, 'sequence', 'create', parts, temp ? TEMP_SCHEMA : undefined);
    return;
  }
  if (c.kw('schema')) {
    setKind('CREATE SCHEMA');
    c.kw('if', 'not', 'exists');
    let name: string | undefined;
    if (c.kw('authorization')) name = c.ident();
    else {
      name = c.ident();
      if (c.kw('authorization')) c.next();
    }
    if (name === undefined) return fail(ctx, c, 'a schema name');
    globalObj(ctx, 'schema', 'create', name);
    if (!c.atEnd())
      ctx.warnings.push('CREATE SCHEMA with schema elements: the elements are not analysed');
    return;
  }
  if (c.kw('policy')) {
    setKind('CREATE POLICY');
    const name = c.ident();
    if (name === undefined || !c.kw('on')) return fail(ctx, c, 'policy name ON table');
    const t = c.name();
    if (!t) return fail(ctx, c, 'a table name');
    scopedObj(ctx, 'policy', 'create', resolve(ctx, t), name);
    return;
  }
  if (c.kw('extension')) {
    setKind('CREATE EXTENSION');
    c.kw('if', 'not', 'exists');
    const name = c.ident();
    if (name === undefined) return fail(ctx, c, 'an extension name');
    globalObj(ctx, 'extension', 'create', name);
    return;
  }
  unsupported(ctx, c, setKind);
}

function parseAlter(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
  c.kw('alter');
  if (c.kw('table')) {
    setKind('ALTER TABLE');
    return parseAlterTable(ctx, c, 'table');
  }
  if (c.kw('foreign', 'table')) return unsupported(ctx, c, setKind, 'ALTER FOREIGN TABLE');
  if (c.kw('materialized', 'view')) {
    setKind('ALTER MATERIALIZED VIEW');
    return parseAlterRel(ctx, c, 'materialized_view');
  }
  if (c.kw('view')) {
    setKind('ALTER VIEW');
    return parseAlterRel(ctx, c, 'view');
  }
  if (c.kw('index')) {
    setKind('ALTER INDEX');
    if (c.isKw('all') && c.isKw('in', 1))
      return unsupported(ctx, c, setKind, 'ALTER INDEX ALL IN TABLESPACE');
    return parseAlterRel(ctx, c, 'index');
  }
  if (c.kw('sequence')) {
    setKind('ALTER SEQUENCE');
    return parseAlterRel(ctx, c, 'sequence');
  }
  for (const w of ['function', 'procedure', 'aggregate', 'routine']) {
    if (c.kw(w)) {
      setKind(`ALTER ${w.toUpperCase()}`);
      const o = parseFunctionLike(ctx, c, 'alter', true);
      if (o) parseRenameOrAlter(ctx, c, o);
      return;
    }
  }
  if (c.kw('type') || c.kw('domain')) {
    setKind(c.toks[c.pos - 1]?.value === 'type' ? 'ALTER TYPE' : 'ALTER DOMAIN');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a type name');
    parseRenameOrAlter(ctx, c, relObj(ctx, 'type', 'alter', parts));
    return;
  }
  if (c.kw('schema')) {
    setKind('ALTER SCHEMA');
    const n = c.ident();
    if (n === undefined) return fail(ctx, c, 'a schema name');
    parseRenameOrAlter(ctx, c, globalObj(ctx, 'schema', 'alter', n));
    return;
  }
  if (c.kw('extension')) {
    setKind('ALTER EXTENSION');
    const n = c.ident();
    if (n === undefined) return fail(ctx, c, 'an extension name');
    globalObj(ctx, 'extension', 'alter', n);
    return;
  }
  if (c.kw('trigger') || c.kw('policy')) {
    const kind = c.toks[c.pos - 1]?.value === 'trigger' ? 'trigger' : 'policy';
    setKind(`ALTER ${kind.toUpperCase()}`);
    const n = c.ident();
    if (n === undefined || !c.kw('on')) return fail(ctx, c, 'name ON table');
    const t = c.name();
    if (!t) return fail(ctx, c, 'a table name');
    parseRenameOrAlter(ctx, c, scopedObj(ctx, kind, 'alter', resolve(ctx, t), n));
    return;
  }
  unsupported(ctx, c, setKind);
}

/** ALTER VIEW / MATERIALIZED VIEW / INDEX / SEQUENCE. */
function parseAlterRel(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  c.kw('if', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a name');
  const o = relObj(ctx, kind, 'alter', parts);
  if (c.kw('rename', 'column')) {
    o.action = 'alter';
    return;
  }
  if (c.isKw('rename') && !c.isKw('to', 1)) {
    o.action = 'alter';
    return;
  }
  parseRenameOrAlter(ctx, c, o);
}

function parseDrop(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
  c.kw('drop');
  const simple: [string[], ObjectKind, string][] = [
    [['table'], 'table', 'DROP TABLE'],
    [['materialized', 'view'], 'materialized_view', 'DROP MATERIALIZED VIEW'],
    [['view'], 'view', 'DROP VIEW'],
    [['index'], 'index', 'DROP INDEX'],
    [['sequence'], 'sequence', 'DROP SEQUENCE'],
    [['type'], 'type', 'DROP TYPE'],
    [['domain'], 'type', 'DROP DOMAIN'],
    [['schema'], 'schema', 'DROP SCHEMA'],
    [['extension'], 'extension', 'DROP EXTENSION'],
    [['function'], 'function', 'DROP FUNCTION'],
    [['procedure'], 'function', 'DROP PROCEDURE'],
    [['aggregate'], 'function', 'DROP AGGREGATE'],
    [['routine'], 'function', 'DROP ROUTINE'],
  ];
  for (const [words, kind, label] of simple) {
    if (c.kw(...words)) {
      setKind(label);
      // strip a trailing CASCADE / RESTRICT
      const end = c.findKw(['cascade', 'restrict']);
      const list = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
      const before = ctx.objects.length;
      parseDropList(ctx, list, kind);
      if (ctx.objects.length === before) fail(ctx, list, 'a name');
      return;
    }
  }
  if (c.kw('trigger')) {
    setKind('DROP TRIGGER');
    return parseDropOnTable(ctx, c, 'trigger');
  }
  if (c.kw('policy')) {
    setKind('DROP POLICY');
    return parseDropOnTable(ctx, c, 'policy');
  }
  unsupported(ctx, c, setKind);
}

function parseComment(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
  setKind('COMMENT ON');
  c.kw('comment', 'on');
  const isAt = c.findKw(['is']);
  const target = new Cursor(c.toks, c.match, c.pos, isAt >= 0 ? isAt : c.end);
  const relKinds: [string[], ObjectKind][] = [
    [['table'], 'table'],
    [['materialized', 'view'], 'materialized_view'],
    [['view'], 'view'],
    [['index'], 'index'],
    [['sequence'], 'sequence'],
    [['type'], 'type'],
    [['domain'], 'type'],
  ];
  for (const [words, kind] of relKinds) {
    if (target.kw(...words)) {
      const n = target.name();
      if (n) relObj(ctx, kind, 'alter', n);
      return;
    }
  }
  if (target.kw('column')) {
    const n = target.name();
    if (!n || n.length < 2) return fail(ctx, target, 'table.column');
    const col = n[n.length - 1] as string;
    scopedObj(ctx, 'column', 'alter', resolve(ctx, n.slice(0, -1)), col);
    return;
  }
  for (const w of ['function', 'procedure', 'aggregate', 'routine']) {
    if (target.kw(w)) {
      parseFunctionLike(ctx, target, 'alter', true);
      return;
    }
  }
  if (target.kw('schema') || target.kw('extension')) {
    const kind = target.toks[target.pos - 1]?.value === 'schema' ? 'schema' : 'extension';
    const n = target.ident();
    if (n !== undefined) globalObj(ctx, kind, 'alter', n);
    return;
  }
  for (const w of ['constraint', 'trigger', 'policy'] as const) {
    if (target.kw(w)) {
      const n = target.ident();
      if (n === undefined || !target.kw('on')) return fail(ctx, target, 'name ON table');
      target.kw('domain');
      const t = target.name();
      if (t) scopedObj(ctx, w, 'alter', resolve(ctx, t), n);
      return;
    }
  }
  const what = target.peek()?.text.toUpperCase() ?? '';
  ctx.warnings.push(`COMMENT ON ${what} is not analysed`);
}

function parseGrant(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
  const verb = c.next()?.value === 'grant' ? 'GRANT' : 'REVOKE';
  setKind(verb);
  const onAt = c.findKw(['on']);
  if (onAt < 0) {
    ctx.warnings.push(`${verb} of roles is not analysed`);
    return;
  }
  c.pos = onAt + 1;
  const end = c.findKw(verb === 'GRANT' ? ['to'] : ['from']);
  const target = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
  if (target.kw('all')) {
    // ALL TABLES / SEQUENCES / FUNCTIONS IN SCHEMA s
    const inAt = target.findKw(['schema']);
    if (inAt >= 0) {
      target.pos = inAt + 1;
      for (const e of target.splitCommas()) {
        const n = e.ident();
        if (n !== undefined) globalObj(ctx, 'schema', 'reference', n);
      }
    }
    return;
  }
  let kind: ObjectKind = 'table';
  if (target.kw('table')) kind = 'table';
  else if (target.kw('sequence')) kind = 'sequence';
  else if (target.kw('function') || target.kw('procedure') || target.kw('routine'))
    kind = 'function';
  else if (target.kw('schema')) kind = 'schema';
  else if (target.kw('type') || target.kw('domain')) kind = 'type';
  else if (
    target.peek()?.type === 'ident' &&
    ['database', 'foreign', 'language', 'large', 'parameter', 'tablespace'].includes(
      target.peek()?.value ?? '',
    )
  ) {
    ctx.warnings.push(`${verb} ON ${target.peek()?.text.toUpperCase()} is not analysed`);
    return;
  }
  for (const e of target.splitCommas()) {
    if (kind === 'function') {
      parseFunctionLike(ctx, e, 'reference', true);
      continue;
    }
    const n = e.name();
    if (!n) continue;
    if (kind === 'schema') globalObj(ctx, 'schema', 'reference', n[n.length - 1] as string);
    else relObj(ctx, kind, kind === 'table' ? 'alter' : 'reference', n);
  }
}

const NO_OP_KINDS: Record<string, string> = {
  begin: 'BEGIN',
  start: 'START TRANSACTION',
  commit: 'COMMIT',
  end: 'COMMIT',
  rollback: 'ROLLBACK',
  abort: 'ROLLBACK',
  savepoint: 'SAVEPOINT',
  release: 'RELEASE',
  reset: 'RESET',
  show: 'SHOW',
  prepare: 'PREPARE TRANSACTION',
  checkpoint: 'CHECKPOINT',
  discard: 'DISCARD',
};

const MULTIWORD = new Set([
  'foreign',
  'event',
  'text',
  'default',
  'user',
  'access',
  'operator',
  'materialized',
  'or',
]);

function unsupported(ctx: Ctx, c: Cursor, setKind: (k: string) => void, label?: string): undefined {
  let kind = label;
  if (kind === undefined) {
    const words: string[] = [];
    const all = c.toks;
    for (let i = 0; i < all.length && words.length < 4; i++) {
      const t = all[i] as Token;
      if (t.type !== 'ident') break;
      const v = t.value ?? '';
      if (v === 'or' && all[i + 1]?.value === 'replace') {
        i++;
        continue;
      }
      words.push(v.toUpperCase());
      if (words.length >= 2 && !MULTIWORD.has(v)) break;
      if (words.length === 1 && !['create', 'alter', 'drop', 'comment'].includes(v)) break;
    }
    kind = words.length > 0 ? words.join(' ') : (c.toks[0]?.text ?? 'UNKNOWN');
  }
  setKind(kind);
  ctx.warnings.push(`${kind} is not analysed`);
}

function parseSet(ctx: Ctx, c: Cursor): undefined {
  c.kw('set');
  c.kw('session') || c.kw('local');
  if (!c.kw('search_path')) return;
  if (!c.kw('to') && !c.isOp('=')) return;
  if (c.isOp('=')) c.next();
  for (const e of c.splitCommas()) {
    const t = e.peek();
    if (!t) continue;
    const v =
      t.type === 'string'
        ? t.value
        : t.type === 'ident' || t.type === 'qident'
          ? t.value
          : undefined;
    if (v === undefined || v === '$user' || v === 'default') continue;
    ctx.schema = v;
    return;
  }
}

/** Drops `UESCAPE 'c'` clauses: the lexer already applied them to the U&"..." token before. */
function dropUescape(toks: Token[]): Token[] {
  if (!toks.some((t) => t.type === 'ident' && t.value === 'uescape')) return toks;
  const out: Token[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Token;
    const prev = out[out.length - 1];
    if (
      t.type === 'ident' &&
      t.value === 'uescape' &&
      prev !== undefined &&
      /^[uU]&/.test(prev.text) &&
      toks[i + 1]?.type === 'string'
    ) {
      i++;
      continue;
    }
    out.push(t);
  }
  return out;
}

/** Analyses one statement's significant tokens. */
function analyse(ctx: Ctx, tokens: Token[]): string {
  const toks = dropUescape(tokens);
  const c = Cursor.of(toks);
  let kind = 'UNKNOWN';
  const setKind = (k: string) => {
    kind = k;
  };
  const first = c.peek();
  const w = first?.type === 'ident' ? (first.value ?? '') : '';
  switch (w) {
    case 'create':
      parseCreate(ctx, c, setKind);
      break;
    case 'alter':
      parseAlter(ctx, c, setKind);
      break;
    case 'drop':
      parseDrop(ctx, c, setKind);
      break;
    case 'comment':
      parseComment(ctx, c, setKind);
      break;
    case 'grant':
    case 'revoke':
      parseGrant(ctx, c, setKind);
      break;
    case 'set':
      kind = 'SET';
      parseSet(ctx, c);
      break;
    case 'select':
    case 'with':
    case 'values':
    case 'table':
    case 'insert':
    case 'update':
    case 'delete':
    case 'merge':
      kind = w === 'with' || w === 'values' || w === 'table' ? 'SELECT' : w.toUpperCase();
      scanQuery(ctx, c);
      break;
    case 'truncate': {
      kind = 'TRUNCATE';
      c.next();
      c.kw('table');
      const end = c.findKw(['restart', 'continue', 'cascade', 'restrict']);
      const list = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
      for (const e of list.splitCommas()) {
        e.kw('only');
        const n = e.name();
        if (n) relObj(ctx, 'table', 'reference', n);
      }
      break;
    }
    case 'lock': {
      kind = 'LOCK';
      c.next();
      c.kw('table');
      const end = c.findKw(['in', 'nowait']);
      const list = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
      for (const e of list.splitCommas()) {
        e.kw('only');
        const n = e.name();
        if (n) relObj(ctx, 'table', 'reference', n);
      }
      break;
    }
    case 'refresh': {
      kind = 'REFRESH MATERIALIZED VIEW';
      c.next();
      c.kw('materialized', 'view');
      c.kw('concurrently');
      const n = c.name();
      if (n) relObj(ctx, 'materialized_view', 'reference', n);
      break;
    }
    default:
      if (NO_OP_KINDS[w] !== undefined && Object.hasOwn(NO_OP_KINDS, w)) {
        kind = NO_OP_KINDS[w] as string;
        if (w === 'prepare' && !c.isKw('transaction', 1)) unsupported(ctx, c, setKind, 'PREPARE');
      } else if (w === 'do') {
        unsupported(ctx, c, setKind, 'DO');
      } else {
        unsupported(ctx, c, setKind);
      }
  }
  return kind;
}

function objectKey(o: DbObject): string {
  return `${o.qualified}\u0000${o.kind}\u0000${o.action}\u0000${o.signature ?? '\u0001'}\u0000${o.table ?? ''}`;
}

/** Sorted by qualified name, kind, action, signature; duplicates removed. */
export function sortObjects(objects: DbObject[]): DbObject[] {
  const seen = new Map<string, DbObject>();
  for (const o of objects) {
    const k = objectKey(o);
    if (!seen.has(k)) seen.set(k, o);
  }
  return [...seen.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((e) => e[1]);
}

/**
 * Parses a script (or a list of scripts, each holding one or more statements)
 * into statements and the objects they touch. Never throws.
 */
export function parseScript(sql: string | string[], options?: ParseOptions): ParseResult {
  const scripts = typeof sql === 'string' ? [sql] : sql;
  const statements: ParsedStatement[] = [];
  const warnings: ParseWarning[] = [];
  const ctx: Ctx = {
    schema: options?.defaultSchema ?? 'public',
    objects: [],
    warnings: [],
    ctes: new Set(),
    depth: 0,
  };
  for (const script of scripts) {
    const text = typeof script === 'string' ? script : String(script);
    const tokens = lex(text, false);
    for (const t of tokens) {
      if (t.unterminated) {
        const what =
          t.type === 'comment'
            ? 'comment'
            : t.type === 'dollar'
              ? 'dollar-quoted string'
              : t.type === 'qident'
                ? 'quoted identifier'
                : 'string';
        warnings.push({
          statement: -1,
          message: `unterminated ${what} starting at offset ${t.start}`,
          lexical: true,
          offset: t.start,
        });
      }
    }
    for (const st of splitTokens(text, tokens)) {
      const index = statements.length;
      ctx.objects = [];
      ctx.warnings = [];
      ctx.ctes = new Set();
      ctx.depth = 0;
      let kind: string;
      try {
        kind = analyse(ctx, st.tokens);
      } catch (e) {
        // defensive: the parser is written not to throw, but a statement must never break the script
        kind = 'UNKNOWN';
        ctx.objects = [];
        ctx.warnings.push(`could not be analysed (${e instanceof Error ? e.message : String(e)})`);
      }
      for (const m of ctx.warnings)
        warnings.push({ statement: index, message: `statement ${index + 1}: ${m}` });
      statements.push({
        index,
        text: st.text,
        kind,
        objects: sortObjects(ctx.objects),
        start: st.start,
        end: st.end,
      });
    }
  }
  const all: DbObject[] = [];
  for (const s of statements) for (const o of s.objects) all.push(o);
  return { statements, objects: sortObjects(all), warnings };
}
