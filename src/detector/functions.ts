/**
 * Functions and their bodies, triggers, and DO blocks.
 *
 * - CREATE/ALTER/DROP FUNCTION, PROCEDURE, AGGREGATE, ROUTINE (kind `function`).
 * - Bodies: `LANGUAGE sql` bodies (quoted, `BEGIN ATOMIC ... END`, `RETURN
 *   expr`) are parsed as SQL; PL/pgSQL bodies have their static SQL extracted
 *   (the statements, the queries of FOR/RETURN QUERY/PERFORM/OPEN, the
 *   subqueries of IF/WHILE/assignments, constant EXECUTE strings). A body runs
 *   when the function is called, not now: it records references only, never
 *   to objects it creates itself. A DO block runs now: its statements count in
 *   full.
 * - CREATE [CONSTRAINT] TRIGGER (a constraint trigger is also a constraint),
 *   ALTER/DROP TRIGGER; row triggers are copied to partitions.
 */
import { CATALOG_FUNCTIONS } from './catalog.js';
import {
  type Ctx,
  fail,
  MAX_DEPTH,
  namedObj,
  relObj,
  renamed,
  resolve,
  resolveRelation,
  scopedObj,
} from './context.js';
import { Cursor } from './cursor.js';
import {
  type Argument,
  parseArguments,
  signatureOf,
  typeRefAt,
  typeReference,
} from './datatypes.js';
import { functionCall, scanExpr } from './exprs.js';
import { lex, splitTokens, type Token } from './lexer.js';
import { parseQuery, startsQuery } from './queries.js';
import type { Scope } from './scope.js';
import { EMPTY_PATH, functionPathSchema, newSettingsState } from './settings.js';
import type { DbObject, ObjectAction } from './types.js';

/** A function name with its argument list (when given): the signature of input arguments. */
export function parseFunctionLike(
  ctx: Ctx,
  c: Cursor,
  action: ObjectAction,
  withArgs: boolean,
): { o: DbObject; args?: Argument[] } | undefined {
  const parts = c.name();
  if (!parts) {
    fail(ctx, c, 'a function name');
    return undefined;
  }
  const o = relObj(ctx, 'function', action, parts);
  let args: Argument[] | undefined;
  if (withArgs && c.isPunct('(')) {
    const list = c.parens() as Cursor;
    const ob = list.findKw(['order']);
    if (ob >= 0 && list.isKw('by', ob - list.pos + 1)) {
      // ordered-set aggregate: direct args ORDER BY aggregated args
      const direct = parseArguments(list.slice(list.pos, ob), ctx.schema);
      const agg = parseArguments(list.slice(ob + 2, list.end), ctx.schema);
      args = [...direct, ...agg];
      o.signature = [signatureOf(direct), signatureOf(agg)].filter((s) => s !== '').join(',');
    } else {
      args = parseArguments(list, ctx.schema);
      o.signature = signatureOf(args);
    }
    for (const a of args) if (a.type?.ref) typeReference(ctx, a.type.ref);
  }
  return { o, args };
}

/** Old-style CREATE AGGREGATE name (BASETYPE = ..., SFUNC = ...): one list, of options. */
function oldStyleAggregate(c: Cursor): boolean {
  let k = 1;
  while (c.isPunct('.', k) && c.isName(k + 1)) k += 2;
  if (!c.isPunct('(', k)) return false;
  const close = c.matchParen(c.pos + k);
  if (c.isPunct('(', close - c.pos + 1)) return false;
  const t1 = c.toks[c.pos + k + 1];
  const t2 = c.toks[c.pos + k + 2];
  return t1?.type === 'ident' && t2?.type === 'op' && t2.text === '=';
}

export function parseCreateFunction(ctx: Ctx, c: Cursor, kind: string): undefined {
  const oldStyle = kind === 'aggregate' && oldStyleAggregate(c);
  const f = parseFunctionLike(ctx, c, 'create', !oldStyle);
  if (!f) return;
  // old-style CREATE AGGREGATE name (BASETYPE = ..., SFUNC = ...) has a single list,
  // of options rather than arguments: no signature then
  if (kind === 'aggregate') {
    const opts = c.parens();
    for (const o of opts?.splitCommas() ?? []) {
      const k = o.ident();
      if (o.isOp('=')) o.next();
      if (k === 'stype' || k === 'mstype' || k === 'basetype') typeRefAt(ctx, o);
      else if (k !== undefined && /func$/.test(k)) {
        const n = o.name();
        if (n) functionCall(ctx, n);
      }
    }
    return;
  }
  let language: string | undefined;
  // A body given as a string runs with its caller's path (or the function's
  // own SET search_path). pg_dump's empty path is the dump's, never a
  // caller's: under it, the body's names are the default schema's.
  let schema = ctx.schema === EMPTY_PATH ? ctx.defaultSchema : ctx.schema;
  const bodies: string[] = [];
  let atomic: Cursor | undefined;
  let returnExpr: Cursor | undefined;
  while (!c.atEnd()) {
    if (c.kw('returns')) {
      if (c.kw('table')) {
        for (const col of (c.parens() as Cursor | undefined)?.splitCommas() ?? []) {
          col.ident();
          typeRefAt(ctx, col);
        }
      } else typeRefAt(ctx, c);
      continue;
    }
    if (c.kw('language')) {
      const l = c.next();
      language = l?.type === 'string' ? l.value?.toLowerCase() : l?.value;
      continue;
    }
    if (c.kw('set')) {
      const path = c.kw('search_path');
      const from = c.pos;
      while (!c.atEnd() && !FUNCTION_OPTIONS.has(c.peek()?.value ?? '')) c.skipOne();
      if (path) {
        const v = functionPathSchema(ctx, c.slice(from, c.pos));
        if (v !== undefined) schema = v;
      }
      continue;
    }
    if (c.kw('as')) {
      while (c.peek()?.type === 'string' || c.peek()?.type === 'dollar') {
        bodies.push(c.next()?.value ?? '');
        if (!c.punct(',')) break;
      }
      continue;
    }
    if (c.kw('begin', 'atomic')) {
      const end = c.end - 1;
      atomic = c.slice(c.pos, c.isKw('end', end - c.pos) ? end : c.end);
      c.pos = c.end;
      continue;
    }
    if (c.kw('return')) {
      returnExpr = c.slice(c.pos, c.end);
      c.pos = c.end;
      continue;
    }
    c.skipOne();
  }
  const vars = new Set<string>();
  for (const a of f.args ?? []) if (a.name !== undefined) vars.add(a.name);
  if (atomic || returnExpr) {
    // a body in SQL-standard form is parsed now, with the path in force now
    inBody(ctx, false, ctx.schema, vars, (sub) => {
      if (returnExpr) scanExpr(sub, returnExpr, { entries: [] });
      if (atomic) {
        for (const st of splitCursor(atomic)) sub.analyse(sub, st);
      }
    });
    return;
  }
  if (bodies.length !== 1) return; // C functions: object file and symbol
  const body = bodies[0] as string;
  if (kind === 'procedure' && ctx.live && language !== undefined) {
    ctx.cat.procedures.set(`${f.o.schema}\u0000${f.o.name}`, {
      language,
      body,
      schema,
      vars: [...vars],
    });
  }
  if (language === 'sql') {
    inBody(ctx, false, schema, vars, (sub) => analyseSqlText(sub, body));
  } else if (language === 'plpgsql') {
    inBody(ctx, false, schema, vars, (sub) => analysePlpgsql(sub, body));
  }
}

const FUNCTION_OPTIONS = new Set([
  'as',
  'language',
  'returns',
  'immutable',
  'stable',
  'volatile',
  'strict',
  'called',
  'security',
  'external',
  'leakproof',
  'not',
  'parallel',
  'cost',
  'rows',
  'support',
  'set',
  'window',
  'transform',
  'begin',
  'return',
]);

/** Statements of a cursor split at top-level semicolons. */
function splitCursor(c: Cursor): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  for (let i = c.pos; i < c.end; i++) {
    const t = c.toks[i] as Token;
    if (t.type === 'punct' && t.text === ';') {
      if (cur.length > 0) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Runs `fn` on a context for a body. Not live (a function body): only the
 * references it makes to objects it does not create itself are kept. Live (a
 * DO block): everything is kept, as if written outside.
 */
export function inBody(
  ctx: Ctx,
  live: boolean,
  schema: string,
  vars: Set<string>,
  fn: (sub: Ctx) => void,
): undefined {
  if (ctx.depth > MAX_DEPTH) return;
  const sub: Ctx = {
    ...ctx,
    schema,
    // a DO block runs now, in the script's session; a function body's SETs stay in it
    settings: live && ctx.live ? ctx.settings : newSettingsState(schema),
    objects: [],
    warnings: [],
    depth: ctx.depth + 1,
    live: live && ctx.live,
    bodyRelations: live && ctx.live ? ctx.bodyRelations : new Set(ctx.bodyRelations ?? []),
    vars: new Set([...(ctx.vars ?? []), ...vars]),
  };
  fn(sub);
  if (sub.live) {
    for (const o of sub.objects) ctx.objects.push(o);
    ctx.schema = sub.schema;
    ctx.standardStrings = sub.standardStrings;
    for (const w of sub.warnings) ctx.warnings.push(w);
    return;
  }
  const local = sub.bodyRelations ?? new Set<string>();
  for (const o of sub.objects) {
    if (o.action !== 'reference') continue;
    if (local.has(o.qualified) || (o.table !== undefined && local.has(o.table))) continue;
    ctx.objects.push(o);
  }
}

/** A body written in SQL: every statement. */
function analyseSqlText(ctx: Ctx, sql: string): undefined {
  const toks = lex(sql, false, { standardStrings: ctx.standardStrings });
  if (toks.some((t) => t.unterminated)) return;
  for (const st of splitTokens(sql, toks)) ctx.analyse(ctx, st.tokens);
}

// ---------------------------------------------------------------- PL/pgSQL

const SQL_STARTS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'with',
  'merge',
  'create',
  'alter',
  'drop',
  'truncate',
  'lock',
  'grant',
  'revoke',
  'comment',
  'values',
  'refresh',
  'set',
  'table',
]);

function isOp(t: Token | undefined, op: string): boolean {
  return t !== undefined && t.type === 'op' && t.text === op;
}

function word(t: Token | undefined): string | undefined {
  return t !== undefined && t.type === 'ident' ? t.value : undefined;
}

/** The static SQL of a PL/pgSQL body (or DO block). */
export function analysePlpgsql(ctx: Ctx, body: string): undefined {
  const toks = lex(body, false, { standardStrings: ctx.standardStrings });
  if (toks.some((t) => t.unterminated)) return;
  const vars = ctx.vars ?? new Set<string>();
  ctx.vars = vars;
  for (const w of ['new', 'old', 'found', 'sqlstate', 'sqlerrm']) vars.add(w);
  let declaring = false;
  for (const st of splitTokens(body, toks)) {
    const c = Cursor.of(st.tokens);
    // <<label>>
    while (isOp(c.peek(), '<<') && isOp(c.peek(2), '>>')) c.pos += 3;
    if (c.kw('declare')) declaring = true;
    if (c.isKw('begin')) {
      declaring = false;
      c.next();
      while (isOp(c.peek(), '<<') && isOp(c.peek(2), '>>')) c.pos += 3;
      if (c.kw('declare')) declaring = true;
    }
    if (declaring) {
      declaration(ctx, c, vars);
      continue;
    }
    plpgsqlStatement(ctx, c, vars);
  }
}

function declaration(ctx: Ctx, c: Cursor, vars: Set<string>): undefined {
  const name = c.ident();
  if (name === undefined) return;
  vars.add(name);
  if (c.kw('alias', 'for')) return;
  c.kw('constant');
  if (c.kw('no', 'scroll') || c.kw('scroll')) {
    /* cursor */
  }
  if (c.kw('cursor')) {
    if (c.isPunct('(')) c.parens();
    if (c.kw('for') || c.kw('is')) parseQuery(ctx, c.slice(c.pos, c.end), { entries: [] });
    return;
  }
  percentType(ctx, c);
  typeRefAt(ctx, c);
  while (!c.atEnd() && !c.isKw('default') && !c.isPunct(':=') && !c.isOp('=')) c.skipOne();
  if (!c.atEnd()) {
    c.next();
    scanExpr(ctx, c, { entries: [] });
  }
}

/** `t.col%TYPE` and `t%ROWTYPE`: the column, or the table, the declaration copies. */
function percentType(ctx: Ctx, c: Cursor): undefined {
  const save = c.pos;
  const n = c.name();
  if (n && c.isOp('%') && (c.isKw('type', 1) || c.isKw('rowtype', 1))) {
    const row = c.isKw('rowtype', 1);
    if (row || n.length === 1) {
      const t = resolveRelation(ctx, n);
      if (!ctx.bodyRelations?.has(`${t[0]}.${t[1]}`))
        namedObj(ctx, 'table', 'reference', t[0], t[1]);
    } else if (!(ctx.vars?.has(n[0] as string) && n.length === 2)) {
      const t = resolveRelation(ctx, n.slice(0, -1));
      namedObj(ctx, 'table', 'reference', t[0], t[1]);
      scopedObj(ctx, 'column', 'reference', t, n[n.length - 1] as string);
    }
  }
  c.pos = save;
}

const EMPTY: Scope = { entries: [] };

/** Expression up to the keyword `kw` (top level); the cursor moves past it. */
function exprUntil(ctx: Ctx, c: Cursor, kw: string): undefined {
  const at = c.findKw([kw]);
  const end = at >= 0 ? at : c.end;
  const e = c.slice(c.pos, end);
  if (startsQuery(e, e.pos) && !e.isPunct('(')) parseQuery(ctx, e, EMPTY);
  else scanExpr(ctx, e, EMPTY);
  c.pos = at >= 0 ? at + 1 : c.end;
}

function plpgsqlStatement(ctx: Ctx, c: Cursor, vars: Set<string>): undefined {
  // control-flow heads before the statement they hold
  for (;;) {
    const w = word(c.peek());
    if (w === 'if' || w === 'elsif' || w === 'elseif' || w === 'while') {
      c.next();
      exprUntil(ctx, c, w === 'while' ? 'loop' : 'then');
      continue;
    }
    if (w === 'when') {
      c.next();
      exprUntil(ctx, c, 'then');
      continue;
    }
    if (w === 'exception' || w === 'else' || w === 'loop' || w === 'begin') {
      c.next();
      continue;
    }
    if (w === 'case') {
      c.next();
      const at = c.findKw(['when']);
      if (at > c.pos) scanExpr(ctx, c.slice(c.pos, at), EMPTY);
      if (at >= 0) c.pos = at;
      continue;
    }
    if (w === 'for' || w === 'foreach') {
      c.next();
      const inAt = c.findKw(['in']);
      if (inAt < 0) return;
      for (let i = c.pos; i < inAt; i++) {
        const t = c.toks[i] as Token;
        if (t.type === 'ident' || t.type === 'qident') vars.add(t.value ?? '');
      }
      c.pos = inAt + 1;
      c.kw('reverse');
      c.kw('array');
      const loopAt = c.findLastKw('loop');
      const src = c.slice(c.pos, loopAt >= 0 ? loopAt : c.end);
      c.pos = loopAt >= 0 ? loopAt + 1 : c.end;
      if (src.isKw('execute')) dynamicSql(ctx, src);
      else if (startsQuery(src, src.pos)) parseQuery(ctx, src, EMPTY);
      else scanExpr(ctx, src, EMPTY);
      continue;
    }
    while (isOp(c.peek(), '<<') && isOp(c.peek(2), '>>')) {
      c.pos += 3;
    }
    break;
  }
  const w = word(c.peek());
  if (c.atEnd() || w === 'end' || w === 'null') return;
  switch (w) {
    case 'return':
      c.next();
      if (c.kw('query')) {
        if (c.isKw('execute')) dynamicSql(ctx, c);
        else parseQuery(ctx, c, EMPTY);
      } else {
        c.kw('next');
        scanExpr(ctx, c, EMPTY);
      }
      return;
    case 'perform': {
      const toks = c.toks.slice(c.pos + 1, c.end);
      const select: Token = { ...(c.peek() as Token), text: 'select', value: 'select' };
      parseQuery(ctx, Cursor.of([select, ...toks]), EMPTY);
      return;
    }
    case 'execute':
      dynamicSql(ctx, c);
      return;
    case 'open': {
      c.next();
      c.ident();
      c.kw('no');
      c.kw('scroll');
      if (c.kw('for')) {
        if (c.isKw('execute')) dynamicSql(ctx, c);
        else parseQuery(ctx, c, EMPTY);
      }
      return;
    }
    case 'exit':
    case 'continue': {
      const at = c.findKw(['when']);
      if (at >= 0) scanExpr(ctx, c.slice(at + 1, c.end), EMPTY);
      return;
    }
    case 'assert':
      c.next();
      scanExpr(ctx, c, EMPTY);
      return;
    case 'call': {
      c.next();
      const n = c.name();
      if (n) functionCall(ctx, n);
      scanExpr(ctx, c, EMPTY);
      return;
    }
    case 'raise':
    case 'get':
    case 'fetch':
    case 'move':
    case 'close':
    case 'commit':
    case 'rollback':
      return;
    default:
      break;
  }
  if (w !== undefined && SQL_STARTS.has(w) && !(c.isPunct(':=', 1) || c.isOp('=', 1))) {
    ctx.analyse(ctx, stripInto(c.toks.slice(c.pos, c.end)));
    return;
  }
  // assignment: target := expr
  const at = (() => {
    for (let i = c.pos; i < c.end; i++) {
      const t = c.toks[i] as Token;
      if ((t.type === 'punct' && t.text === ':=') || (t.type === 'op' && t.text === '=')) return i;
    }
    return -1;
  })();
  if (at >= 0) scanExpr(ctx, c.slice(at + 1, c.end), EMPTY);
}

/** EXECUTE of a constant string is static SQL; anything else is dynamic (not analysed). */
function dynamicSql(ctx: Ctx, c: Cursor): undefined {
  c.kw('execute');
  let sql = '';
  let constant = true;
  for (;;) {
    const t = c.peek();
    if (t && (t.type === 'string' || t.type === 'dollar')) {
      sql += t.value ?? '';
      c.next();
      if (c.isOp('||')) {
        c.next();
        continue;
      }
      break;
    }
    constant = false;
    break;
  }
  if (constant && (c.atEnd() || c.isKw('into') || c.isKw('using'))) {
    analyseSqlText(ctx, sql);
    return;
  }
  if (ctx.live) ctx.warnings.push('dynamic SQL (EXECUTE of a computed string) is not analysed');
}

/** Drops `INTO [STRICT] target, ...` from a PL/pgSQL SQL statement (a variable target, not a table). */
function stripInto(toks: Token[]): Token[] {
  const first = word(toks[0]);
  if (
    first !== 'select' &&
    first !== 'with' &&
    first !== 'insert' &&
    first !== 'update' &&
    first !== 'delete' &&
    first !== 'merge'
  )
    return toks;
  const c = Cursor.of(toks);
  let at = -1;
  let prevIdent = '';
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Token;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) {
      i = c.matchParen(i);
      prevIdent = '';
      continue;
    }
    if (
      t.type === 'ident' &&
      t.value === 'into' &&
      prevIdent !== 'insert' &&
      prevIdent !== 'merge'
    ) {
      at = i;
      break;
    }
    prevIdent = t.type === 'ident' ? (t.value ?? '') : '';
  }
  if (at < 0) return toks;
  let end = at + 1;
  if (word(toks[end]) === 'strict') end++;
  // targets: names separated by commas
  for (;;) {
    while (
      end < toks.length &&
      (toks[end]?.type === 'ident' || toks[end]?.type === 'qident') &&
      !CLAUSE_AFTER_INTO.has(word(toks[end]) ?? '')
    ) {
      end++;
      if (toks[end]?.type === 'punct' && toks[end]?.text === '.') end++;
      else break;
    }
    if (toks[end]?.type === 'punct' && toks[end]?.text === ',') {
      end++;
      continue;
    }
    break;
  }
  return [...toks.slice(0, at), ...toks.slice(end)];
}

const CLAUSE_AFTER_INTO = new Set([
  'from',
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
]);

// ---------------------------------------------------------------- DO

export function parseDo(ctx: Ctx, c: Cursor): undefined {
  c.kw('do');
  let language = 'plpgsql';
  let body: string | undefined;
  while (!c.atEnd()) {
    if (c.kw('language')) {
      const l = c.next();
      language = (l?.type === 'string' ? l.value?.toLowerCase() : l?.value) ?? language;
      continue;
    }
    const t = c.next();
    if (t && (t.type === 'string' || t.type === 'dollar')) body = t.value;
  }
  if (body === undefined || language !== 'plpgsql') {
    ctx.warnings.push(`DO in language ${language} is not analysed`);
    return;
  }
  inBody(ctx, true, ctx.schema, new Set(), (sub) => analysePlpgsql(sub, body));
}

// ---------------------------------------------------------------- triggers

export function parseCreateTrigger(ctx: Ctx, c: Cursor, constraint: boolean): undefined {
  const name = c.ident();
  const onAt = c.findKw(['on']);
  if (name === undefined || onAt < 0) return fail(ctx, c, 'trigger name ... ON table');
  // events: UPDATE OF col, ...
  const events = c.slice(c.pos, onAt);
  const updateCols: string[] = [];
  const ofAt = events.findKw(['of']);
  if (ofAt >= 0 && events.toks[ofAt - 1]?.value === 'update') {
    for (let i = ofAt + 1; i < onAt; i++) {
      const t = c.toks[i] as Token;
      if (t.type === 'ident' && t.value === 'or') break;
      if (t.type === 'ident' || t.type === 'qident') updateCols.push(t.value ?? '');
    }
  }
  c.pos = onAt + 1;
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  const table = resolveRelation(ctx, t);
  scopedObj(ctx, 'trigger', 'create', table, name);
  if (constraint) scopedObj(ctx, 'constraint', 'create', table, name);
  for (const col of updateCols) scopedObj(ctx, 'column', 'reference', table, col);
  let row = false;
  let fn: string[] | undefined;
  while (!c.atEnd()) {
    if (c.kw('from')) {
      const r = c.name();
      if (r) relObj(ctx, 'table', 'reference', r);
      continue;
    }
    if (c.kw('for')) {
      c.kw('each');
      row = c.kw('row');
      continue;
    }
    if (c.kw('when')) {
      const cond = c.parens();
      const info = ctx.cat.table(table[0], table[1]);
      const columns = info?.columns;
      if (cond) {
        scanExpr(ctx, cond, {
          entries: [
            { ref: 'new', table, columns },
            { ref: 'old', table, columns },
          ],
        });
      }
      continue;
    }
    if (c.kw('execute')) {
      c.kw('function') || c.kw('procedure');
      const f = c.name();
      if (f) {
        triggerFunction(ctx, f);
        fn = f.length === 1 ? [ctx.schema, f[0] as string] : f;
      }
      break;
    }
    c.skipOne();
  }
  if (!ctx.live) return;
  const info = ctx.cat.table(table[0], table[1]);
  if (!info) {
    if (constraint) ctx.cat.addDomainConstraint(table[0], name);
    return;
  }
  if (constraint) ctx.cat.addConstraint(info, { name, type: 't', columns: [] });
  if (row) {
    info.triggers ??= new Map();
    info.triggers.set(name, fn);
    // a row trigger on a partitioned table is copied to each partition
    if (info.partitioned) {
      for (const child of ctx.cat.descendants(info)) {
        if (child.triggers?.has(name)) continue;
        scopedObj(ctx, 'trigger', 'create', [child.schema, child.name], name);
        child.triggers ??= new Map();
        child.triggers.set(name, fn);
      }
    }
  }
}

/** A trigger's function: built-in trigger functions are pg_catalog's. */
function triggerFunction(ctx: Ctx, parts: string[]): undefined {
  if (parts.length === 1 && CATALOG_FUNCTIONS.has(parts[0] as string)) return;
  if (parts.length >= 2 && parts[parts.length - 2] === 'pg_catalog') return;
  relObj(ctx, 'function', 'reference', parts).signature = '';
}

export function parseAlterTrigger(ctx: Ctx, c: Cursor): undefined {
  const n = c.ident();
  if (n === undefined || !c.kw('on')) return fail(ctx, c, 'name ON table');
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  const table = resolve(ctx, t);
  const o = scopedObj(ctx, 'trigger', 'alter', table, n);
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn === undefined) return;
    renamed(ctx, o, table[0], nn);
    if (!ctx.live) return;
    const info = ctx.cat.table(table[0], table[1]);
    const fnOf = info?.triggers?.get(n);
    if (info?.triggers?.delete(n)) {
      info.triggers.set(nn, fnOf);
      for (const child of ctx.cat.descendants(info)) {
        if (!child.triggers?.delete(n)) continue;
        child.triggers.set(nn, fnOf);
        renamed(
          ctx,
          scopedObj(ctx, 'trigger', 'rename', [child.schema, child.name], n),
          child.schema,
          nn,
        );
      }
    }
  }
}

export function parseDropTrigger(ctx: Ctx, c: Cursor): undefined {
  c.kw('if', 'exists');
  const n = c.ident();
  if (n === undefined || !c.kw('on')) return fail(ctx, c, 'name ON table');
  const t = c.name();
  if (!t) return fail(ctx, c, 'a table name');
  const table = resolve(ctx, t);
  scopedObj(ctx, 'trigger', 'drop', table, n);
  if (!ctx.live) return;
  const info = ctx.cat.table(table[0], table[1]);
  if (!info) return;
  info.triggers?.delete(n);
  const con = info.constraints?.get(n);
  if (con?.type === 't') {
    scopedObj(ctx, 'constraint', 'drop', table, n);
    ctx.cat.dropConstraint(info, n);
  }
  for (const child of ctx.cat.descendants(info)) child.triggers?.delete(n);
}

/** CALL p(args): a procedure the script created runs its body now. */
export function parseCall(ctx: Ctx, c: Cursor): undefined {
  c.kw('call');
  const n = c.name();
  if (!n) return fail(ctx, c, 'a procedure name');
  functionCall(ctx, n);
  scanExpr(ctx, c, EMPTY);
  const [schema, name] = resolve(ctx, n);
  const p = ctx.cat.procedures.get(`${schema}\u0000${name}`);
  if (!p || !ctx.live) return;
  const run = (sub: Ctx) =>
    p.language === 'sql' ? analyseSqlText(sub, p.body) : analysePlpgsql(sub, p.body);
  if (p.language === 'sql' || p.language === 'plpgsql') {
    const warnings = ctx.warnings.length;
    inBody(ctx, true, p.schema, new Set(p.vars), run);
    ctx.warnings.length = warnings;
  }
}
