/**
 * Publications (logical replication): CREATE PUBLICATION ... FOR TABLE ... /
 * TABLES IN SCHEMA ..., and ALTER PUBLICATION ... ADD | SET | DROP of the
 * same. The publication itself is not an object of the model; the tables it
 * names (with their column lists and the columns of their row filters) and
 * the schemas it names are references: dropping or renaming one breaks the
 * statement. Supabase's `alter publication supabase_realtime add table ...`
 * is the common case.
 */
import { type Ctx, fail, globalObj, namedObj, resolveRelation, scopedObj } from './context.js';
import { Cursor } from './cursor.js';
import { scanExpr } from './exprs.js';
import { tableEntry } from './scope.js';
import { EMPTY_PATH } from './settings.js';

/** The objects list after FOR / ADD / SET / DROP, up to WITH (...). */
function publicationObjects(ctx: Ctx, c: Cursor): undefined {
  const withAt = c.findKw(['with']);
  const list = new Cursor(c.toks, c.match, c.pos, withAt >= 0 ? withAt : c.end);
  // TABLE and TABLES IN SCHEMA carry over to the items after them
  let schemas = false;
  for (const e of list.splitCommas()) {
    if (e.kw('tables', 'in', 'schema')) schemas = true;
    else if (e.kw('table')) schemas = false;
    if (schemas) {
      if (e.kw('current_schema')) {
        if (ctx.schema !== EMPTY_PATH) globalObj(ctx, 'schema', 'reference', ctx.schema);
      } else {
        const n = e.ident();
        if (n !== undefined) globalObj(ctx, 'schema', 'reference', n);
      }
      continue;
    }
    e.kw('only');
    const n = e.name();
    if (!n) continue;
    if (e.isOp('*')) e.next();
    const table = resolveRelation(ctx, n);
    namedObj(ctx, 'table', 'reference', table[0], table[1]);
    if (e.isPunct('(')) {
      for (const col of e.parens()?.splitCommas() ?? []) {
        const name = col.ident();
        if (name !== undefined) scopedObj(ctx, 'column', 'reference', table, name);
      }
    }
    if (e.kw('where')) {
      const cond = e.parens();
      if (cond) scanExpr(ctx, cond, { entries: [tableEntry(ctx, table)] });
    }
  }
}

/** CREATE PUBLICATION name [ FOR ALL TABLES | FOR object [, ...] ] [ WITH (...) ], after PUBLICATION. */
export function parseCreatePublication(ctx: Ctx, c: Cursor): undefined {
  if (c.ident() === undefined) return fail(ctx, c, 'a publication name');
  if (!c.kw('for') || c.kw('all', 'tables')) return;
  publicationObjects(ctx, c);
}

/**
 * ALTER PUBLICATION name { ADD | SET | DROP } object [, ...], SET (...),
 * OWNER TO role or RENAME TO name, after PUBLICATION; false for anything
 * else. The last three name nothing of the model (the publication is not
 * one of its objects): they are analysed, with no objects.
 */
export function parseAlterPublication(ctx: Ctx, c: Cursor): boolean {
  if (c.ident() === undefined) return false;
  if (c.isKw('set') && c.isPunct('(', 1)) return true; // parameters only
  if (c.kw('owner', 'to') || c.kw('rename', 'to')) return c.ident() !== undefined && c.atEnd();
  if (!(c.kw('add') || c.kw('set') || c.kw('drop'))) return false;
  publicationObjects(ctx, c);
  return true;
}
