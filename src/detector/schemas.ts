/**
 * Schemas: CREATE SCHEMA (and the statements it holds), extensions (their
 * schema) and COMMENT ON. The search path is settings.ts's.
 */
import { type Ctx, fail, globalObj, relObj, resolve, scopedObj } from './context.js';
import { Cursor } from './cursor.js';
import { parseFunctionLike } from './functions.js';
import type { Token } from './lexer.js';
import type { ObjectKind } from './types.js';

export function parseCreateSchema(ctx: Ctx, c: Cursor): undefined {
  c.kw('if', 'not', 'exists');
  let name: string | undefined;
  if (c.kw('authorization')) name = c.ident();
  else {
    name = c.ident();
    if (c.kw('authorization')) c.next();
  }
  if (name === undefined) return fail(ctx, c, 'a schema name');
  globalObj(ctx, 'schema', 'create', name);
  if (c.atEnd()) return;
  // schema elements: each CREATE or GRANT starts one; they are created in the
  // new schema, and names resolve in it first
  const starts: number[] = [];
  for (let i = c.pos; i < c.end; i++) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = c.matchParen(i);
    else if (t.type === 'ident' && (t.value === 'create' || t.value === 'grant')) starts.push(i);
  }
  const saved = ctx.schema;
  ctx.schema = name;
  for (let k = 0; k < starts.length; k++) {
    const from = starts[k] as number;
    const to = starts[k + 1] ?? c.end;
    ctx.analyse(ctx, c.toks.slice(from, to));
  }
  ctx.schema = saved;
}

export function parseCreateExtension(ctx: Ctx, c: Cursor): undefined {
  c.kw('if', 'not', 'exists');
  const name = c.ident();
  if (name === undefined) return fail(ctx, c, 'an extension name');
  globalObj(ctx, 'extension', 'create', name);
  let schema: string | undefined;
  while (!c.atEnd()) {
    if (c.kw('schema')) {
      schema = c.ident();
      if (schema !== undefined) globalObj(ctx, 'schema', 'reference', schema);
      continue;
    }
    c.skipOne();
  }
  if (ctx.live) ctx.cat.extensions.set(name, schema ?? ctx.schema);
}

export function parseAlterExtension(ctx: Ctx, c: Cursor): undefined {
  const n = c.ident();
  if (n === undefined) return fail(ctx, c, 'an extension name');
  globalObj(ctx, 'extension', 'alter', n);
  if (c.kw('set', 'schema')) {
    const s = c.ident();
    if (s !== undefined) {
      globalObj(ctx, 'schema', 'reference', s);
      if (ctx.live) ctx.cat.extensions.set(n, s);
    }
  }
}

export function parseComment(ctx: Ctx, c: Cursor, setKind: (k: string) => void): undefined {
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
      const domain = target.kw('domain');
      const t = target.name();
      if (t) {
        const o = scopedObj(ctx, w, 'alter', resolve(ctx, t), n);
        if (domain) o.domain = true;
      }
      return;
    }
  }
  const what = target.peek()?.text.toUpperCase() ?? '';
  ctx.warnings.push(`COMMENT ON ${what} is not analysed`);
}
