/**
 * The parser's state for one script, and the constructors of the objects it
 * records. Every statement family (tables.ts, indexes.ts, ...) works on a `Ctx`.
 */
import { CATALOG_RELATIONS } from './catalog.js';
import type { Cursor } from './cursor.js';
import type { Token } from './lexer.js';
import { qualify, quoteIdent } from './names.js';
import type { NameMemo } from './naming.js';
import type { SettingsState } from './settings.js';
import type { ShadowCatalog } from './shadow.js';
import type { DbObject, ObjectAction, ObjectKind } from './types.js';

/** Schema of temporary objects created without a schema. */
export const TEMP_SCHEMA = 'pg_temp';

export interface Ctx {
  /** The first schema of the search path: where unqualified names resolve and are created. */
  schema: string;
  /** The caller's default schema (`SET search_path TO DEFAULT` returns to it). */
  defaultSchema: string;
  /** standard_conforming_strings: how the lexer reads '...' literals (settings.ts). */
  standardStrings: boolean;
  /** The settings' session and SET LOCAL values and the open transaction (settings.ts). */
  settings: SettingsState;
  objects: DbObject[];
  warnings: string[];
  /** Recursion depth guard for nested queries and bodies. */
  depth: number;
  /** What the script has created so far. */
  cat: ShadowCatalog;
  /**
   * False inside a function body: its statements run when the function is
   * called, not now, so they change nothing and record references only.
   */
  live: boolean;
  /** Inside a body: relations the body creates itself (never references to pre-existing objects). */
  bodyRelations?: Set<string>;
  /** PL/pgSQL variables and parameters in scope: these names are never columns. */
  vars?: Set<string>;
  /** Analyses one statement's tokens (the dispatcher, for bodies and CREATE SCHEMA elements). */
  analyse: (ctx: Ctx, tokens: Token[]) => string;
}

export const MAX_DEPTH = 200;

/**
 * The name memo of the shadow catalog (naming.ts), for a statement whose
 * names are taken in the catalog; none inside a function body, whose names
 * are never registered.
 */
export function memoOf(ctx: Ctx): NameMemo | undefined {
  return ctx.live ? ctx.cat.memo : undefined;
}

/** Schema and name of a possibly qualified name; unqualified names resolve to the current schema. */
export function resolve(ctx: Ctx, parts: string[], defaultSchema?: string): [string, string] {
  const n = parts.length;
  if (n === 1) return [defaultSchema ?? ctx.schema, parts[0] as string];
  return [parts[n - 2] as string, parts[n - 1] as string];
}

/**
 * An existing relation named in a statement: an unqualified name is a
 * temporary relation when the script made one of that name (pg_temp is
 * searched first), a catalog relation (pg_class, pg_tables, ...) when
 * pg_catalog has it, and otherwise in the current schema.
 */
export function resolveRelation(ctx: Ctx, parts: string[]): [string, string] {
  if (parts.length === 1) {
    const n = parts[0] as string;
    if (ctx.cat.relationTaken(TEMP_SCHEMA, n) || ctx.bodyRelations?.has(`${TEMP_SCHEMA}.${n}`))
      return [TEMP_SCHEMA, n];
    if (n.startsWith('pg_') && CATALOG_RELATIONS.has(n)) return ['pg_catalog', n];
  }
  return resolve(ctx, parts);
}

/** An object for an existing relation (see resolveRelation). */
export function relRef(
  ctx: Ctx,
  kind: ObjectKind,
  action: ObjectAction,
  parts: string[],
): DbObject {
  const [schema, name] = resolveRelation(ctx, parts);
  return push(ctx, { kind, action, schema, name, qualified: qualify(schema, name) });
}

export function push(ctx: Ctx, o: DbObject): DbObject {
  ctx.objects.push(o);
  return o;
}

export function relObj(
  ctx: Ctx,
  kind: ObjectKind,
  action: ObjectAction,
  parts: string[],
  defaultSchema?: string,
): DbObject {
  const [schema, name] = resolve(ctx, parts, defaultSchema);
  return push(ctx, { kind, action, schema, name, qualified: qualify(schema, name) });
}

/** A relation-level object by schema and name. */
export function namedObj(
  ctx: Ctx,
  kind: ObjectKind,
  action: ObjectAction,
  schema: string,
  name: string,
): DbObject {
  return push(ctx, { kind, action, schema, name, qualified: qualify(schema, name) });
}

/** The last table qualified by scopedObj: consecutive objects are mostly on one table. */
let lastTable: [string, string, string] = ['', '', ''];

/** A table-scoped object (column, constraint, trigger, policy) or an index. */
export function scopedObj(
  ctx: Ctx,
  kind: ObjectKind,
  action: ObjectAction,
  table: [string, string],
  name: string,
): DbObject {
  const [schema, tname] = table;
  let t: string;
  if (schema === lastTable[0] && tname === lastTable[1]) t = lastTable[2];
  else {
    t = qualify(schema, tname);
    lastTable = [schema, tname, t];
  }
  return push(ctx, {
    kind,
    action,
    schema,
    name,
    table: t,
    qualified: kind === 'index' ? qualify(schema, name) : `${t}.${quoteIdent(name)}`,
  });
}

export function globalObj(
  ctx: Ctx,
  kind: 'schema' | 'extension',
  action: ObjectAction,
  name: string,
): DbObject {
  return push(ctx, { kind, action, schema: null, name, qualified: quoteIdent(name) });
}

/** Records a rename: the old object with action 'rename' and `newName`, the new one with `renamedFrom`. */
export function renamed(
  ctx: Ctx,
  old: DbObject,
  newSchema: string | null,
  newName: string,
): DbObject {
  old.action = 'rename';
  old.newName = newName;
  const o: DbObject = { ...old, action: 'rename', name: newName, renamedFrom: old.qualified };
  delete o.newName;
  delete o.implicitName;
  if (old.table !== undefined && old.kind !== 'index') {
    o.qualified = `${old.table}.${quoteIdent(newName)}`;
  } else if (old.schema === null) {
    o.qualified = quoteIdent(newName);
  } else {
    o.schema = newSchema;
    o.qualified = qualify(newSchema, newName);
  }
  return push(ctx, o);
}

export function fail(ctx: Ctx, c: Cursor, what: string): undefined {
  ctx.warnings.push(`expected ${what} near '${c.describe()}'`);
}
