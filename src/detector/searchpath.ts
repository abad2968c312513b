/**
 * The search path a script sets, as PostgreSQL keeps it: `SET [SESSION |
 * LOCAL] search_path`, `SET SCHEMA`, `RESET search_path`, `RESET ALL`,
 * `DISCARD ALL` and `set_config('search_path', value, is_local)`, scoped by
 * the transaction statements around them: a SET LOCAL (or `is_local`) lasts
 * until its transaction ends, and a ROLLBACK (or a ROLLBACK TO SAVEPOINT)
 * undoes the SETs made since the transaction (or the savepoint) began.
 *
 * The parser keeps one schema of the path (`Ctx.schema`): the first one
 * other than pg_catalog and pg_temp. PostgreSQL searches pg_catalog first
 * anyway (the catalog lists say what it holds), and a name the catalog does
 * not hold is looked up in the schemas after it: under
 * `SET search_path = pg_catalog, public`, an unqualified `users` is
 * public's. A path with no such schema (pg_dump's `''`) keeps
 * `EMPTY_PATH`: unqualified names then resolve in pg_catalog only.
 *
 * A SET LOCAL outside BEGIN ... COMMIT counts for the rest of the script:
 * migration tools run a file in a transaction of their own.
 */
import type { Ctx } from './context.js';
import type { Cursor } from './cursor.js';
import { foldIdent } from './names.js';

/** `Ctx.schema` when the path names no schema of the user's. */
export const EMPTY_PATH = 'pg_catalog';

interface Saved {
  session: string;
  local: string | undefined;
}

/** The path's state in one script: the session's value, a SET LOCAL's, the open transaction. */
export interface PathState {
  session: string;
  local: string | undefined;
  /** The open transaction block: the session value at BEGIN, and its savepoints. */
  txn: { atBegin: string; savepoints: (Saved & { name: string })[] } | undefined;
}

export function newPathState(schema: string): PathState {
  return { session: schema, local: undefined, txn: undefined };
}

/** The schema unqualified names resolve in, for a path's schemas (already folded). */
export function schemaOfPath(names: string[]): string {
  for (const n of names) {
    // '' (SET search_path = '') names no schema
    if (
      n === '' ||
      n === '$user' ||
      n === 'pg_catalog' ||
      n === 'pg_temp' ||
      n.startsWith('pg_temp_')
    ) {
      continue;
    }
    return n;
  }
  return EMPTY_PATH;
}

/**
 * The schemas of a search_path value given as text (`'"$user", public'`,
 * `''`): split at commas outside double quotes, quoted names unquoted,
 * others folded.
 */
export function pathOfText(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let wasQuoted = false;
  const flush = () => {
    const s = wasQuoted ? cur : foldIdent(cur.trim());
    if (wasQuoted || s !== '') out.push(s);
    cur = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
      cur = '';
    } else if (ch === ',') flush();
    else if (!wasQuoted) cur += ch;
  }
  flush();
  return out;
}

/**
 * The schemas of a SET's value list (`app, public`, `'$user', public`,
 * `"My Schema"`): an identifier as PostgreSQL folds it, a string literal as
 * one name, verbatim (SET quotes each literal of a list).
 */
function pathOfList(c: Cursor): string[] {
  const out: string[] = [];
  for (const e of c.splitCommas()) {
    const t = e.peek();
    if (t?.type === 'string' || t?.type === 'ident' || t?.type === 'qident')
      out.push(t.value ?? '');
  }
  return out;
}

/**
 * `{ TO | = } value [, ...] | DEFAULT` after `search_path`, the cursor ending
 * with the clause: the schema unqualified names resolve in, or undefined
 * when there is no value.
 */
function pathValue(ctx: Ctx, c: Cursor): string | undefined {
  if (!c.kw('to') && !c.isOp('=')) return undefined;
  if (c.isOp('=')) c.next();
  if (c.isKw('default') && c.end - c.pos === 1) return ctx.defaultSchema;
  return schemaOfPath(pathOfList(c));
}

/**
 * A function's `SET search_path { TO | = } value [, ...] | FROM CURRENT`,
 * the cursor on the clause after `search_path`: the schema its body resolves
 * in, or undefined when the clause has no value.
 */
export function functionPathSchema(ctx: Ctx, c: Cursor): string | undefined {
  return c.kw('from', 'current') ? ctx.schema : pathValue(ctx, c);
}

/** The last savepoint of that name (a name may be used again; the last one counts). */
function lastSavepoint(p: PathState, name: string | undefined): number {
  const list = p.txn?.savepoints ?? [];
  for (let i = list.length - 1; i >= 0; i--) if (list[i]?.name === name) return i;
  return -1;
}

function apply(ctx: Ctx): void {
  ctx.schema = ctx.path.local ?? ctx.path.session;
}

/** A new value for the path, as SET (`local`: SET LOCAL) sets it. */
function setPath(ctx: Ctx, schema: string, local: boolean): void {
  const p = ctx.path;
  if (local && p.txn !== undefined) p.local = schema;
  else {
    p.session = schema;
    p.local = undefined;
  }
  apply(ctx);
}

/** `SET [SESSION | LOCAL] search_path ...` and `SET [LOCAL] SCHEMA 'name'`. */
export function parseSet(ctx: Ctx, c: Cursor): undefined {
  c.kw('set');
  const local = c.kw('local');
  if (!local) c.kw('session');
  if (c.kw('schema')) {
    const t = c.peek();
    if (t?.type === 'string' || t?.type === 'ident' || t?.type === 'qident') {
      setPath(ctx, schemaOfPath([t.value ?? '']), local);
    }
    return;
  }
  if (!c.kw('search_path')) return;
  const schema = pathValue(ctx, c);
  if (schema !== undefined) setPath(ctx, schema, local);
}

/** `RESET search_path`, `RESET ALL`: the default path again. */
export function parseReset(ctx: Ctx, c: Cursor): undefined {
  c.kw('reset');
  if (c.kw('search_path') || c.kw('all')) setPath(ctx, ctx.defaultSchema, false);
}

/** `DISCARD ALL` resets every setting (and runs outside a transaction block only). */
export function parseDiscard(ctx: Ctx, c: Cursor): undefined {
  c.kw('discard');
  if (c.kw('all') && ctx.path.txn === undefined) setPath(ctx, ctx.defaultSchema, false);
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
    const isLocal = parts[2];
    const flag = isLocal?.peek();
    const local =
      isLocal !== undefined &&
      isLocal.end === isLocal.pos + 1 &&
      ((flag?.type === 'ident' && flag.value === 'true') ||
        (flag?.type === 'string' && /^(t|true|y|yes|on|1)$/i.test(flag.value ?? '')));
    setPath(ctx, schemaOfPath(pathOfText(value.value ?? '')), local);
    return true;
  } finally {
    c.pos = save;
  }
}

function begin(ctx: Ctx): void {
  const p = ctx.path;
  if (p.txn === undefined) p.txn = { atBegin: p.session, savepoints: [] };
}

function end(ctx: Ctx, committed: boolean): void {
  const p = ctx.path;
  if (p.txn === undefined) return;
  if (!committed) p.session = p.txn.atBegin;
  p.local = undefined;
  p.txn = undefined;
  apply(ctx);
}

/**
 * The transaction statements, for what they do to the path: BEGIN, START
 * TRANSACTION, COMMIT, END, ROLLBACK, ABORT (each `AND CHAIN` too),
 * PREPARE TRANSACTION, SAVEPOINT, RELEASE, ROLLBACK TO. COMMIT PREPARED and
 * ROLLBACK PREPARED end another transaction, not the script's.
 */
export function transactionStatement(ctx: Ctx, word: string, c: Cursor): void {
  if (!ctx.live) return;
  const p = ctx.path;
  c.next();
  switch (word) {
    case 'begin':
    case 'start':
      begin(ctx);
      return;
    case 'prepare':
      if (c.kw('transaction')) end(ctx, true);
      return;
    case 'commit':
    case 'end':
    case 'rollback':
    case 'abort': {
      if (c.isKw('prepared')) return;
      c.kw('work') || c.kw('transaction');
      if (c.kw('to')) {
        c.kw('savepoint');
        const name = c.ident();
        const i = lastSavepoint(p, name);
        if (p.txn === undefined || i < 0) return;
        const s = p.txn.savepoints[i] as Saved;
        p.session = s.session;
        p.local = s.local;
        p.txn.savepoints.length = i + 1;
        apply(ctx);
        return;
      }
      end(ctx, word === 'commit' || word === 'end');
      if (c.kw('and', 'chain')) begin(ctx);
      return;
    }
    case 'savepoint': {
      const name = c.ident();
      if (p.txn !== undefined && name !== undefined) {
        p.txn.savepoints.push({ name, session: p.session, local: p.local });
      }
      return;
    }
    case 'release': {
      c.kw('savepoint');
      const name = c.ident();
      const i = lastSavepoint(p, name);
      if (p.txn !== undefined && i >= 0) p.txn.savepoints.length = i;
      return;
    }
  }
}
