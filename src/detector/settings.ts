/**
 * The settings a script changes that change how the rest of it is read, as
 * PostgreSQL keeps them: the search path (`SET [SESSION | LOCAL]
 * search_path`, `SET SCHEMA`) and standard_conforming_strings (`SET ...
 * standard_conforming_strings`: off, as pg_dump before 9.1 wrote, makes a
 * backslash in a '...' literal an escape), with `RESET name`, `RESET ALL`,
 * `DISCARD ALL` and `set_config(name, value, is_local)`, scoped by the
 * transaction statements around them: a SET LOCAL (or `is_local`) lasts
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
 * `Ctx.standardStrings` is what the lexer needs: the parser lexes the rest
 * of the script again when a statement changes it (parser.ts).
 *
 * A SET LOCAL outside BEGIN ... COMMIT counts for the rest of the script:
 * migration tools run a file in a transaction of their own.
 */
import type { Ctx } from './context.js';
import type { Cursor } from './cursor.js';
import { foldIdent } from './names.js';

/** `Ctx.schema` when the path names no schema of the user's. */
export const EMPTY_PATH = 'pg_catalog';

/** The settings the parser follows: the path's schema, and standard_conforming_strings. */
export interface Settings {
  schema: string;
  standardStrings: boolean;
}

interface Saved {
  session: Settings;
  local: Partial<Settings>;
}

/** The settings' state in one script: the session's values, SET LOCAL's, the open transaction. */
export interface SettingsState {
  session: Settings;
  local: Partial<Settings>;
  /** The open transaction block: the session values at BEGIN, and its savepoints. */
  txn: { atBegin: Settings; savepoints: (Saved & { name: string })[] } | undefined;
}

/** PostgreSQL's defaults: standard_conforming_strings is on (since 9.1). */
export function newSettingsState(schema: string): SettingsState {
  return { session: { schema, standardStrings: true }, local: {}, txn: undefined };
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

/** Past the `TO` or `=` of a SET clause; false when neither comes next. */
function setTo(c: Cursor): boolean {
  if (c.kw('to')) return true;
  if (!c.isOp('=')) return false;
  c.next();
  return true;
}

/**
 * `{ TO | = } value [, ...] | DEFAULT` after `search_path`, the cursor ending
 * with the clause: the schema unqualified names resolve in, or undefined
 * when there is no value.
 */
function pathValue(ctx: Ctx, c: Cursor): string | undefined {
  if (!setTo(c)) return undefined;
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
function lastSavepoint(p: SettingsState, name: string | undefined): number {
  const list = p.txn?.savepoints ?? [];
  for (let i = list.length - 1; i >= 0; i--) if (list[i]?.name === name) return i;
  return -1;
}

function apply(ctx: Ctx): void {
  const p = ctx.settings;
  ctx.schema = p.local.schema ?? p.session.schema;
  ctx.standardStrings = p.local.standardStrings ?? p.session.standardStrings;
}

/** A new value of one setting, as SET (`local`: SET LOCAL) sets it. */
function setValue<K extends keyof Settings>(
  ctx: Ctx,
  key: K,
  value: Settings[K],
  local: boolean,
): void {
  const p = ctx.settings;
  if (local && p.txn !== undefined) p.local[key] = value;
  else {
    p.session = { ...p.session, [key]: value };
    delete p.local[key];
  }
  apply(ctx);
}

function setPath(ctx: Ctx, schema: string, local: boolean): void {
  setValue(ctx, 'schema', schema, local);
}

/** Every setting back to its default (RESET ALL, DISCARD ALL). */
function resetAll(ctx: Ctx): void {
  setValue(ctx, 'schema', ctx.defaultSchema, false);
  setValue(ctx, 'standardStrings', true, false);
}

/**
 * A boolean setting's value as PostgreSQL reads it (parse_bool): on, off,
 * true, false, yes, no, 1, 0 and their unambiguous prefixes, in any case;
 * undefined for anything else (the SET fails and changes nothing).
 */
export function boolValue(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '') return undefined;
  if (v === '1') return true;
  if (v === '0') return false;
  if ('true'.startsWith(v) || 'yes'.startsWith(v)) return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v)) return false;
  // "o" is ambiguous: on or off
  if (v.length >= 2 && 'on'.startsWith(v)) return true;
  if (v.length >= 2 && 'off'.startsWith(v)) return false;
  return undefined;
}

/**
 * `{ TO | = } value | DEFAULT` after `standard_conforming_strings`: the
 * value, or undefined when there is none PostgreSQL would take.
 */
function standardStringsValue(c: Cursor): boolean | undefined {
  if (!setTo(c)) return undefined;
  if (c.end - c.pos !== 1) return undefined;
  const t = c.peek();
  if (t?.type === 'ident' && t.value === 'default') return true;
  if (t?.type === 'ident' || t?.type === 'string' || t?.type === 'number')
    return boolValue(t.value ?? t.text);
  return undefined;
}

/**
 * `SET [SESSION | LOCAL] search_path ...`, `SET [LOCAL] SCHEMA 'name'` and
 * `SET [SESSION | LOCAL] standard_conforming_strings ...`.
 */
export function parseSet(ctx: Ctx, c: Cursor): undefined {
  c.kw('set');
  const local = c.kw('local');
  if (!local) c.kw('session');
  if (c.kw('standard_conforming_strings')) {
    const v = standardStringsValue(c);
    if (v !== undefined) setValue(ctx, 'standardStrings', v, local);
    return;
  }
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

/** `RESET search_path`, `RESET standard_conforming_strings`, `RESET ALL`: the defaults again. */
export function parseReset(ctx: Ctx, c: Cursor): undefined {
  c.kw('reset');
  if (c.kw('search_path')) setPath(ctx, ctx.defaultSchema, false);
  else if (c.kw('standard_conforming_strings')) setValue(ctx, 'standardStrings', true, false);
  else if (c.kw('all')) resetAll(ctx);
}

/** `DISCARD ALL` resets every setting (and runs outside a transaction block only). */
export function parseDiscard(ctx: Ctx, c: Cursor): undefined {
  c.kw('discard');
  if (c.kw('all') && ctx.settings.txn === undefined) resetAll(ctx);
}

/**
 * `SELECT [pg_catalog.]set_config(name, value, is_local)` of search_path or
 * standard_conforming_strings: the setting changes.
 */
export function setConfig(ctx: Ctx, c: Cursor): boolean {
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
    if (
      name?.type !== 'string' ||
      (name.value !== 'search_path' && name.value !== 'standard_conforming_strings')
    )
      return false;
    if (value?.type !== 'string' || parts[1]?.end !== (parts[1]?.pos ?? 0) + 1) return false;
    const isLocal = parts[2];
    const flag = isLocal?.peek();
    const local =
      isLocal !== undefined &&
      isLocal.end === isLocal.pos + 1 &&
      ((flag?.type === 'ident' && flag.value === 'true') ||
        (flag?.type === 'string' && /^(t|true|y|yes|on|1)$/i.test(flag.value ?? '')));
    if (name.value === 'search_path') {
      setPath(ctx, schemaOfPath(pathOfText(value.value ?? '')), local);
      return true;
    }
    const v = boolValue(value.value ?? '');
    if (v !== undefined) setValue(ctx, 'standardStrings', v, local);
    return true;
  } finally {
    c.pos = save;
  }
}

function begin(ctx: Ctx): void {
  const p = ctx.settings;
  if (p.txn === undefined) p.txn = { atBegin: p.session, savepoints: [] };
}

function end(ctx: Ctx, committed: boolean): void {
  const p = ctx.settings;
  if (p.txn === undefined) return;
  if (!committed) p.session = p.txn.atBegin;
  p.local = {};
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
  const p = ctx.settings;
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
        p.local = { ...s.local };
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
        p.txn.savepoints.push({ name, session: p.session, local: { ...p.local } });
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
