/**
 * Security: row-level security policies (CREATE/ALTER/DROP POLICY, with the
 * columns and the tables their USING / WITH CHECK expressions read) and
 * GRANT / REVOKE on objects.
 */
import { type Ctx, fail, globalObj, relObj, renamed, resolve, scopedObj } from './context.js';
import { Cursor } from './cursor.js';
import { scanExpr } from './exprs.js';
import { parseFunctionLike } from './functions.js';
import { tableEntry } from './scope.js';
import type { ObjectKind } from './types.js';

/** USING (...) and WITH CHECK (...) of a policy: the policy's table is the scope. */
function policyClauses(ctx: Ctx, c: Cursor, table: [string, string]): undefined {
  const scope = { entries: [tableEntry(ctx, table)] };
  while (!c.atEnd()) {
    if (c.kw('using') || c.kw('with', 'check')) {
      const e = c.parens();
      if (e) scanExpr(ctx, e, scope);
      continue;
    }
    c.skipOne();
  }
}

export function parseCreatePolicy(ctx: Ctx, c: Cursor): undefined {
  const name = c.ident();
  if (name === undefined || !c.kw('on')) return fail(ctx, c, 'policy name ON table');
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  const table = resolve(ctx, t);
  scopedObj(ctx, 'policy', 'create', table, name);
  policyClauses(ctx, c, table);
}

export function parseAlterPolicy(ctx: Ctx, c: Cursor): undefined {
  const n = c.ident();
  if (n === undefined || !c.kw('on')) return fail(ctx, c, 'name ON table');
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  const table = resolve(ctx, t);
  const o = scopedObj(ctx, 'policy', 'alter', table, n);
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn !== undefined) renamed(ctx, o, table[0], nn);
    return;
  }
  policyClauses(ctx, c, table);
}

export function parseDropPolicy(ctx: Ctx, c: Cursor): undefined {
  c.kw('if', 'exists');
  const n = c.ident();
  if (n === undefined || !c.kw('on')) return fail(ctx, c, 'name ON table');
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  scopedObj(ctx, 'policy', 'drop', resolve(ctx, t), n);
}

export function parseGrant(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
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
