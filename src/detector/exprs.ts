/**
 * Expressions: the columns, functions, types and sequences an expression
 * reads (CHECK, DEFAULT, index keys and predicates, policies, trigger WHEN,
 * view and DML clauses), and FigureColname, the name PostgreSQL gives an
 * expression (an index column, a view or CREATE TABLE AS column).
 *
 * Token-based: an identifier is a column when the grammar would read it as a
 * columnref there: not a keyword (reserved and type_func_name keywords never
 * are; col_name keywords only when the table is known to have that column),
 * not a function name (followed by `(`), not a type (after `::`, in CAST, or
 * before a string literal), not a field keyword of EXTRACT, INTERVAL, IS, OVER,
 * NULLS, AT TIME ZONE. Subqueries are parsed as queries (queries.ts).
 */
import { CATALOG_FUNCTIONS } from './catalog.js';
import { type Ctx, MAX_DEPTH, namedObj, resolve } from './context.js';
import { Cursor } from './cursor.js';
import { INTERVAL_FIELDS, isBuiltinType, parseType, typeReference } from './datatypes.js';
import type { Token } from './lexer.js';
import { COL_NAME_KEYWORDS, foldIdent, RESERVED_KEYWORDS } from './names.js';
import { parseQuery, startsQuery } from './queries.js';
import { resolveColumn, resolveStar, type Scope } from './scope.js';

/** Grammar constructs written like function calls that are not functions of any schema. */
const SYNTAX_CALLS = new Set([
  'coalesce',
  'greatest',
  'least',
  'nullif',
  'exists',
  'array',
  'row',
  'cast',
  'treat',
  'extract',
  'overlay',
  'position',
  'substring',
  'trim',
  'normalize',
  'grouping',
  'rollup',
  'cube',
  'values',
  'xmlattributes',
  'xmlconcat',
  'xmlelement',
  'xmlexists',
  'xmlforest',
  'xmlparse',
  'xmlpi',
  'xmlroot',
  'xmlserialize',
  'xmltable',
  'json_array',
  'json_arrayagg',
  'json_object',
  'json_objectagg',
  'json_exists',
  'json_query',
  'json_value',
  'json_scalar',
  'json_serialize',
  'json',
  'collation',
  'interval',
  'any',
  'some',
  'all',
  'in',
  'filter',
  'over',
  'within',
  'default',
]);

/** Functions of extensions that are often installed outside the first schema of the search path. */
const EXTENSION_FUNCTIONS: Record<string, string> = {};
for (const [ext, names] of Object.entries({
  'uuid-ossp':
    'uuid_generate_v1 uuid_generate_v1mc uuid_generate_v3 uuid_generate_v4 uuid_generate_v5 uuid_nil uuid_ns_dns uuid_ns_oid uuid_ns_url uuid_ns_x500',
  pgcrypto:
    'crypt gen_salt digest hmac gen_random_bytes encrypt decrypt encrypt_iv decrypt_iv armor dearmor pgp_sym_encrypt pgp_sym_decrypt pgp_pub_encrypt pgp_pub_decrypt pgp_key_id',
  pg_trgm: 'similarity word_similarity strict_word_similarity show_trgm show_limit set_limit',
  unaccent: 'unaccent',
  hstore: 'hstore akeys avals skeys svals each exist defined delete slice hstore_to_json',
  ltree: 'subltree subpath nlevel text2ltree ltree2text lca',
  fuzzystrmatch: 'levenshtein levenshtein_less_equal soundex metaphone dmetaphone difference',
  vector: 'l2_distance cosine_distance inner_product vector_dims vector_norm l1_distance',
})) {
  for (const n of names.split(' ')) EXTENSION_FUNCTIONS[n] = ext;
}

/** Records a reference to a called function, when we know where it lives. */
export function functionCall(ctx: Ctx, parts: string[]): undefined {
  const fn = parts[parts.length - 1] as string;
  if (parts.length >= 2) {
    const schema = parts[parts.length - 2] as string;
    if (schema === 'pg_catalog') return;
    namedObj(ctx, 'function', 'reference', schema, fn);
    return;
  }
  // pg_catalog is searched first: an unqualified built-in name is pg_catalog's
  if (CATALOG_FUNCTIONS.has(fn) || SYNTAX_CALLS.has(fn)) return;
  const ext = EXTENSION_FUNCTIONS[fn];
  if (ext !== undefined || fn.startsWith('st_') || fn.startsWith('postgis')) {
    const s = ext !== undefined ? ctx.cat.extensions.get(ext) : undefined;
    if (s !== undefined) namedObj(ctx, 'function', 'reference', s, fn);
    return;
  }
  if (ctx.schema === 'pg_catalog') return; // empty search path
  namedObj(ctx, 'function', 'reference', ctx.schema, fn);
}

/**
 * The name list a string names when read as regclass (stringToQualifiedNameList):
 * dot-separated identifiers, unquoted ones folded.
 */
export function qualifiedNameFromString(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  const ws = (ch: string | undefined) =>
    ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
  while (ws(s[i])) i++;
  for (;;) {
    let part = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) return undefined;
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += s[i];
        i++;
      }
      if (part === '') return undefined;
    } else {
      const start = i;
      while (i < n && s[i] !== '.' && !ws(s[i])) i++;
      part = foldIdent(s.slice(start, i));
      if (part === '') return undefined;
    }
    out.push(part);
    while (ws(s[i])) i++;
    if (i >= n) break;
    if (s[i] !== '.') return undefined;
    i++;
    while (ws(s[i])) i++;
  }
  return out.length > 0 && out.length <= 3 ? out : undefined;
}

const SEQUENCE_FUNCTIONS = new Set(['nextval', 'currval', 'setval']);

/** `nextval('s'::regclass)`: the sequence named by the first argument. */
function sequenceArgument(ctx: Ctx, args: Cursor): undefined {
  const t = args.peek();
  if (t?.type !== 'string' || t.value === undefined) return;
  const next = args.peek(1);
  if (next && !(next.type === 'punct' && (next.text === ',' || next.text === '::'))) return;
  const parts = qualifiedNameFromString(t.value);
  if (!parts) return;
  const [schema, name] = resolve(ctx, parts);
  if (ctx.bodyRelations?.has(`${schema}.${name}`)) return;
  namedObj(ctx, 'sequence', 'reference', schema, name);
}

/** Words that follow IS (and IS NOT). */
const IS_WORDS = new Set([
  'not',
  'null',
  'true',
  'false',
  'unknown',
  'document',
  'normalized',
  'nfc',
  'nfd',
  'nfkc',
  'nfkd',
  'json',
  'value',
  'object',
  'scalar',
  'array',
  'with',
  'without',
  'unique',
  'keys',
]);

/** Words of a window specification. */
const WINDOW_WORDS = new Set([
  'partition',
  'by',
  'order',
  'rows',
  'range',
  'groups',
  'between',
  'unbounded',
  'preceding',
  'following',
  'current',
  'row',
  'exclude',
  'ties',
  'others',
  'no',
  'and',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'using',
]);

/** Skips a type name after `::` (or in CAST ... AS) and records a reference to a user type. */
export function castType(ctx: Ctx, c: Cursor): undefined {
  const ty = parseType(c, ctx.schema);
  if (ty?.ref) typeReference(ctx, ty.ref);
  else if (!ty) c.skipOne();
}

/**
 * Scans an expression (or a list of them), recording what it reads. `scope`
 * resolves column names; a scope without entries records no columns.
 */
export function scanExpr(ctx: Ctx, c: Cursor, scope: Scope, window = false): undefined {
  if (ctx.depth > MAX_DEPTH) {
    c.pos = c.end;
    return;
  }
  ctx.depth++;
  try {
    scanTokens(ctx, c, scope, window);
  } finally {
    ctx.depth--;
  }
}

function scanTokens(ctx: Ctx, c: Cursor, scope: Scope, window: boolean): undefined {
  let prev: Token | undefined;
  while (!c.atEnd()) {
    const t = c.peek() as Token;
    if (t.type === 'punct') {
      if (t.text === '(') {
        if (startsQuery(c, c.pos + 1)) {
          const inner = c.parens() as Cursor;
          parseQuery(ctx, inner, scope);
        } else {
          const inner = c.parens() as Cursor;
          scanExpr(ctx, inner, scope);
        }
        // (composite).field: the field is not a column
        if (c.isPunct('.') && c.isName(1)) c.pos += 2;
        prev = t;
        continue;
      }
      if (t.text === '[') {
        const close = c.matchParen(c.pos);
        const inner = new Cursor(c.toks, c.match, c.pos + 1, close);
        c.pos = Math.min(close + 1, c.end);
        scanExpr(ctx, inner, scope);
        prev = t;
        continue;
      }
      if (t.text === '::') {
        c.next();
        castType(ctx, c);
        prev = t;
        continue;
      }
      c.next();
      prev = t;
      continue;
    }
    if (t.type !== 'ident' && t.type !== 'qident') {
      c.next();
      prev = t;
      continue;
    }
    const quoted = t.type === 'qident';
    const v = t.value ?? '';
    if (!quoted) {
      // syntax words
      if (v === 'cast' || v === 'treat') {
        if (c.isPunct('(', 1)) {
          c.next();
          const inner = c.parens() as Cursor;
          const as = inner.findKw(['as']);
          scanExpr(
            ctx,
            new Cursor(inner.toks, inner.match, inner.pos, as >= 0 ? as : inner.end),
            scope,
          );
          if (as >= 0) {
            inner.pos = as + 1;
            castType(ctx, inner);
          }
          prev = t;
          continue;
        }
      }
      if (v === 'extract' && c.isPunct('(', 1)) {
        c.next();
        const inner = c.parens() as Cursor;
        const from = inner.findKw(['from']);
        if (from >= 0) {
          inner.pos = from + 1;
          scanExpr(ctx, inner, scope);
        }
        prev = t;
        continue;
      }
      // LIKE ... ESCAPE 'c', ORDER BY / GROUP BY / PARTITION BY
      if ((v === 'escape' && c.peek(1)?.type === 'string') || (v === 'by' && isByWord(prev))) {
        c.next();
        prev = t;
        continue;
      }
      if ((v === 'interval' || isTypedLiteralStart(c)) && literalFollows(c)) {
        skipTypedLiteral(ctx, c);
        prev = t;
        continue;
      }
      if (v === 'collate') {
        c.next();
        c.name();
        prev = t;
        continue;
      }
      if (v === 'at' && c.isKw('time', 1) && c.isKw('zone', 2)) {
        c.pos += 3;
        prev = t;
        continue;
      }
      if (v === 'is') {
        c.next();
        while (c.peek()?.type === 'ident' && IS_WORDS.has(c.peek()?.value ?? '')) c.next();
        if (c.kw('distinct', 'from')) {
          /* the operand follows */
        } else if (c.kw('of')) c.parens();
        prev = t;
        continue;
      }
      if (v === 'nulls' && (c.isKw('first', 1) || c.isKw('last', 1))) {
        c.pos += 2;
        prev = t;
        continue;
      }
      if (v === 'over') {
        c.next();
        if (c.isPunct('(')) scanExpr(ctx, c.parens() as Cursor, scope, true);
        else c.next(); // a window name
        prev = t;
        continue;
      }
      if (v === 'operator' && c.isPunct('(', 1)) {
        c.next();
        c.parens();
        prev = t;
        continue;
      }
      if (window && WINDOW_WORDS.has(v)) {
        c.next();
        prev = t;
        continue;
      }
      if (RESERVED_KEYWORDS.has(v)) {
        c.next();
        prev = t;
        continue;
      }
    }
    // a name: column, function call, or a table's `.*`
    const { parts, star } = dottedName(c, v);
    if (star) {
      if (parts.length === 1) resolveStar(ctx, scope, parts[0]);
      prev = t;
      continue;
    }
    // named argument `name => value`
    if (c.isOp('=>') || (c.isPunct(':=') && parts.length === 1)) {
      c.next();
      prev = t;
      continue;
    }
    if (c.isPunct('(')) {
      const lower = parts[parts.length - 1] as string;
      const inner = c.parens() as Cursor;
      if (!quoted && parts.length === 1 && (lower === 'exists' || lower === 'array')) {
        if (startsQuery(inner, inner.pos)) parseQuery(ctx, inner, scope);
        else scanExpr(ctx, inner, scope);
        prev = t;
        continue;
      }
      functionCall(ctx, parts);
      if (
        SEQUENCE_FUNCTIONS.has(lower) &&
        (parts.length === 1 || parts[parts.length - 2] === 'pg_catalog')
      ) {
        sequenceArgument(ctx, new Cursor(inner.toks, inner.match, inner.pos, inner.end));
      }
      scanExpr(ctx, inner, scope);
      if (c.isKw('within') && c.isKw('group', 1)) {
        c.pos += 2;
        const g = c.parens();
        if (g) {
          g.kw('order', 'by');
          scanExpr(ctx, g, scope, true);
        }
      }
      if (c.isKw('filter') && c.isPunct('(', 1)) {
        c.next();
        const f = c.parens() as Cursor;
        f.kw('where');
        scanExpr(ctx, f, scope);
      }
      // f(x).field
      if (c.isPunct('.') && c.isName(1)) c.pos += 2;
      prev = t;
      continue;
    }
    // after `(...).`: a field of a composite value
    if (prev && prev.type === 'punct' && prev.text === '.') {
      prev = t;
      continue;
    }
    if (!quoted && parts.length === 1 && COL_NAME_KEYWORDS.has(v)) {
      // a col_name keyword is a column only when the table is known to have it
      if (!knownEverywhere(scope, v)) {
        prev = t;
        continue;
      }
    }
    if (parts.length === 1 && scope.outputNames?.has(v)) {
      // ORDER BY / GROUP BY name an output column
      prev = t;
      continue;
    }
    resolveColumn(ctx, scope, parts);
    prev = t;
  }
}

/**
 * A name at the cursor, whose first part (`first`) it steps over, with the
 * `.part`s after it; `star` when it ends in a table's `.*` (consumed too).
 */
function dottedName(c: Cursor, first: string): { parts: string[]; star: boolean } {
  const parts = [first];
  c.next();
  while (c.isPunct('.')) {
    if (c.isName(1)) {
      c.next();
      parts.push(c.next()?.value ?? '');
    } else if (c.isOp('*', 1)) {
      c.pos += 2;
      return { parts, star: true };
    } else break;
  }
  return { parts, star: false };
}

function isByWord(prev: Token | undefined): boolean {
  return (
    prev !== undefined &&
    prev.type === 'ident' &&
    (prev.value === 'order' || prev.value === 'group' || prev.value === 'partition')
  );
}

/** True when some entry of the scope chain has known columns including `col` (and no entry is unknown). */
function knownEverywhere(scope: Scope, col: string): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    for (const e of s.entries) if (e.columns?.includes(col)) return true;
  }
  return false;
}

/** A type name that starts a typed literal: `date '...'`, `timestamp with time zone '...'`, `mood 'a'`. */
function isTypedLiteralStart(c: Cursor): boolean {
  const t = c.peek();
  if (t?.type !== 'ident' || RESERVED_KEYWORDS.has(t.value ?? '')) return false;
  return literalFollows(c);
}

/** The type at the cursor is directly followed by a string literal. */
function literalFollows(c: Cursor): boolean {
  const save = c.pos;
  const v = c.peek()?.value;
  let k = 0;
  if (v === 'double' && c.isKw('precision', 1)) k = 2;
  else if ((v === 'character' || v === 'bit') && c.isKw('varying', 1)) k = 2;
  else if ((v === 'timestamp' || v === 'time') && (c.isKw('with', 1) || c.isKw('without', 1)))
    k = 4;
  else {
    k = 1;
    while (c.isPunct('.', k) && c.isName(k + 1)) k += 2;
    if (c.isPunct('(', k)) {
      // timestamp(3) '...'
      const close = c.matchParen(c.pos + k);
      k = close - c.pos + 1;
    }
  }
  const t = c.toks[c.pos + k];
  c.pos = save;
  return c.pos + k < c.end && t !== undefined && t.type === 'string';
}

function skipTypedLiteral(ctx: Ctx, c: Cursor): undefined {
  const isInterval = c.isKw('interval');
  const ty = parseType(c, ctx.schema);
  if (ty?.ref && !isBuiltinType(ty.ref[ty.ref.length - 1] ?? '')) typeReference(ctx, ty.ref);
  if (c.peek()?.type === 'string') c.next();
  if (isInterval) {
    while (c.peek()?.type === 'ident' && INTERVAL_FIELDS.has(c.peek()?.value ?? '')) {
      c.next();
      if (c.isPunct('(')) c.parens();
    }
  }
}

// ---------------------------------------------------------------- FigureColname

export interface Figured {
  name: string;
  /** 2: a real name (column, function), 1: a fallback (type name, `case`), 0: none. */
  strength: number;
}

const VALUE_FUNCTIONS = new Set([
  'current_date',
  'current_time',
  'current_timestamp',
  'localtime',
  'localtimestamp',
  'current_role',
  'current_user',
  'user',
  'session_user',
  'system_user',
  'current_catalog',
  'current_schema',
]);

/**
 * FigureColnameInternal (parse_target.c) for the expression the cursor spans:
 * the column name `CREATE INDEX` and `SELECT` give it. `?column?` / `expr` are
 * the callers' defaults for strength 0.
 */
export function figureColname(c: Cursor): Figured {
  const save = c.pos;
  try {
    const r = figurePrimary(c);
    return c.atEnd() ? r : { name: '', strength: 0 };
  } finally {
    c.pos = save;
  }
}

function figurePrimary(c: Cursor): Figured {
  let r: Figured = { name: '', strength: 0 };
  const t = c.peek();
  if (!t) return r;
  if (t.type === 'punct' && t.text === '(') {
    const inner = c.parens() as Cursor;
    if (startsQuery(inner, inner.pos)) r = { name: '', strength: 0 };
    else r = figureColname(inner);
  } else if (t.type === 'ident' && t.value === 'case') {
    const end = c.matchCase();
    const body = new Cursor(c.toks, c.match, c.pos + 1, end);
    const els = body.findLastKw('else');
    let fr: Figured = { name: '', strength: 0 };
    if (els >= 0) fr = figureColname(new Cursor(c.toks, c.match, els + 1, end));
    c.pos = Math.min(end + 1, c.end);
    r = fr.strength > 1 ? fr : { name: 'case', strength: 1 };
  } else if (t.type === 'ident' && t.value === 'array') {
    // ARRAY[...] and ARRAY(subquery) act like a function
    c.next();
    c.skipOne();
    r = { name: 'array', strength: 2 };
  } else if (
    t.type === 'ident' &&
    (t.value === 'cast' || t.value === 'treat') &&
    c.isPunct('(', 1)
  ) {
    c.next();
    const inner = c.parens() as Cursor;
    const as = inner.findKw(['as']);
    const arg = figureColname(
      new Cursor(inner.toks, inner.match, inner.pos, as >= 0 ? as : inner.end),
    );
    if (arg.strength > 1 || as < 0) r = arg;
    else {
      inner.pos = as + 1;
      const ty = parseType(inner, '');
      r = ty ? { name: ty.label, strength: 1 } : arg;
    }
  } else if (t.type === 'ident' && VALUE_FUNCTIONS.has(t.value ?? '') && !c.isPunct('(', 1)) {
    c.next();
    r = { name: t.value ?? '', strength: 2 };
  } else if (t.type === 'ident' && t.value === 'row' && c.isPunct('(', 1)) {
    c.next();
    c.parens();
    r = { name: 'row', strength: 2 }; // ROW() acts like a function
  } else if (t.type === 'ident' || t.type === 'qident') {
    if (t.type === 'ident' && RESERVED_KEYWORDS.has(t.value ?? '')) {
      c.next();
      return { name: '', strength: 0 };
    }
    const { parts, star } = dottedName(c, t.value ?? '');
    if (c.isPunct('(')) {
      const inner = c.parens() as Cursor;
      let name = parts[parts.length - 1] as string;
      if (t.type === 'ident' && parts.length === 1) {
        if (name === 'trim') {
          name = inner.isKw('leading') ? 'ltrim' : inner.isKw('trailing') ? 'rtrim' : 'btrim';
        } else if (name === 'exists' || name === 'array') {
          name = t.value as string;
        } else if (name === 'collation') name = 'pg_collation_for';
      }
      // aggregate decorations
      if (c.isKw('within') && c.isKw('group', 1)) {
        c.pos += 2;
        c.parens();
      }
      if (c.isKw('filter')) {
        c.next();
        c.parens();
      }
      if (c.isKw('over')) {
        c.next();
        c.skipOne();
      }
      r = { name, strength: 2 };
    } else if (star) r = { name: '', strength: 0 };
    else if (c.peek()?.type === 'string') {
      // typed literal: `date '2020-01-01'` is a cast of a constant
      c.pos--;
      for (let i = 1; i < parts.length; i++) c.pos -= 2;
      const ty = parseType(c, '');
      c.next();
      r = ty ? { name: ty.label, strength: 1 } : { name: '', strength: 0 };
    } else r = { name: parts[parts.length - 1] as string, strength: 2 };
  } else {
    c.next();
    r = { name: '', strength: 0 };
  }
  // postfix: subscripts, field selection, casts, COLLATE
  for (;;) {
    if (c.isPunct('[')) {
      c.skipOne();
      continue;
    }
    if (c.isPunct('.') && c.isName(1)) {
      c.next();
      r = { name: c.next()?.value ?? '', strength: 2 };
      continue;
    }
    if (c.isPunct('::')) {
      c.next();
      const ty = parseType(c, '');
      if (!ty) return { name: '', strength: 0 };
      if (r.strength <= 1) r = { name: ty.label, strength: 1 };
      continue;
    }
    if (c.isKw('collate')) {
      c.next();
      c.name();
      continue;
    }
    if (c.isKw('at') && c.isKw('time', 1) && c.isKw('zone', 2)) {
      c.pos += 3;
      // the operand: the whole is timezone(zone, expr)
      figurePrimary(c);
      r = { name: 'timezone', strength: 2 };
      continue;
    }
    break;
  }
  return r;
}
