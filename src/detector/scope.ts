/**
 * Name resolution for columns, the way PostgreSQL's parser resolves a column
 * reference (parse_relation.c): against the range entries (FROM items) of the
 * innermost query level first, then outward. We attribute a column to a table
 * only when that is certain: a reference found must never name a wrong object,
 * so an ambiguous name is left out (see README, "Columns").
 */
import type { Ctx } from './context.js';
import { scopedObj } from './context.js';
import { relKey } from './shadow.js';

export interface RangeEntry {
  /** The name the entry is referred by: its alias, or the relation's name. */
  ref: string;
  /** A relation of the database (not a subquery, CTE or function). */
  table?: [string, string];
  /** Without an alias, `schema.table.column` also reaches it. */
  schemaRef?: string;
  /** Output columns when known; undefined when they cannot be known. */
  columns?: string[];
}

export interface Scope {
  entries: RangeEntry[];
  parent?: Scope;
  /** Output column names of the SELECT list (ORDER BY / GROUP BY may name them). */
  outputNames?: Set<string>;
  /** Called for each column resolved to a relation, instead of recording a reference. */
  onColumn?: (table: [string, string], column: string) => void;
  /** When set, `*` of a relation whose columns are unknown records `allColumns` (a stored query: views). */
  stored?: boolean;
}

/** Columns of a relation the script created (undefined: unknown). */
export function knownColumns(ctx: Ctx, table: [string, string]): string[] | undefined {
  return ctx.cat.relations.get(relKey(table[0], table[1]))?.columns;
}

export function tableEntry(ctx: Ctx, table: [string, string], alias?: string): RangeEntry {
  return {
    ref: alias ?? table[1],
    table,
    schemaRef: alias === undefined ? table[0] : undefined,
    columns: knownColumns(ctx, table),
  };
}

function emit(ctx: Ctx, scope: Scope, table: [string, string], column: string): void {
  let s: Scope | undefined = scope;
  while (s) {
    if (s.onColumn) {
      s.onColumn(table, column);
      return;
    }
    s = s.parent;
  }
  scopedObj(ctx, 'column', 'reference', table, column);
}

/** True when every level from `scope` outward has only entries with known columns, none holding `col`. */
function nowhereElse(scope: Scope | undefined, col: string): boolean {
  for (let s = scope; s; s = s.parent) {
    for (const e of s.entries) {
      if (e.columns === undefined || e.columns.includes(col)) return false;
    }
  }
  return true;
}

/**
 * Resolves a column reference written as `parts` (`col`, `t.col`, `s.t.col`)
 * and records it when it names a column of a relation with certainty.
 */
export function resolveColumn(ctx: Ctx, scope: Scope, parts: string[]): undefined {
  if (parts.length === 1) {
    const col = parts[0] as string;
    if (ctx.vars?.has(col)) return;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const hits: RangeEntry[] = [];
      const unknown: RangeEntry[] = [];
      for (const e of s.entries) {
        if (e.columns === undefined) unknown.push(e);
        else if (e.columns.includes(col)) hits.push(e);
      }
      if (hits.length > 0) {
        if (hits.length === 1 && unknown.length === 0) {
          const h = hits[0] as RangeEntry;
          if (h.table) emit(ctx, scope, h.table, col);
        }
        return;
      }
      if (unknown.length > 0) {
        // the column is in one of these, or further out: certain only when
        // there is one candidate and no level outside could hold it
        // (a name that is also an entry's name may be a whole-row reference)
        const u = unknown[0] as RangeEntry;
        if (
          unknown.length === 1 &&
          u.table &&
          !s.entries.some((e) => e.ref === col) &&
          nowhereElse(s.parent, col)
        ) {
          emit(ctx, scope, u.table, col);
        }
        return;
      }
    }
    return;
  }
  const col = parts[parts.length - 1] as string;
  const q = parts[parts.length - 2] as string;
  const sq = parts.length >= 3 ? (parts[parts.length - 3] as string) : undefined;
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    for (const e of s.entries) {
      if (e.ref !== q) continue;
      if (sq !== undefined && e.schemaRef !== sq) continue;
      if (e.table && (e.columns === undefined || e.columns.includes(col))) {
        emit(ctx, scope, e.table, col);
      }
      return;
    }
  }
}

/** `*` or `t.*`: every column of the entries (or of the one named `ref`). */
export function resolveStar(ctx: Ctx, scope: Scope, ref?: string): undefined {
  for (const e of scope.entries) {
    if (ref !== undefined && e.ref !== ref) continue;
    if (!e.table) continue;
    if (e.columns !== undefined) {
      for (const col of e.columns) emit(ctx, scope, e.table, col);
    } else if (scope.stored) {
      const [schema, name] = e.table;
      for (const o of ctx.objects) {
        if (
          o.kind === 'table' &&
          o.action === 'reference' &&
          o.schema === schema &&
          o.name === name
        )
          o.allColumns = true;
      }
    }
  }
}
