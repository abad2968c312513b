/**
 * Identifier and name helpers that follow PostgreSQL's own rules: case folding
 * of unquoted identifiers (ASCII only, like downcase_identifier), truncation to
 * NAMEDATALEN-1 bytes, quote_ident, and the normalisation of type names used in
 * function signatures. Pure ES2020, no Node API.
 */

import { clipBytes, MAX_IDENT_BYTES } from './naming.js';

/**
 * PostgreSQL 17's reserved and type_func_name keywords: never a column or a
 * table name unless quoted.
 */
export const RESERVED_KEYWORDS: Set<string> = new Set(
  // reserved
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column ' +
    'constraint create current_catalog current_date current_role current_time current_timestamp ' +
    'current_user default deferrable desc distinct do else end except false fetch for foreign from ' +
    'grant group having in initially intersect into lateral leading limit localtime localtimestamp ' +
    'not null offset on only or order placing primary references returning select session_user ' +
    'some symmetric system_user table then to trailing true union unique user using variadic when ' +
    'where window with ' +
    // type_func_name
    'authorization binary collation concurrently cross current_schema freeze full ilike inner is ' +
    'isnull join left like natural notnull outer overlaps right similar tablesample verbose'
  ).split(' '),
);

/** col_name keywords: they may name a column, but in an expression they are mostly syntax (types, functions). */
export const COL_NAME_KEYWORDS: Set<string> = new Set(
  (
    'between bigint bit boolean char character coalesce dec decimal exists extract float greatest ' +
    'grouping inout int integer interval json json_array json_arrayagg json_exists json_object ' +
    'json_objectagg json_query json_scalar json_serialize json_table json_value least merge_action ' +
    'national nchar none normalize nullif numeric out overlay position precision real row setof ' +
    'smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement ' +
    'xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** Keywords that quote_ident must quote: everything except unreserved ones. */
const QUOTED_KEYWORDS = new Set([...RESERVED_KEYWORDS, ...COL_NAME_KEYWORDS]);

/** True when quote_ident would quote `name`. */
export function needsQuoting(name: string): boolean {
  if (name.length === 0) return true;
  const first = name.charCodeAt(0);
  if (!((first >= 97 && first <= 122) || first === 95)) return true;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) return true;
  }
  return QUOTED_KEYWORDS.has(name);
}

/** quote_ident results: names repeat a lot in a script (bounded). */
const QUOTED = new Map<string, string>();

/** PostgreSQL's quote_ident: `users` stays, `Users` becomes `"Users"`, `user` becomes `"user"`. */
export function quoteIdent(name: string): string {
  if (!needsQuoting(name)) return name;
  const hit = QUOTED.get(name);
  if (hit !== undefined) return hit;
  const q = `"${name.replace(/"/g, '""')}"`;
  if (QUOTED.size > 20_000) QUOTED.clear();
  QUOTED.set(name, q);
  return q;
}

/** Joins name parts with quote_ident rules: qualify('public', 'Users', 'email') → `public."Users".email`. */
export function qualify(...parts: (string | null | undefined)[]): string {
  let out = '';
  for (const p of parts) {
    if (p === null || p === undefined) continue;
    out = out === '' ? quoteIdent(p) : `${out}.${quoteIdent(p)}`;
  }
  return out;
}

/** ASCII-only lower-casing, like PostgreSQL's downcase_identifier for unquoted identifiers. */
export function foldIdent(raw: string): string {
  let upper = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128) return foldAsciiOnly(raw);
    if (c >= 65 && c <= 90) upper = true;
  }
  return upper ? raw.toLowerCase() : raw;
}

function foldAsciiOnly(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : raw[i];
  }
  return out;
}

/** Truncates an identifier to 63 bytes of UTF-8 without splitting a character, as PostgreSQL does. */
export function truncateIdent(name: string): string {
  if (name.length <= 21) return name;
  if (name.length <= 63) {
    let ascii = true;
    for (let i = 0; i < name.length && ascii; i++) ascii = name.charCodeAt(i) < 0x80;
    if (ascii) return name;
  }
  return clipBytes(name, MAX_IDENT_BYTES);
}

/**
 * The slug the registry uses for branch names: lower-cased, every run of
 * characters outside [a-z0-9._-] replaced by one `_`.
 */
export function normalizeFeatureName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '_');
}

/**
 * Built-in type names (pg_catalog) and the grammar's own type words: a column of
 * any other type records a `reference` to that type.
 */
export const BUILTIN_TYPES = new Set(
  (
    'bool boolean bytea char name int8 bigint int2 smallint int4 int integer text oid json xml point lseg path box ' +
    'polygon line float4 real float8 float double money macaddr macaddr8 inet cidr bpchar varchar character date ' +
    'time timestamp timestamptz interval timetz bit varbit numeric decimal dec uuid jsonb jsonpath tsvector tsquery ' +
    'regclass regtype regproc regprocedure regoper regoperator regconfig regdictionary regnamespace regrole ' +
    'regcollation pg_lsn txid_snapshot pg_snapshot int4range int8range numrange tsrange tstzrange daterange ' +
    'int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange record void trigger ' +
    'event_trigger anyelement anyarray anynonarray anyenum anyrange anymultirange anycompatible anycompatiblearray ' +
    'cstring internal serial serial4 bigserial serial8 smallserial serial2 xid xid8 cid tid refcursor aclitem'
  ).split(' '),
);

/** Names of built-in types as pg_type spells them, for quoted or pg_catalog-qualified type names. */
const CATALOG_TYPES = new Map<string, string>(
  Object.entries({
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
  }),
);

/** Unquoted type names: the catalog names plus the grammar's own spellings. */
const TYPE_SYNONYMS = new Map<string, string>([
  ...CATALOG_TYPES,
  ...Object.entries({
    int: 'integer',
    integer: 'integer',
    bigint: 'bigint',
    smallint: 'smallint',
    real: 'real',
    float: 'double precision',
    'double precision': 'double precision',
    decimal: 'numeric',
    dec: 'numeric',
    boolean: 'boolean',
    character: 'character',
    'character varying': 'character varying',
    'bit varying': 'bit varying',
    'timestamp with time zone': 'timestamp with time zone',
    'timestamp without time zone': 'timestamp without time zone',
    'time with time zone': 'time with time zone',
    'time without time zone': 'time without time zone',
    serial: 'integer',
    serial4: 'integer',
    bigserial: 'bigint',
    serial8: 'bigint',
    smallserial: 'smallint',
    serial2: 'smallint',
  }),
]);

/** Normalised name of a type written as one quoted identifier (`"int4"` → integer, `"char"` stays). */
export function normalizeQuotedTypeName(name: string): string {
  return CATALOG_TYPES.get(name) ?? quoteIdent(name);
}

/**
 * Normalises a type name given as its parts (already case-folded), e.g.
 * ['pg_catalog','int4'] → `integer`, ['character varying'] → `character varying`,
 * ['public','mood'] → `mood` when public is the default schema. `arrayDims` > 0
 * appends a single `[]` (PostgreSQL ignores array dimensions in signatures).
 * Type modifiers are never part of the result.
 */
export function normalizeTypeName(
  parts: string[],
  arrayDims: number,
  defaultSchema: string,
): string {
  let base: string;
  if (parts.length === 1) {
    const p = parts[0] ?? '';
    base = TYPE_SYNONYMS.get(p) ?? quoteIdent(p);
  } else {
    const schema = parts[parts.length - 2] ?? '';
    const name = parts[parts.length - 1] ?? '';
    if (schema === 'pg_catalog')
      base = CATALOG_TYPES.get(name) ?? TYPE_SYNONYMS.get(name) ?? quoteIdent(name);
    else if (schema === defaultSchema) base = quoteIdent(name);
    else base = `${quoteIdent(schema)}.${quoteIdent(name)}`;
  }
  return arrayDims > 0 ? `${base}[]` : base;
}
