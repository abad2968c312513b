/**
 * DDL object model: turns a script into statements and the database objects
 * each one touches. Token-based recursive descent over PostgreSQL's grammar,
 * one module per statement family:
 *
 * | module          | statements                                                    |
 * | --------------- | ------------------------------------------------------------- |
 * | tables.ts       | CREATE/ALTER TABLE, columns, constraints, partitions          |
 * | indexes.ts      | CREATE/ALTER/DROP INDEX                                       |
 * | functions.ts    | functions, procedures, aggregates, bodies, DO, triggers, CALL |
 * | queries.ts      | views' and DML's queries, SELECT INTO (with exprs.ts)         |
 * | datatypes.ts    | types, domains, enums, sequences                              |
 * | security.ts     | policies, GRANT/REVOKE                                        |
 * | schemas.ts      | schemas, extensions, COMMENT ON, search_path                  |
 *
 * PostgreSQL's naming rules live in naming.ts; what the script has created so
 * far, against which names are de-duplicated, in shadow.ts. Everything else is
 * reported as a warning naming the statement kind.
 */
import {
  type Ctx,
  fail,
  globalObj,
  namedObj,
  relObj,
  relRef,
  renamed,
  resolveRelation,
  TEMP_SCHEMA,
} from './context.js';
import { Cursor } from './cursor.js';
import {
  parseAlterSequence,
  parseAlterType,
  parseCreateDomain,
  parseCreateSequence,
  parseCreateType,
} from './datatypes.js';
import {
  parseAlterTrigger,
  parseCall,
  parseCreateFunction,
  parseCreateTrigger,
  parseDo,
  parseDropTrigger,
  parseFunctionLike,
} from './functions.js';
import { parseAlterIndex, parseCreateIndex, parseDropIndexes } from './indexes.js';
import {
  lexUpTo,
  replaceInvalidChars,
  splitTokens,
  type Token,
  type TokenStatement,
} from './lexer.js';
import { parseAlterPublication, parseCreatePublication } from './publications.js';
import { parseQuery } from './queries.js';
import {
  parseAlterExtension,
  parseComment,
  parseCreateExtension,
  parseCreateSchema,
} from './schemas.js';
import { parseAlterPolicy, parseCreatePolicy, parseDropPolicy, parseGrant } from './security.js';
import {
  newSettingsState,
  parseDiscard,
  parseReset,
  parseSet,
  setConfig,
  transactionStatement,
} from './settings.js';
import { ShadowCatalog } from './shadow.js';
import { parseAlterTable, parseCreateTable } from './tables.js';
import type {
  DbObject,
  ObjectKind,
  ParsedStatement,
  ParseOptions,
  ParseResult,
  ParseWarning,
} from './types.js';

export { TEMP_SCHEMA };

type SetKind = (k: string) => void;

function parseCreate(ctx: Ctx, c: Cursor, setKind: SetKind): undefined {
  c.kw('create');
  c.kw('or', 'replace');
  c.kw('global') || c.kw('local');
  const temp = c.kw('temp') || c.kw('temporary');
  c.kw('unlogged'); // unlogged relations live in their schema like any other
  if (c.kw('table')) {
    setKind('CREATE TABLE');
    return parseCreateTable(ctx, c, temp);
  }
  if (c.kw('unique', 'index') || c.kw('index')) {
    setKind('CREATE INDEX');
    return parseCreateIndex(ctx, c, c.toks[c.pos - 2]?.value === 'unique');
  }
  for (const w of ['function', 'procedure', 'aggregate']) {
    if (c.kw(w)) {
      setKind(`CREATE ${w.toUpperCase()}`);
      return parseCreateFunction(ctx, c, w);
    }
  }
  const recursive = c.kw('recursive');
  if (c.kw('view')) {
    setKind('CREATE VIEW');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a view name');
    const v = relObj(ctx, 'view', 'create', parts, temp ? TEMP_SCHEMA : undefined);
    let cols: string[] | undefined;
    if (c.isPunct('(')) {
      cols = [];
      for (const p of (c.parens() as Cursor).splitCommas()) {
        const n = p.ident();
        if (n !== undefined) cols.push(n);
      }
    }
    const asAt = c.findKw(['as']);
    if (asAt < 0) return fail(ctx, c, 'AS query');
    c.pos = asAt + 1;
    // WITH [CASCADED | LOCAL] CHECK OPTION ends the query
    let qend = c.end;
    for (let i = c.pos; i < c.end; i++) {
      const t = c.toks[i] as Token;
      if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = c.matchParen(i);
      else if (t.type === 'ident' && t.value === 'with') {
        const k = i - c.pos;
        if (
          c.isKw('check', k + 1) ||
          ((c.isKw('cascaded', k + 1) || c.isKw('local', k + 1)) && c.isKw('check', k + 2))
        ) {
          qend = i;
          break;
        }
      }
    }
    const q = c.slice(c.pos, qend);
    const scope =
      recursive && parts.length === 1
        ? { entries: [], ctes: new Map([[v.name, cols]]) }
        : undefined;
    const shape = parseQuery(ctx, q, scope as never, { stored: true });
    if (ctx.live) {
      ctx.cat.addRelation({
        kind: 'view',
        schema: v.schema as string,
        name: v.name,
        columns: cols ?? shape.columns,
      });
    }
    return;
  }
  if (c.kw('materialized', 'view')) {
    setKind('CREATE MATERIALIZED VIEW');
    c.kw('if', 'not', 'exists');
    const parts = c.name();
    if (!parts) return fail(ctx, c, 'a view name');
    const v = relObj(ctx, 'materialized_view', 'create', parts);
    const asAt = c.findKw(['as']);
    if (asAt < 0) return fail(ctx, c, 'AS query');
    c.pos = asAt + 1;
    const w = c.findKw(['with']);
    let qend = c.end;
    if (w > c.pos && (c.isKw('data', w - c.pos + 1) || c.isKw('no', w - c.pos + 1))) qend = w;
    const shape = parseQuery(ctx, c.slice(c.pos, qend), undefined, { stored: true });
    if (ctx.live) {
      ctx.cat.addRelation({
        kind: 'materialized_view',
        schema: v.schema as string,
        name: v.name,
        columns: shape.columns,
        indexes: new Set(),
      });
    }
    return;
  }
  if (c.kw('constraint', 'trigger') || c.kw('trigger')) {
    const constraint = c.toks[c.pos - 2]?.value === 'constraint';
    setKind(constraint ? 'CREATE CONSTRAINT TRIGGER' : 'CREATE TRIGGER');
    return parseCreateTrigger(ctx, c, constraint);
  }
  if (c.kw('type')) {
    setKind('CREATE TYPE');
    return parseCreateType(ctx, c);
  }
  if (c.kw('domain')) {
    setKind('CREATE DOMAIN');
    return parseCreateDomain(ctx, c);
  }
  if (c.kw('sequence')) {
    setKind('CREATE SEQUENCE');
    return parseCreateSequence(ctx, c, temp);
  }
  if (c.kw('schema')) {
    setKind('CREATE SCHEMA');
    return parseCreateSchema(ctx, c);
  }
  if (c.kw('policy')) {
    setKind('CREATE POLICY');
    return parseCreatePolicy(ctx, c);
  }
  if (c.kw('extension')) {
    setKind('CREATE EXTENSION');
    return parseCreateExtension(ctx, c);
  }
  if (c.kw('publication')) {
    setKind('CREATE PUBLICATION');
    return parseCreatePublication(ctx, c);
  }
  unsupported(ctx, c, setKind);
}

function parseAlter(ctx: Ctx, c: Cursor, setKind: SetKind): undefined {
  c.kw('alter');
  if (c.kw('table')) {
    setKind('ALTER TABLE');
    // ALTER TABLE also alters views, materialized views and sequences (pg_dump
    // writes ALTER TABLE ... OWNER TO for each): the script's own say which
    const kind = createdKind(ctx, c);
    if (kind === 'sequence') return parseAlterSequence(ctx, c);
    if (kind === 'view' || kind === 'materialized_view') return parseAlterRel(ctx, c, kind);
    return parseAlterTable(ctx, c, 'table');
  }
  if (c.kw('foreign', 'table')) return unsupported(ctx, c, setKind, 'ALTER FOREIGN TABLE');
  if (c.kw('materialized', 'view')) {
    setKind('ALTER MATERIALIZED VIEW');
    return parseAlterRel(ctx, c, 'materialized_view');
  }
  if (c.kw('view')) {
    setKind('ALTER VIEW');
    return parseAlterRel(ctx, c, 'view');
  }
  if (c.kw('index')) {
    setKind('ALTER INDEX');
    if (c.isKw('all') && c.isKw('in', 1))
      return unsupported(ctx, c, setKind, 'ALTER INDEX ALL IN TABLESPACE');
    return parseAlterIndex(ctx, c);
  }
  if (c.kw('sequence')) {
    setKind('ALTER SEQUENCE');
    return parseAlterSequence(ctx, c);
  }
  for (const w of ['function', 'procedure', 'aggregate', 'routine']) {
    if (c.kw(w)) {
      setKind(`ALTER ${w.toUpperCase()}`);
      const f = parseFunctionLike(ctx, c, 'alter', true);
      if (f) parseRenameOrAlter(ctx, c, f.o);
      return;
    }
  }
  if (c.kw('type') || c.kw('domain')) {
    const domain = c.toks[c.pos - 1]?.value === 'domain';
    setKind(domain ? 'ALTER DOMAIN' : 'ALTER TYPE');
    return parseAlterType(ctx, c, domain);
  }
  if (c.kw('schema')) {
    setKind('ALTER SCHEMA');
    const n = c.ident();
    if (n === undefined) return fail(ctx, c, 'a schema name');
    parseRenameOrAlter(ctx, c, globalObj(ctx, 'schema', 'alter', n));
    return;
  }
  if (c.kw('extension')) {
    setKind('ALTER EXTENSION');
    return parseAlterExtension(ctx, c);
  }
  if (c.kw('trigger')) {
    setKind('ALTER TRIGGER');
    return parseAlterTrigger(ctx, c);
  }
  if (c.kw('policy')) {
    setKind('ALTER POLICY');
    return parseAlterPolicy(ctx, c);
  }
  // unsupported() names the statement from its first words, wherever the cursor is
  if (c.kw('publication') && parseAlterPublication(ctx, c)) {
    setKind('ALTER PUBLICATION');
    return;
  }
  unsupported(ctx, c, setKind);
}

/** ALTER VIEW / MATERIALIZED VIEW. */
/** The kind of the relation an ALTER TABLE names, when the script created it (the cursor stays). */
function createdKind(ctx: Ctx, c: Cursor): string | undefined {
  const save = c.pos;
  c.kw('if', 'exists');
  const only = c.kw('only'); // ONLY: a table's, whatever the name
  const parts = c.name();
  c.pos = save;
  if (!parts || only || !ctx.live) return undefined;
  const [schema, name] = resolveRelation(ctx, parts);
  return ctx.cat.relation(schema, name)?.kind;
}

function parseAlterRel(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  c.kw('if', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a name');
  const o = relObj(ctx, kind, 'alter', parts);
  if (c.kw('rename', 'column')) {
    o.action = 'alter';
    return;
  }
  if (c.isKw('rename') && !c.isKw('to', 1)) {
    o.action = 'alter';
    return;
  }
  parseRenameOrAlter(ctx, c, o);
}

function parseRenameOrAlter(ctx: Ctx, c: Cursor, o: DbObject): undefined {
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    if (nn !== undefined) {
      renamed(ctx, o, o.schema, nn);
      if (ctx.live && o.schema !== null) ctx.cat.renameRelation(o.schema, o.name, o.schema, nn);
    } else o.action = 'rename';
  } else if (c.kw('set', 'schema')) {
    const ns = c.ident();
    if (ns !== undefined && o.schema !== null) {
      renamed(ctx, o, ns, o.name);
      if (ctx.live) ctx.cat.renameRelation(o.schema, o.name, ns, o.name);
    } else o.action = 'rename';
  } else o.action = 'alter';
}

const DROP_KINDS: [string[], ObjectKind, string][] = [
  [['table'], 'table', 'DROP TABLE'],
  [['materialized', 'view'], 'materialized_view', 'DROP MATERIALIZED VIEW'],
  [['view'], 'view', 'DROP VIEW'],
  [['index'], 'index', 'DROP INDEX'],
  [['sequence'], 'sequence', 'DROP SEQUENCE'],
  [['type'], 'type', 'DROP TYPE'],
  [['domain'], 'type', 'DROP DOMAIN'],
  [['schema'], 'schema', 'DROP SCHEMA'],
  [['extension'], 'extension', 'DROP EXTENSION'],
  [['function'], 'function', 'DROP FUNCTION'],
  [['procedure'], 'function', 'DROP PROCEDURE'],
  [['aggregate'], 'function', 'DROP AGGREGATE'],
  [['routine'], 'function', 'DROP ROUTINE'],
];

function parseDrop(ctx: Ctx, c: Cursor, setKind: SetKind): undefined {
  c.kw('drop');
  for (const [words, kind, label] of DROP_KINDS) {
    if (!c.kw(...words)) continue;
    setKind(label);
    // strip a trailing CASCADE / RESTRICT
    const end = c.findKw(['cascade', 'restrict']);
    const list = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
    const before = ctx.objects.length;
    if (kind === 'index') parseDropIndexes(ctx, list);
    else parseDropList(ctx, list, kind);
    if (ctx.objects.length === before) fail(ctx, list, 'a name');
    return;
  }
  if (c.kw('trigger')) {
    setKind('DROP TRIGGER');
    return parseDropTrigger(ctx, c);
  }
  if (c.kw('policy')) {
    setKind('DROP POLICY');
    return parseDropPolicy(ctx, c);
  }
  unsupported(ctx, c, setKind);
}

function parseDropList(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  c.kw('concurrently');
  c.kw('if', 'exists');
  for (const item of c.splitCommas()) {
    if (kind === 'function') {
      parseFunctionLike(ctx, item, 'drop', true);
      continue;
    }
    const n = item.name();
    if (!n) continue;
    if (kind === 'schema' || kind === 'extension') {
      globalObj(ctx, kind, 'drop', n[n.length - 1] as string);
      if (kind === 'extension' && ctx.live) ctx.cat.extensions.delete(n[n.length - 1] as string);
      continue;
    }
    const o = kind === 'type' ? relObj(ctx, kind, 'drop', n) : relRef(ctx, kind, 'drop', n);
    if (!ctx.live) continue;
    const schema = o.schema as string;
    if (kind === 'type') {
      ctx.cat.types.delete(`${schema}\u0000${o.name}`);
      const r = ctx.cat.relation(schema, o.name);
      if (r?.kind === 'composite') ctx.cat.dropRelation(schema, o.name);
    } else {
      const r = ctx.cat.relation(schema, o.name);
      if (r && (r.kind === kind || (kind === 'table' && r.kind === 'foreign_table'))) {
        ctx.cat.dropRelation(schema, o.name);
      }
    }
  }
}

const NO_OP_KINDS: Record<string, string> = {
  begin: 'BEGIN',
  start: 'START TRANSACTION',
  commit: 'COMMIT',
  end: 'COMMIT',
  rollback: 'ROLLBACK',
  abort: 'ROLLBACK',
  savepoint: 'SAVEPOINT',
  release: 'RELEASE',
  reset: 'RESET',
  show: 'SHOW',
  prepare: 'PREPARE TRANSACTION',
  checkpoint: 'CHECKPOINT',
  discard: 'DISCARD',
};

const MULTIWORD = new Set([
  'foreign',
  'event',
  'text',
  'default',
  'user',
  'access',
  'operator',
  'materialized',
  'or',
]);

function unsupported(ctx: Ctx, c: Cursor, setKind: SetKind, label?: string): undefined {
  let kind = label;
  if (kind === undefined) {
    const words: string[] = [];
    const all = c.toks;
    for (let i = 0; i < all.length && words.length < 4; i++) {
      const t = all[i] as Token;
      if (t.type !== 'ident') break;
      const v = t.value ?? '';
      if (v === 'or' && all[i + 1]?.value === 'replace') {
        i++;
        continue;
      }
      words.push(v.toUpperCase());
      if (words.length >= 2 && !MULTIWORD.has(v)) break;
      if (words.length === 1 && !['create', 'alter', 'drop', 'comment'].includes(v)) break;
    }
    kind = words.length > 0 ? words.join(' ') : (c.toks[0]?.text ?? 'UNKNOWN');
  }
  setKind(kind);
  ctx.warnings.push(`${kind} is not analysed`);
}

/** Drops `UESCAPE 'c'` clauses: the lexer already applied them to the U&"..." token before. */
function dropUescape(toks: Token[]): Token[] {
  if (!toks.some((t) => t.type === 'ident' && t.value === 'uescape')) return toks;
  const out: Token[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Token;
    const prev = out[out.length - 1];
    if (
      t.type === 'ident' &&
      t.value === 'uescape' &&
      prev !== undefined &&
      /^[uU]&/.test(prev.text) &&
      toks[i + 1]?.type === 'string'
    ) {
      i++;
      continue;
    }
    out.push(t);
  }
  return out;
}

function relationList(ctx: Ctx, c: Cursor, endWords: string[]): undefined {
  const end = c.findKw(endWords);
  const list = new Cursor(c.toks, c.match, c.pos, end >= 0 ? end : c.end);
  for (const e of list.splitCommas()) {
    e.kw('only');
    const n = e.name();
    if (!n) continue;
    const t = resolveRelation(ctx, n);
    if (!ctx.bodyRelations?.has(`${t[0]}.${t[1]}`)) namedObj(ctx, 'table', 'reference', t[0], t[1]);
  }
}

/** Analyses one statement's significant tokens; returns its kind. */
export function analyse(ctx: Ctx, tokens: Token[]): string {
  const toks = dropUescape(tokens);
  const c = Cursor.of(toks);
  let kind = 'UNKNOWN';
  const setKind = (k: string) => {
    kind = k;
  };
  const first = c.peek();
  const w = first?.type === 'ident' ? (first.value ?? '') : '';
  switch (w) {
    case 'create':
      parseCreate(ctx, c, setKind);
      break;
    case 'alter':
      parseAlter(ctx, c, setKind);
      break;
    case 'drop':
      parseDrop(ctx, c, setKind);
      break;
    case 'comment':
      parseComment(ctx, c, setKind);
      break;
    case 'grant':
    case 'revoke':
      parseGrant(ctx, c, setKind);
      break;
    case 'set':
      kind = 'SET';
      parseSet(ctx, c);
      break;
    case 'select':
    case 'with':
    case 'values':
    case 'table':
    case 'insert':
    case 'update':
    case 'delete':
    case 'merge':
      kind = w === 'with' || w === 'values' || w === 'table' ? 'SELECT' : w.toUpperCase();
      if (w === 'select' && setConfig(ctx, c)) break;
      parseQuery(ctx, c, undefined, { top: true });
      break;
    case 'truncate':
      kind = 'TRUNCATE';
      c.next();
      c.kw('table');
      relationList(ctx, c, ['restart', 'continue', 'cascade', 'restrict']);
      break;
    case 'lock':
      kind = 'LOCK';
      c.next();
      c.kw('table');
      relationList(ctx, c, ['in', 'nowait']);
      break;
    case 'refresh': {
      kind = 'REFRESH MATERIALIZED VIEW';
      c.next();
      c.kw('materialized', 'view');
      c.kw('concurrently');
      const n = c.name();
      if (n) relObj(ctx, 'materialized_view', 'reference', n);
      break;
    }
    case 'do':
      kind = 'DO';
      parseDo(ctx, c);
      break;
    case 'call':
      kind = 'CALL';
      parseCall(ctx, c);
      break;
    default:
      if (NO_OP_KINDS[w] !== undefined && Object.hasOwn(NO_OP_KINDS, w)) {
        kind = NO_OP_KINDS[w] as string;
        if (w === 'prepare' && !c.isKw('transaction', 1)) unsupported(ctx, c, setKind, 'PREPARE');
        else if (w === 'reset') parseReset(ctx, c);
        else if (w === 'discard') parseDiscard(ctx, c);
        else if (w !== 'show' && w !== 'checkpoint') transactionStatement(ctx, w, c);
      } else {
        unsupported(ctx, c, setKind);
      }
  }
  return kind;
}

function str(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The order of objects: qualified name, kind, action, signature (absent first), table. */
function compareObjects(a: DbObject, b: DbObject): number {
  return (
    str(a.qualified, b.qualified) ||
    str(a.kind, b.kind) ||
    str(a.action, b.action) ||
    (a.signature === b.signature
      ? 0
      : a.signature === undefined
        ? -1
        : b.signature === undefined
          ? 1
          : str(a.signature, b.signature)) ||
    str(a.table ?? '', b.table ?? '')
  );
}

/** Sorts `a` in place (insertion sort) and drops duplicates. */
function insertionSorted(a: DbObject[]): DbObject[] {
  for (let i = 1; i < a.length; i++) {
    const o = a[i] as DbObject;
    let j = i - 1;
    while (j >= 0 && compareObjects(a[j] as DbObject, o) > 0) {
      a[j + 1] = a[j] as DbObject;
      j--;
    }
    a[j + 1] = o;
  }
  return dedupSorted(a);
}

function dedupSorted(sorted: DbObject[]): DbObject[] {
  const out: DbObject[] = [];
  for (const o of sorted) {
    const prev = out[out.length - 1];
    if (prev === undefined || compareObjects(prev, o) !== 0) out.push(o);
    else if (o.allColumns && !prev.allColumns) out[out.length - 1] = { ...prev, allColumns: true };
  }
  return out;
}

/**
 * The script's objects: the union of the statements' sorted lists, merged
 * pairwise (cheaper than sorting them again), duplicates dropped.
 */
function mergeSorted(lists: DbObject[][]): DbObject[] {
  let runs = lists.filter((l) => l.length > 0);
  if (runs.length === 0) return [];
  while (runs.length > 1) {
    const next: DbObject[][] = [];
    for (let i = 0; i < runs.length; i += 2) {
      const a = runs[i] as DbObject[];
      const b = runs[i + 1];
      if (!b) {
        next.push(a);
        continue;
      }
      const out: DbObject[] = [];
      let x = 0;
      let y = 0;
      while (x < a.length && y < b.length) {
        const oa = a[x] as DbObject;
        const ob = b[y] as DbObject;
        const c = compareObjects(oa, ob);
        if (c < 0) {
          out.push(oa);
          x++;
        } else if (c > 0) {
          out.push(ob);
          y++;
        } else {
          out.push(ob.allColumns && !oa.allColumns ? { ...oa, allColumns: true } : oa);
          x++;
          y++;
        }
      }
      while (x < a.length) out.push(a[x++] as DbObject);
      while (y < b.length) out.push(b[y++] as DbObject);
      next.push(out);
    }
    runs = next;
  }
  return (runs[0] as DbObject[]).slice();
}

/** Many objects: bucketed by qualified name, whose distinct values are sorted natively. */
function sortMany(objects: DbObject[]): DbObject[] {
  const byName = new Map<string, DbObject[]>();
  for (const o of objects) {
    const l = byName.get(o.qualified);
    if (l) l.push(o);
    else byName.set(o.qualified, [o]);
  }
  const names = [...byName.keys()].sort();
  const out: DbObject[] = [];
  for (const n of names) {
    const l = byName.get(n) as DbObject[];
    if (l.length === 1) out.push(l[0] as DbObject);
    else for (const o of dedupSorted(l.sort(compareObjects))) out.push(o);
  }
  return out;
}

function lexicalMessage(t: Token): string {
  if (t.error !== undefined) return `${t.error} at offset ${t.start}`;
  const what =
    t.type === 'comment'
      ? 'comment'
      : t.type === 'dollar'
        ? 'dollar-quoted string'
        : t.type === 'qident'
          ? 'quoted identifier'
          : 'string';
  return `unterminated ${what} starting at offset ${t.start}`;
}

/**
 * Parses a script (or a list of scripts, each holding one or more statements)
 * into statements and the objects they touch. Never throws. With
 * `maxStatements`, stops as soon as statement `maxStatements + 1` begins and
 * sets `truncated` (the work is proportional to the limit, not the input).
 */
export function parseScript(sql: string | string[], options?: ParseOptions): ParseResult {
  const scripts = typeof sql === 'string' ? [sql] : sql;
  const statements: ParsedStatement[] = [];
  const warnings: ParseWarning[] = [];
  const defaultSchema = options?.defaultSchema ?? 'public';
  const max = options?.maxStatements;
  const ctx: Ctx = {
    schema: defaultSchema,
    defaultSchema,
    standardStrings: true,
    settings: newSettingsState(defaultSchema),
    objects: [],
    warnings: [],
    depth: 0,
    cat: new ShadowCatalog(),
    live: true,
    analyse,
  };
  let truncated = false;
  const all: DbObject[][] = [];
  for (const script of scripts) {
    if (truncated) break;
    const raw = typeof script === 'string' ? script : String(script);
    const { text, first } = replaceInvalidChars(raw);
    if (first >= 0) {
      warnings.push({
        statement: -1,
        message: `invalid character (NUL or unpaired surrogate) at offset ${first}`,
        lexical: true,
        offset: first,
      });
    }
    // Lexed as standard_conforming_strings is when the script starts; a
    // statement that changes it has the rest lexed again (old pg_dump files
    // begin with SET standard_conforming_strings = off).
    let lexedAs = ctx.standardStrings;
    let lexicalFrom = warnings.length;
    const lexFrom = (from: number): TokenStatement[] => {
      const left = max === undefined ? undefined : max - statements.length;
      const lexed = lexUpTo(text, false, left, { standardStrings: lexedAs, from });
      truncated = lexed.truncated;
      for (const t of lexed.tokens) {
        if (t.unterminated || t.error !== undefined) {
          warnings.push({
            statement: -1,
            message: lexicalMessage(t),
            lexical: true,
            offset: t.start,
          });
        }
      }
      return splitTokens(text, lexed.tokens);
    };
    let sts = lexFrom(0);
    for (let k = 0; k < sts.length; k++) {
      const st = sts[k] as TokenStatement;
      if (max !== undefined && statements.length >= max) {
        truncated = true;
        break;
      }
      const index = statements.length;
      ctx.objects = [];
      ctx.warnings = [];
      ctx.depth = 0;
      let kind: string;
      try {
        kind = analyse(ctx, st.tokens);
      } catch (e) {
        // defensive: the parser is written not to throw, but a statement must never break the script
        kind = 'UNKNOWN';
        ctx.objects = [];
        ctx.warnings.push(`could not be analysed (${e instanceof Error ? e.message : String(e)})`);
      }
      for (const m of ctx.warnings)
        warnings.push({ statement: index, message: `statement ${index + 1}: ${m}` });
      // the statement's own list, sorted in place
      const objects =
        ctx.objects.length > 16
          ? sortMany(ctx.objects)
          : ctx.objects.length <= 1
            ? ctx.objects
            : insertionSorted(ctx.objects);
      all.push(objects);
      statements.push({
        index,
        text: st.text,
        kind,
        objects,
        start: st.start,
        end: st.end,
      });
      if (ctx.standardStrings !== lexedAs) {
        // what the old lexing said of the rest no longer holds
        lexedAs = ctx.standardStrings;
        const kept = warnings
          .slice(lexicalFrom)
          .filter((w) => !w.lexical || (w.offset ?? 0) < st.end);
        warnings.length = lexicalFrom;
        warnings.push(...kept);
        lexicalFrom = warnings.length;
        sts = [...sts.slice(0, k + 1), ...lexFrom(st.end)];
      }
    }
  }
  if (truncated) {
    warnings.push({
      statement: -1,
      message: `more than ${max} statements: parsing stopped at statement ${(max ?? 0) + 1}`,
    });
  }
  const result: ParseResult = {
    statements,
    objects: mergeSorted(all),
    warnings,
  };
  if (truncated) result.truncated = true;
  return result;
}

/**
 * Counts the statements of a script, stopping once it has seen more than
 * `limit` (the answer is then `limit + 1`): a cheap check before parsing.
 * It lexes with standard_conforming_strings on throughout: after a script's
 * `SET standard_conforming_strings = off`, parseScript may split otherwise.
 */
export function countStatements(sql: string | string[], limit?: number): number {
  let n = 0;
  for (const script of typeof sql === 'string' ? [sql] : sql) {
    const text = typeof script === 'string' ? script : String(script);
    const left = limit === undefined ? undefined : limit + 1 - n;
    const lexed = lexUpTo(text, false, left);
    n += splitTokens(text, lexed.tokens).length;
    if (limit !== undefined && (n > limit || lexed.truncated)) return limit + 1;
  }
  return n;
}
