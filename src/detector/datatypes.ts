/**
 * Types and sequences: type names (as the grammar reads them), function
 * signatures, CREATE/ALTER TYPE and DOMAIN (enum labels included), and
 * CREATE/ALTER SEQUENCE (OWNED BY).
 */
import { CATALOG_TYPES } from './catalog.js';
import {
  type Ctx,
  fail,
  memoOf,
  namedObj,
  relObj,
  renamed,
  resolve,
  scopedObj,
  TEMP_SCHEMA,
} from './context.js';
import { Cursor } from './cursor.js';
import { scanExpr } from './exprs.js';
import type { Token } from './lexer.js';
import { BUILTIN_TYPES, normalizeQuotedTypeName, normalizeTypeName, qualify } from './names.js';
import { chooseDomainCheckName, multirangeTypeName } from './naming.js';
import { relKey } from './shadow.js';
import type { DbObject } from './types.js';

export interface ParsedType {
  /** Normalised type, e.g. `integer`, `character varying[]`, `public.mood`. */
  text: string;
  /** The name parts of a type that is not built in (a user-defined type, domain or enum). */
  ref?: string[];
  /** The name FigureColname gives a cast to this type: the grammar's type name (`int4`, `varchar`, `mood`). */
  label: string;
}

/** Types whose name is a keyword phrase, and the pg_type name the grammar gives them. */
const GRAMMAR_LABELS: Record<string, string> = {
  int: 'int4',
  integer: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  real: 'float4',
  'double precision': 'float8',
  decimal: 'numeric',
  dec: 'numeric',
  numeric: 'numeric',
  boolean: 'bool',
  character: 'bpchar',
  'character varying': 'varchar',
  varchar: 'varchar',
  bit: 'bit',
  'bit varying': 'varbit',
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
  'time with time zone': 'timetz',
  'time without time zone': 'time',
  interval: 'interval',
};

/** Type names of extensions often installed outside the search path's first schema. */
const EXTENSION_TYPES: Record<string, string> = {
  citext: 'citext',
  hstore: 'hstore',
  ltree: 'ltree',
  lquery: 'ltree',
  ltxtquery: 'ltree',
  cube: 'cube',
  seg: 'seg',
  geometry: 'postgis',
  geography: 'postgis',
  box2d: 'postgis',
  box3d: 'postgis',
  vector: 'vector',
  halfvec: 'vector',
  sparsevec: 'vector',
  isbn: 'isn',
  isbn13: 'isn',
  ean13: 'isn',
  issn: 'isn',
};

/** True when an unqualified type name is one of pg_catalog's (or a grammar keyword type). */
export function isBuiltinType(name: string): boolean {
  return BUILTIN_TYPES.has(name) || CATALOG_TYPES.has(name);
}

/** Parses a type name at the cursor; undefined when no type starts here. */
export function parseType(c: Cursor, defaultSchema: string): ParsedType | undefined {
  c.kw('setof');
  const t = c.peek();
  if (!t || (t.type !== 'ident' && t.type !== 'qident')) return undefined;
  let parts: string[];
  let special: string | undefined;
  let ref: string[] | undefined;
  let hadMods = false;
  let label: string | undefined;
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
    while (INTERVAL_FIELDS.has(c.peek()?.value ?? '') && c.peek()?.type === 'ident') {
      c.next();
      if (c.isPunct('(')) c.parens();
    }
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
    if (!isBuiltinType(t.value ?? '')) ref = [t.value ?? ''];
    label = t.value ?? '';
  } else {
    parts = c.name() ?? [];
    if (
      parts.length > 1 ? parts[parts.length - 2] !== 'pg_catalog' : !isBuiltinType(parts[0] ?? '')
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
  label ??=
    parts.length === 1
      ? (GRAMMAR_LABELS[parts[0] as string] ?? (parts[0] as string))
      : (parts[parts.length - 1] ?? '');
  if (v === 'float') label = parts[0] === 'real' ? 'float4' : 'float8';
  return ref && ref.length > 0 ? { text, ref, label } : { text, label };
}

export const INTERVAL_FIELDS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second', 'to']);

/** The schema an unqualified user type resolves to (an extension's, when the script created it elsewhere). */
export function typeSchema(ctx: Ctx, name: string): string {
  const ext = EXTENSION_TYPES[name];
  if (ext !== undefined && !ctx.cat.types.has(relKey(ctx.schema, name))) {
    const s = ctx.cat.extensions.get(ext);
    if (s !== undefined) return s;
  }
  return ctx.schema;
}

/** Records a reference to a type that is not built in; returns the parsed type. */
export function typeRefAt(ctx: Ctx, c: Cursor): ParsedType | undefined {
  const ty = parseType(c, ctx.schema);
  if (ty?.ref) typeReference(ctx, ty.ref);
  return ty;
}

export function typeReference(ctx: Ctx, parts: string[]): undefined {
  if (parts.length === 1) {
    const name = parts[0] as string;
    if (ctx.schema === 'pg_catalog') return; // empty search path: only pg_catalog's types
    const o = namedObj(ctx, 'type', 'reference', typeSchema(ctx, name), name);
    dropBodyLocal(ctx, o);
    return;
  }
  dropBodyLocal(ctx, relObj(ctx, 'type', 'reference', parts));
}

function dropBodyLocal(ctx: Ctx, o: DbObject): void {
  if (ctx.bodyRelations?.has(o.qualified)) ctx.objects.pop();
}

const ARG_MODES = new Set(['in', 'out', 'inout', 'variadic']);

export interface Argument {
  name?: string;
  mode: string;
  type?: ParsedType;
}

/** The arguments of a function argument list. */
export function parseArguments(args: Cursor, defaultSchema: string): Argument[] {
  const out: Argument[] = [];
  if (args.atEnd()) return out;
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
    let name: string | undefined;
    let ty = parseType(sub, defaultSchema);
    if (!ty || !sub.atEnd()) {
      sub.pos = a.pos;
      name = sub.next()?.value; // the argument's name
      if (
        sub.peek()?.type === 'ident' &&
        ARG_MODES.has(sub.peek()?.value ?? '') &&
        end - sub.pos > 1
      ) {
        mode = sub.next()?.value ?? 'in';
      }
      ty = parseType(sub, defaultSchema);
    }
    out.push({ name, mode, type: ty });
  }
  return out;
}

/** Normalised input-argument signature of a function's arguments (OUT arguments excluded). */
export function signatureOf(args: Argument[]): string {
  return args
    .filter((a) => a.mode !== 'out')
    .map((a) => (a.type ? a.type.text : '?'))
    .join(',');
}

// ---------------------------------------------------------------- CREATE TYPE / DOMAIN

export function parseCreateType(ctx: Ctx, c: Cursor): undefined {
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a type name');
  const t = relObj(ctx, 'type', 'create', parts);
  const schema = t.schema as string;
  const key = relKey(schema, t.name);
  if (c.kw('as', 'enum')) {
    if (ctx.live) ctx.cat.types.set(key, 'enum');
    return;
  }
  if (c.kw('as', 'range')) {
    const opts = c.parens();
    let multi: string | undefined;
    for (const o of opts?.splitCommas() ?? []) {
      const k = o.ident();
      if (k === 'multirange_type_name') {
        if (o.isOp('=')) o.next();
        const n = o.name();
        if (n) multi = n[n.length - 1];
      } else if (k === 'subtype') {
        if (o.isOp('=')) o.next();
        typeRefAt(ctx, o);
      }
    }
    const m = namedObj(ctx, 'type', 'create', schema, multi ?? multirangeTypeName(t.name));
    if (multi === undefined) m.implicitName = true;
    if (ctx.live) {
      ctx.cat.types.set(key, 'range');
      ctx.cat.types.set(relKey(schema, m.name), 'range');
    }
    return;
  }
  if (c.kw('as')) {
    // composite: a pg_class relation of its own
    const attrs = c.parens();
    const columns: string[] = [];
    for (const a of attrs?.splitCommas() ?? []) {
      const n = a.ident();
      if (n === undefined) continue;
      columns.push(n);
      typeRefAt(ctx, a);
    }
    if (ctx.live) {
      ctx.cat.types.set(key, 'composite');
      ctx.cat.addRelation({ kind: 'composite', schema, name: t.name, columns });
    }
    return;
  }
  if (ctx.live) ctx.cat.types.set(key, 'base');
}

export function parseCreateDomain(ctx: Ctx, c: Cursor): undefined {
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a domain name');
  const d = relObj(ctx, 'type', 'create', parts);
  const schema = d.schema as string;
  if (ctx.live) ctx.cat.types.set(relKey(schema, d.name), 'domain');
  c.kw('as');
  typeRefAt(ctx, c);
  domainConstraints(ctx, c, [schema, d.name]);
}

/** CHECK constraints of CREATE DOMAIN / ALTER DOMAIN ADD: constraint objects on the domain. */
function domainConstraints(ctx: Ctx, c: Cursor, domain: [string, string]): undefined {
  let name: string | undefined;
  while (!c.atEnd()) {
    if (c.kw('constraint')) {
      name = c.ident();
      continue;
    }
    if (c.kw('check')) {
      const body = c.parens();
      if (body) scanExpr(ctx, body, { entries: [] });
      const chosen =
        name ??
        chooseDomainCheckName(domain[1], (n) => ctx.cat.constraintTaken(domain[0], n), memoOf(ctx));
      const o = scopedObj(ctx, 'constraint', 'create', domain, chosen);
      o.domain = true;
      if (name === undefined) o.implicitName = true;
      if (ctx.live) ctx.cat.addDomainConstraint(domain[0], chosen);
      name = undefined;
      continue;
    }
    if (c.kw('default')) {
      const start = c.pos;
      while (!c.atEnd() && !['constraint', 'check', 'not', 'null'].includes(c.peek()?.value ?? ''))
        c.skipOne();
      scanExpr(ctx, new Cursor(c.toks, c.match, start, c.pos), { entries: [] });
      continue;
    }
    if (c.isKw('not') || c.isKw('null')) name = undefined;
    c.skipOne();
  }
}

/** ALTER TYPE / ALTER DOMAIN. */
export function parseAlterType(ctx: Ctx, c: Cursor, domain: boolean): undefined {
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a type name');
  const o = relObj(ctx, 'type', 'alter', parts);
  const schema = o.schema as string;
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn === undefined) return fail(ctx, c, 'a new name');
    renamed(ctx, o, schema, nn);
    if (ctx.live) {
      const k = ctx.cat.types.get(relKey(schema, o.name));
      if (k !== undefined) {
        ctx.cat.types.delete(relKey(schema, o.name));
        ctx.cat.types.set(relKey(schema, nn), k);
      }
      ctx.cat.renameRelation(schema, o.name, schema, nn);
    }
    return;
  }
  if (c.kw('set', 'schema')) {
    const ns = c.ident();
    if (ns === undefined) return fail(ctx, c, 'a schema name');
    renamed(ctx, o, ns, o.name);
    if (ctx.live) ctx.cat.renameRelation(schema, o.name, ns, o.name);
    return;
  }
  if (!domain && c.kw('add', 'value')) {
    c.kw('if', 'not', 'exists');
    const v = c.peek();
    if (v?.type === 'string') o.value = v.value;
    return;
  }
  if (!domain && c.kw('rename', 'value')) {
    const a = c.next();
    c.kw('to');
    const b = c.next();
    if (a?.type === 'string') o.value = a.value;
    if (b?.type === 'string') o.newValue = b.value;
    return;
  }
  if (domain) {
    if (c.kw('add')) {
      domainConstraints(ctx, c, [schema, o.name]);
      return;
    }
    if (c.kw('drop', 'constraint')) {
      c.kw('if', 'exists');
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'constraint', 'drop', [schema, o.name], n).domain = true;
      return;
    }
    if (c.kw('rename', 'constraint')) {
      const a = c.ident();
      c.kw('to');
      const b = c.ident();
      if (a !== undefined && b !== undefined) {
        const old = scopedObj(ctx, 'constraint', 'rename', [schema, o.name], a);
        old.domain = true;
        renamed(ctx, old, schema, b);
        if (ctx.live) ctx.cat.addDomainConstraint(schema, b);
      }
      return;
    }
    if (c.kw('validate', 'constraint')) {
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'constraint', 'alter', [schema, o.name], n).domain = true;
      return;
    }
    if (c.kw('set', 'default')) {
      scanExpr(ctx, c, { entries: [] });
      return;
    }
    return;
  }
  // ALTER TYPE ... ADD/ALTER ATTRIBUTE: the types they use
  for (const a of c.splitCommas()) {
    if (a.kw('add', 'attribute')) {
      a.ident();
      typeRefAt(ctx, a);
    } else if (a.kw('alter', 'attribute')) {
      a.ident();
      a.kw('set', 'data');
      if (a.kw('type')) typeRefAt(ctx, a);
    }
  }
}

// ---------------------------------------------------------------- sequences

/** OWNED BY t.c: a reference to the column (and its table); NONE gives nothing. */
function ownedBy(ctx: Ctx, c: Cursor, seq: [string, string]): undefined {
  const n = c.name();
  if (!n || (n.length === 1 && n[0] === 'none')) return;
  if (n.length < 2) return;
  const col = n[n.length - 1] as string;
  const table = resolve(ctx, n.slice(0, -1));
  namedObj(ctx, 'table', 'reference', table[0], table[1]);
  scopedObj(ctx, 'column', 'reference', table, col);
  if (ctx.live) {
    const t = ctx.cat.table(table[0], table[1]);
    if (t) {
      t.sequences ??= new Map();
      t.sequences.set(col, relKey(seq[0], seq[1]));
    }
  }
}

/** Sequence options: OWNED BY, AS type. */
function sequenceOptions(ctx: Ctx, c: Cursor, seq: [string, string]): undefined {
  while (!c.atEnd()) {
    if (c.kw('owned', 'by')) {
      ownedBy(ctx, c, seq);
      continue;
    }
    if (c.kw('as')) {
      typeRefAt(ctx, c);
      continue;
    }
    c.skipOne();
  }
}

export function parseCreateSequence(ctx: Ctx, c: Cursor, temp: boolean): undefined {
  c.kw('if', 'not', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a sequence name');
  const s = relObj(ctx, 'sequence', 'create', parts, temp ? TEMP_SCHEMA : undefined);
  const seq: [string, string] = [s.schema as string, s.name];
  if (ctx.live) ctx.cat.addRelation({ kind: 'sequence', schema: seq[0], name: seq[1] });
  else ctx.bodyRelations?.add(s.qualified);
  sequenceOptions(ctx, c, seq);
}

export function parseAlterSequence(ctx: Ctx, c: Cursor): undefined {
  c.kw('if', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a sequence name');
  const o = relObj(ctx, 'sequence', 'alter', parts);
  const seq: [string, string] = [o.schema as string, o.name];
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn === undefined) return fail(ctx, c, 'a new name');
    renamed(ctx, o, seq[0], nn);
    if (ctx.live) ctx.cat.renameRelation(seq[0], seq[1], seq[0], nn);
    return;
  }
  if (c.kw('set', 'schema')) {
    const ns = c.ident();
    if (ns === undefined) return fail(ctx, c, 'a schema name');
    renamed(ctx, o, ns, seq[1]);
    if (ctx.live) ctx.cat.renameRelation(seq[0], seq[1], ns, seq[1]);
    return;
  }
  sequenceOptions(ctx, c, seq);
}
