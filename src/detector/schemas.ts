/**
 * Schemas and the search path: CREATE SCHEMA (and the statements it holds),
 * extensions (their schema), COMMENT ON, `SET search_path` and pg_dump's
 * `SELECT pg_catalog.set_config('search_path', '', false)`.
 */
import { type Ctx, fail, globalObj, relObj, resolve, scopedObj } from './context.js';
import { Cursor } from './cursor.js';
import { parseFunctionLike } from './functions.js';
import type { Token } from './lexer.js';
import { foldIdent } from './names.js';
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

/**
 * The first schema of a search_path value given as text (`'"$user", public'`,
 * `''`): identifiers split at commas, unquoted ones folded; `$user` skipped.
 * An empty path leaves only pg_catalog.
 */
export function firstSchemaOfPath(text: string): string {
  for (const raw of text.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    const name =
      s.startsWith('"') && s.endsWith('"') && s.length >= 2
        ? s.slice(1, -1).replace(/""/g, '"')
        : foldIdent(s);
    if (name === '$user') continue;
    return name;
  }
  return 'pg_catalog';
}

export function parseSet(ctx: Ctx, c: Cursor): undefined {
  c.kw('set');
  c.kw('session') || c.kw('local');
  if (!c.kw('search_path')) return;
  if (!c.kw('to') && !c.isOp('=')) return;
  if (c.isOp('=')) c.next();
  if (c.isKw('default') && c.end - c.pos === 1) {
    ctx.schema = ctx.defaultSchema;
    return;
  }
  for (const e of c.splitCommas()) {
    const t = e.peek();
    if (!t) continue;
    let v: string | undefined;
    if (t.type === 'string') {
      if ((t.value ?? '').trim() === '') {
        ctx.schema = 'pg_catalog';
        return;
      }
      v = t.value;
    } else if (t.type === 'ident' || t.type === 'qident') v = t.value;
    if (v === undefined || v === '$user') continue;
    ctx.schema = v;
    return;
  }
}

/** `SELECT [pg_catalog.]set_config('search_path', value, is_local)`: the search path changes. */
export function setConfigSearchPath(ctx: Ctx, c: Cursor): boolean {
  const save = c.pos;
  try {
    if (!c.kw('select')) return false;
    if (c.isKw('pg_catalog') && c.isPunct('.', 1)) c.pos += 2;
    if (!c.kw('set_config')) return false;
    const args = c.parens();
    if (!args || !c.atEnd()) return false;
    const parts = args.splitCommas();
    const name = parts[0]?.peek();
    const value = parts[1]?.peek();
    if (name?.type !== 'string' || name.value !== 'search_path') return false;
    if (value?.type !== 'string' || parts[1]?.end !== (parts[1]?.pos ?? 0) + 1) return false;
    ctx.schema = firstSchemaOfPath(value.value ?? '');
    return true;
  } finally {
    c.pos = save;
  }
}
