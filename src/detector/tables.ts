/**
 * Tables and columns: CREATE TABLE (plain, TEMP, UNLOGGED, PARTITION OF, OF
 * type, LIKE, INHERITS, AS query) and ALTER TABLE, with the objects
 * PostgreSQL creates beside them: the index of every PRIMARY KEY, UNIQUE and
 * EXCLUDE constraint, the sequence of every serial and identity column, the
 * indexes, foreign keys, CHECKs and row triggers a partition copies from its
 * parent. Names are chosen as PostgreSQL chooses them (naming.ts), in the
 * order it creates things: sequences, the table and its CHECKs, its indexes,
 * LIKE's copies, then its foreign keys; ALTER TABLE runs its actions in
 * PostgreSQL's passes (drops, type changes, new columns, indexes, constraints).
 */
import {
  type Ctx,
  fail,
  memoOf,
  namedObj,
  relObj,
  renamed,
  resolve,
  resolveRelation,
  scopedObj,
  TEMP_SCHEMA,
} from './context.js';
import type { Cursor } from './cursor.js';
import { typeRefAt } from './datatypes.js';
import { scanExpr } from './exprs.js';
import {
  cloneIndexesToPartition,
  cloneIndexToChildren,
  emitIndex,
  type IndexElement,
  indexElement,
  normalizeTokens,
} from './indexes.js';
import { quoteIdent } from './names.js';
import {
  chooseCheckName,
  chooseForeignKeyName,
  chooseIndexName,
  chooseSequenceName,
  type IndexNameKind,
  indexColumnNames,
} from './naming.js';
import { parseQuery } from './queries.js';
import type { Scope } from './scope.js';
import { type IndexInfo, type RelationInfo, relKey, splitKey } from './shadow.js';
import type { ObjectAction, ObjectKind } from './types.js';

const SERIALS = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

/** Words that end a column's type or DEFAULT expression: the next column option. */
const COLUMN_OPTIONS = new Set([
  'constraint',
  'not',
  'null',
  'default',
  'check',
  'unique',
  'primary',
  'references',
  'generated',
  'collate',
  'compression',
  'storage',
  'deferrable',
  'initially',
]);

interface ConSpec {
  type: 'p' | 'u' | 'x' | 'c' | 'f';
  name?: string;
  /** Set for a column constraint. */
  column?: string;
  /** p, u, f: key columns. */
  columns: string[];
  include: string[];
  /** x: the index elements. */
  elements?: IndexElement[];
  check?: Cursor;
  noInherit?: boolean;
  refTable?: string[];
  refColumns: string[];
  /** ADD CONSTRAINT ... USING INDEX i. */
  usingIndex?: string;
  /** What PostgreSQL compares to drop a redundant index constraint (UNIQUE PRIMARY KEY). */
  sig: string;
}

interface ColumnSpec {
  name: string;
  serial: boolean;
  identity?: { name?: string[] };
  constraints: ConSpec[];
  generated?: Cursor;
  defaultExpr?: Cursor;
}

function identList(c: Cursor | undefined): string[] {
  if (!c) return [];
  const out: string[] = [];
  for (const part of c.splitCommas()) {
    const v = part.ident();
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Index options after a constraint's columns: INCLUDE, WITH, USING INDEX TABLESPACE, DEFERRABLE... */
function indexOptions(c: Cursor, spec: ConSpec, extra: string[]): undefined {
  while (!c.atEnd()) {
    if (c.kw('include')) {
      spec.include = identList(c.parens());
      continue;
    }
    if (c.kw('with') && c.isPunct('(')) {
      c.parens();
      continue;
    }
    if (c.kw('using', 'index', 'tablespace')) {
      c.next();
      continue;
    }
    if (c.kw('not', 'deferrable')) continue;
    if (c.kw('deferrable')) {
      extra.push('deferrable');
      continue;
    }
    if (c.kw('initially', 'deferred')) {
      extra.push('initially deferred');
      continue;
    }
    if (c.kw('initially', 'immediate')) continue;
    break;
  }
}

/** A table constraint (after CONSTRAINT name); undefined when none starts here. */
function parseTableConstraint(ctx: Ctx, c: Cursor, scope: Scope): ConSpec | undefined {
  const extra: string[] = [];
  if (c.kw('primary', 'key') || c.isKw('unique')) {
    const pk = c.toks[c.pos - 1]?.value === 'key';
    if (!pk) c.next();
    let nulls = '';
    if (c.kw('nulls', 'not', 'distinct')) nulls = 'nnd';
    else c.kw('nulls', 'distinct');
    const spec: ConSpec = {
      type: pk ? 'p' : 'u',
      columns: [],
      include: [],
      refColumns: [],
      sig: '',
    };
    if (c.kw('using', 'index')) {
      spec.usingIndex = c.ident();
      return spec;
    }
    spec.columns = identList(c.parens());
    indexOptions(c, spec, extra);
    spec.sig = ['', spec.columns.join(','), spec.include.join(','), nulls, ...extra].join('|');
    return spec;
  }
  if (c.kw('check')) {
    const spec: ConSpec = { type: 'c', columns: [], include: [], refColumns: [], sig: '' };
    spec.check = c.parens();
    if (c.kw('no', 'inherit')) spec.noInherit = true;
    return spec;
  }
  if (c.kw('exclude')) {
    let method = 'gist';
    if (c.kw('using')) method = c.next()?.value ?? method;
    const elems = c.parens();
    const elements: IndexElement[] = [];
    const ops: string[] = [];
    for (const e of elems?.splitCommas() ?? []) {
      const w = e.findLastKw('with');
      const el = e.slice(e.pos, w >= 0 ? w : e.end);
      elements.push(indexElement(ctx, el, scope));
      if (w >= 0) ops.push(normalizeTokens(e.toks.slice(w + 1, e.end)));
    }
    const spec: ConSpec = {
      type: 'x',
      columns: elements.filter((x) => x.column !== undefined).map((x) => x.column as string),
      include: [],
      elements,
      refColumns: [],
      sig: '',
    };
    indexOptions(c, spec, extra);
    let where = '';
    if (c.kw('where')) {
      const pred = c.parens();
      if (pred) {
        where = normalizeTokens(pred.toks.slice(pred.pos, pred.end));
        scanExpr(ctx, pred, scope);
      }
    }
    spec.sig = [
      method,
      elements.map((x) => x.text).join(','),
      ops.join(','),
      spec.include.join(','),
      where,
      ...extra,
    ].join('|');
    return spec;
  }
  if (c.kw('foreign', 'key')) {
    const spec: ConSpec = {
      type: 'f',
      columns: identList(c.parens()),
      include: [],
      refColumns: [],
      sig: '',
    };
    if (c.kw('references')) {
      spec.refTable = c.name();
      spec.refColumns = identList(c.parens());
    }
    return spec;
  }
  return undefined;
}

/** A column definition: name, type (its reference), options and inline constraints. */
function parseColumnDef(ctx: Ctx, c: Cursor, withType: boolean): ColumnSpec | undefined {
  const name = c.ident();
  if (name === undefined) {
    ctx.warnings.push(`could not read a column definition near '${c.describe()}'`);
    return undefined;
  }
  const spec: ColumnSpec = { name, serial: false, constraints: [] };
  if (withType && !c.isKw('with')) {
    const t = c.peek();
    if (t?.type === 'ident' && SERIALS.has(t.value ?? '') && !c.isPunct('.', 1)) spec.serial = true;
    const tt = c.peek();
    if (!(tt?.type === 'ident' && COLUMN_OPTIONS.has(tt.value ?? ''))) typeRefAt(ctx, c);
    // the rest of the type: everything up to the first column option
    while (
      !c.atEnd() &&
      !(c.peek()?.type === 'ident' && COLUMN_OPTIONS.has(c.peek()?.value ?? ''))
    ) {
      c.skipOne();
    }
  }
  c.kw('with', 'options');
  let conName: string | undefined;
  let last: ConSpec | undefined;
  while (!c.atEnd()) {
    if (c.kw('constraint')) {
      conName = c.ident();
      continue;
    }
    const extra: string[] = [];
    let con: ConSpec | undefined;
    if (c.kw('primary', 'key')) {
      con = { type: 'p', columns: [name], include: [], refColumns: [], sig: '' };
      indexOptions(c, con, extra);
    } else if (c.kw('unique')) {
      let nulls = '';
      if (c.kw('nulls', 'not', 'distinct')) nulls = 'nnd';
      else c.kw('nulls', 'distinct');
      con = { type: 'u', columns: [name], include: [], refColumns: [], sig: '' };
      indexOptions(c, con, extra);
      extra.unshift(nulls);
    } else if (c.kw('check')) {
      con = { type: 'c', columns: [], include: [], refColumns: [], sig: '', check: c.parens() };
      if (c.kw('no', 'inherit')) con.noInherit = true;
    } else if (c.kw('references')) {
      con = { type: 'f', columns: [name], include: [], refColumns: [], sig: '' };
      con.refTable = c.name();
      con.refColumns = identList(c.parens());
    }
    if (con) {
      if (con.type === 'p' || con.type === 'u') {
        if (con.type === 'p') extra.unshift('');
        con.sig = ['', name, '', ...extra].join('|');
      }
      con.column = name;
      if (conName !== undefined) con.name = conName;
      conName = undefined;
      spec.constraints.push(con);
      last = con;
      continue;
    }
    if (c.kw('default')) {
      const start = c.pos;
      c.skipOne();
      while (
        !c.atEnd() &&
        !(c.peek()?.type === 'ident' && COLUMN_OPTIONS.has(c.peek()?.value ?? ''))
      )
        c.skipOne();
      spec.defaultExpr = c.slice(start, c.pos);
      conName = undefined;
      continue;
    }
    if (c.kw('generated')) {
      c.kw('always') || c.kw('by', 'default');
      c.kw('as');
      if (c.kw('identity')) {
        spec.identity = {};
        const opts = c.parens();
        while (opts && !opts.atEnd()) {
          if (opts.kw('sequence', 'name')) spec.identity.name = opts.name();
          else opts.skipOne();
        }
      } else {
        spec.generated = c.parens();
        c.kw('stored');
      }
      conName = undefined;
      continue;
    }
    if (c.kw('deferrable') || c.kw('initially', 'deferred')) {
      if (last && (last.type === 'p' || last.type === 'u')) last.sig += '|deferrable';
      continue;
    }
    if (c.isKw('not') || c.isKw('null') || c.isKw('collate')) conName = undefined;
    c.skipOne();
  }
  return spec;
}

// ---------------------------------------------------------------- emission

interface TableTarget {
  table: [string, string];
  info?: RelationInfo;
  /** Columns known to exist (for CHECK and expression attribution); undefined when unknown. */
  columns?: string[];
}

function tableScope(t: TableTarget, onColumn?: Scope['onColumn']): Scope {
  return {
    entries: [{ ref: t.table[1], table: t.table, schemaRef: t.table[0], columns: t.columns }],
    onColumn,
  };
}

/** The sequence of a serial or identity column. */
function columnSequence(ctx: Ctx, t: TableTarget, col: ColumnSpec): undefined {
  if (!col.serial && !col.identity) return;
  let schema = t.table[0];
  let name: string;
  let implicit = false;
  if (col.identity?.name) {
    [schema, name] = resolve(ctx, col.identity.name, t.table[0]);
  } else {
    name = chooseSequenceName(
      t.table[1],
      col.name,
      (n) => ctx.cat.relationTaken(schema, n),
      memoOf(ctx),
    );
    implicit = true;
  }
  const o = namedObj(ctx, 'sequence', 'create', schema, name);
  if (implicit) o.implicitName = true;
  if (ctx.live) {
    ctx.cat.addRelation({ kind: 'sequence', schema, name });
    t.info?.sequences?.set(col.name, relKey(schema, name));
  }
}

/** DEFAULT and generation expressions: what they read. */
function columnExpressions(ctx: Ctx, t: TableTarget, col: ColumnSpec): undefined {
  if (col.defaultExpr) scanExpr(ctx, col.defaultExpr, { entries: [] });
  if (col.generated) scanExpr(ctx, col.generated, tableScope(t));
}

/** CHECK constraints, named after the one column they read (heap.c), de-duplicated. */
function addChecks(ctx: Ctx, t: TableTarget, specs: ConSpec[], only = false): undefined {
  const checknames = new Set<string>();
  const [schema, tname] = t.table;
  for (const spec of specs) {
    const read: string[] = [];
    const scope = tableScope(t, (table, col) => {
      read.push(col);
      scopedObj(ctx, 'column', 'reference', table, col);
    });
    if (spec.check) scanExpr(ctx, spec.check.slice(spec.check.pos, spec.check.end), scope);
    const name =
      spec.name ??
      chooseCheckName(
        tname,
        read,
        (n) => checknames.has(n) || ctx.cat.constraintTaken(schema, n),
        memoOf(ctx),
      );
    checknames.add(name);
    const o = scopedObj(ctx, 'constraint', 'create', t.table, name);
    if (spec.name === undefined) o.implicitName = true;
    if (ctx.live && t.info) {
      ctx.cat.addConstraint(t.info, { name, type: 'c', columns: read, noInherit: spec.noInherit });
      if (!only && !spec.noInherit) {
        for (const child of ctx.cat.descendants(t.info)) {
          if (child.constraints?.has(name)) continue;
          scopedObj(ctx, 'constraint', 'create', [child.schema, child.name], name);
          for (const col of read)
            scopedObj(ctx, 'column', 'reference', [child.schema, child.name], col);
          ctx.cat.addConstraint(child, { name, type: 'c', columns: read });
        }
      }
    } else if (ctx.live) {
      // an unknown table: still remember the name for schema-wide de-duplication
      ctx.cat.addDomainConstraint(schema, name);
    }
  }
}

/** transformIndexConstraints: the primary key first, then the others; an equal one is dropped. */
function orderIndexConstraints(specs: ConSpec[], dedup: boolean): ConSpec[] {
  const out: ConSpec[] = [];
  const pk = specs.find((s) => s.type === 'p');
  if (pk) out.push(pk);
  for (const s of specs) {
    if (s === pk) continue;
    const prior = dedup ? out.find((p) => p.sig === s.sig && s.sig !== '') : undefined;
    if (prior) {
      prior.name ??= s.name;
      continue;
    }
    out.push(s);
  }
  return out;
}

/** PRIMARY KEY, UNIQUE and EXCLUDE: the constraint and its index, named by ChooseIndexName. */
function addIndexConstraints(
  ctx: Ctx,
  t: TableTarget,
  specs: ConSpec[],
  only: boolean,
  creating: boolean,
): undefined {
  const [schema, tname] = t.table;
  // CREATE TABLE drops a redundant one (UNIQUE PRIMARY KEY); ALTER TABLE keeps them all
  for (const spec of orderIndexConstraints(specs, creating)) {
    const kind: IndexNameKind = spec.type === 'p' ? 'pkey' : spec.type === 'x' ? 'excl' : 'key';
    const labels =
      spec.type === 'x'
        ? [...(spec.elements ?? []).map((e) => e.label), ...spec.include]
        : [...spec.columns, ...spec.include];
    const columnNames = indexColumnNames(labels);
    const name =
      spec.name ??
      chooseIndexName(tname, columnNames, kind, ctx.cat.takenFor(schema, true), memoOf(ctx));
    const con = scopedObj(ctx, 'constraint', 'create', t.table, name);
    const keyTexts =
      spec.type === 'x' ? (spec.elements ?? []).map((e) => e.text) : spec.columns.map(quoteIdent);
    emitIndex(ctx, t.table, name, keyTexts, spec.name === undefined);
    if (spec.name === undefined) con.implicitName = true;
    for (const col of [...spec.columns, ...spec.include]) {
      scopedObj(ctx, 'column', 'reference', t.table, col);
    }
    if (!ctx.live) continue;
    const info: IndexInfo = {
      columnNames,
      signature: spec.sig,
      kind,
      constraint: name,
      keyTexts,
      plainColumns: spec.columns,
    };
    if (t.info) {
      ctx.cat.addConstraint(t.info, { name, type: spec.type, columns: spec.columns, index: name });
      ctx.cat.addIndex(t.info, name, info);
      if (!only) cloneIndexToChildren(ctx, relKey(schema, name), info, t.info);
    } else {
      ctx.cat.addDomainConstraint(schema, name);
      ctx.cat.addRelation({
        kind: 'index',
        schema,
        name,
        table: relKey(schema, tname),
        index: info,
      });
    }
  }
}

/** ADD CONSTRAINT ... PRIMARY KEY / UNIQUE USING INDEX i: the index takes the constraint's name. */
function addUsingIndex(ctx: Ctx, t: TableTarget, spec: ConSpec): undefined {
  const idx = spec.usingIndex;
  if (idx === undefined) return;
  const [schema] = t.table;
  const name = spec.name ?? idx;
  const con = scopedObj(ctx, 'constraint', 'create', t.table, name);
  if (spec.name === undefined) con.implicitName = true;
  const old = namedObj(ctx, 'index', 'alter', schema, idx);
  if (name !== idx) renamed(ctx, old, schema, name);
  const r = ctx.cat.relation(schema, idx);
  for (const col of r?.index?.plainColumns ?? [])
    scopedObj(ctx, 'column', 'reference', t.table, col);
  if (!ctx.live) return;
  if (name !== idx) ctx.cat.renameRelation(schema, idx, schema, name);
  if (t.info) {
    ctx.cat.addConstraint(t.info, {
      name,
      type: spec.type,
      columns: r?.index?.plainColumns ?? [],
      index: name,
    });
  } else ctx.cat.addDomainConstraint(schema, name);
  if (r?.index) {
    r.index.constraint = name;
    r.index.kind = spec.type === 'p' ? 'pkey' : 'key';
  }
}

/** The referenced table's key columns: the given ones, or its primary key when the script knows it. */
function referencedColumns(ctx: Ctx, ref: [string, string], given: string[]): string[] {
  if (given.length > 0) return given;
  const t = ctx.cat.table(ref[0], ref[1]);
  return t ? (ctx.cat.primaryKey(t) ?? []) : [];
}

/** FOREIGN KEY constraints, named `t_<cols>_fkey`, copied to partitions. */
function addForeignKeys(ctx: Ctx, t: TableTarget, specs: ConSpec[], only = false): undefined {
  const [schema, tname] = t.table;
  for (const spec of specs) {
    const name =
      spec.name ??
      chooseForeignKeyName(
        tname,
        spec.columns,
        (n) => ctx.cat.constraintTaken(schema, n),
        memoOf(ctx),
      );
    const con = scopedObj(ctx, 'constraint', 'create', t.table, name);
    if (spec.name === undefined) con.implicitName = true;
    for (const col of spec.columns) scopedObj(ctx, 'column', 'reference', t.table, col);
    let refKey: string | undefined;
    if (spec.refTable) {
      const ref = resolveRelation(ctx, spec.refTable);
      refKey = relKey(ref[0], ref[1]);
      namedObj(ctx, 'table', 'reference', ref[0], ref[1]);
      for (const col of referencedColumns(ctx, ref, spec.refColumns)) {
        scopedObj(ctx, 'column', 'reference', ref, col);
      }
    }
    if (!ctx.live) continue;
    const fk = {
      name,
      type: 'f' as const,
      columns: spec.columns,
      refTable: refKey,
      refColumns: spec.refColumns,
    };
    if (t.info) {
      ctx.cat.addConstraint(t.info, fk);
      if (!only && t.info.partitioned) cloneForeignKey(ctx, t.info, fk);
      // a partitioned referenced table: one more constraint per partition
      const target = refKey !== undefined ? ctx.cat.relations.get(refKey) : undefined;
      if (target?.partitioned) {
        for (const _p of ctx.cat.descendants(target)) {
          const extra = chooseForeignKeyName(tname, spec.columns, (n) =>
            ctx.cat.constraintTaken(schema, n),
          );
          scopedObj(ctx, 'constraint', 'create', t.table, extra).implicitName = true;
          ctx.cat.addConstraint(t.info, { ...fk, name: extra });
        }
      }
    } else ctx.cat.addDomainConstraint(schema, name);
  }
}

/** A partitioned table's foreign key on each partition: the same name unless the partition uses it. */
function cloneForeignKey(
  ctx: Ctx,
  parent: RelationInfo,
  fk: { name: string; type: 'f'; columns: string[]; refTable?: string; refColumns?: string[] },
): undefined {
  for (const k of parent.children ?? []) {
    const child = ctx.cat.relations.get(k);
    if (!child) continue;
    const name = child.constraints?.has(fk.name)
      ? chooseForeignKeyName(child.name, fk.columns, (n) =>
          ctx.cat.constraintTaken(child.schema, n),
        )
      : fk.name;
    scopedObj(ctx, 'constraint', 'create', [child.schema, child.name], name);
    for (const col of fk.columns)
      scopedObj(ctx, 'column', 'reference', [child.schema, child.name], col);
    const copy = { ...fk, name };
    ctx.cat.addConstraint(child, copy);
    if (child.partitioned) cloneForeignKey(ctx, child, copy);
  }
}

/** What a new partition (or an attached one) copies from its parent. */
function inheritFromPartitionParent(
  ctx: Ctx,
  parent: RelationInfo,
  child: RelationInfo,
): undefined {
  const table: [string, string] = [child.schema, child.name];
  cloneIndexesToPartition(ctx, parent, child);
  for (const [trig, fn] of parent.triggers ?? []) {
    if (child.triggers?.has(trig)) continue;
    scopedObj(ctx, 'trigger', 'create', table, trig);
    if (fn) relObj(ctx, 'function', 'reference', fn).signature = '';
    child.triggers ??= new Map();
    child.triggers.set(trig, fn);
  }
  for (const c of [...(parent.constraints?.values() ?? [])]) {
    if (c.type !== 'f') continue;
    const name = child.constraints?.has(c.name)
      ? chooseForeignKeyName(child.name, c.columns, (n) => ctx.cat.constraintTaken(child.schema, n))
      : c.name;
    scopedObj(ctx, 'constraint', 'create', table, name);
    for (const col of c.columns) scopedObj(ctx, 'column', 'reference', table, col);
    if (c.refTable !== undefined) {
      const ref = ctx.cat.relations.get(c.refTable);
      if (ref) {
        namedObj(ctx, 'table', 'reference', ref.schema, ref.name);
        const cols =
          c.refColumns && c.refColumns.length > 0 ? c.refColumns : (ctx.cat.primaryKey(ref) ?? []);
        for (const col of cols) scopedObj(ctx, 'column', 'reference', [ref.schema, ref.name], col);
      }
    }
    ctx.cat.addConstraint(child, { ...c, name });
  }
}

/** Inherited CHECK constraints (INHERITS, PARTITION OF): the same names on the child. */
function inheritChecks(ctx: Ctx, parents: RelationInfo[], child: RelationInfo): undefined {
  for (const p of parents) {
    for (const c of p.constraints?.values() ?? []) {
      if (c.type !== 'c' || c.noInherit || child.constraints?.has(c.name)) continue;
      scopedObj(ctx, 'constraint', 'create', [child.schema, child.name], c.name);
      ctx.cat.addConstraint(child, { name: c.name, type: 'c', columns: c.columns });
    }
  }
}

// ---------------------------------------------------------------- CREATE TABLE

interface LikeClause {
  source: [string, string];
  options: Set<string>;
}

export function parseCreateTable(ctx: Ctx, c: Cursor, temp: boolean): undefined {
  const ifNotExists = c.kw('if', 'not', 'exists');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'table name');
  const t = relObj(ctx, 'table', 'create', parts, temp ? TEMP_SCHEMA : undefined);
  const table: [string, string] = [t.schema as string, t.name];
  // IF NOT EXISTS of a relation the script already created: PostgreSQL skips it
  if (ifNotExists && ctx.live && ctx.cat.relationTaken(table[0], table[1])) return;
  if (!ctx.live) ctx.bodyRelations?.add(t.qualified);
  const asAt = c.findKw(['as']);
  if (asAt >= 0) return createTableAs(ctx, c, table, asAt);
  let partitionParent: [string, string] | undefined;
  let typed = false;
  let typeColumns: string[] | undefined;
  if (c.kw('partition', 'of')) {
    const p = c.name();
    if (p) {
      partitionParent = resolve(ctx, p);
      namedObj(ctx, 'table', 'reference', partitionParent[0], partitionParent[1]);
    }
  } else if (c.kw('of')) {
    const ty = c.name();
    if (ty) {
      const o = relObj(ctx, 'type', 'reference', ty);
      const comp = ctx.cat.relation(o.schema as string, o.name);
      if (comp?.kind === 'composite') typeColumns = comp.columns;
    }
    typed = true;
  }
  const elems = c.parens();
  // what comes after the elements: INHERITS, PARTITION BY
  const parents: [string, string][] = [];
  let partitioned = false;
  while (!c.atEnd()) {
    if (c.kw('inherits')) {
      for (const e of (c.parens() as Cursor | undefined)?.splitCommas() ?? []) {
        const n = e.name();
        if (!n) continue;
        const p = resolve(ctx, n);
        parents.push(p);
        namedObj(ctx, 'table', 'reference', p[0], p[1]);
      }
      continue;
    }
    if (c.kw('partition', 'by')) {
      partitioned = true;
      continue;
    }
    c.skipOne();
  }
  // the elements
  const columns: ColumnSpec[] = [];
  /** Constraints in the order of the elements that hold them. */
  const ordered: ConSpec[] = [];
  const likes: LikeClause[] = [];
  const names: string[] = [];
  const parentInfos: RelationInfo[] = [];
  let columnsKnown = true;
  for (const p of partitionParent ? [partitionParent] : parents) {
    const pi = ctx.cat.table(p[0], p[1]);
    if (pi) {
      parentInfos.push(pi);
      if (pi.columns) names.push(...pi.columns);
      else columnsKnown = false;
    } else columnsKnown = false;
  }
  if (typed) {
    // a typed table's columns are the type's attributes (its own, not inherited)
    if (typeColumns) {
      names.push(...typeColumns);
      for (const col of typeColumns) scopedObj(ctx, 'column', 'create', table, col);
    } else columnsKnown = false;
  }
  const element = (e: Cursor) => {
    if (e.atEnd()) return;
    if (e.kw('like')) {
      const n = e.name();
      if (!n) return;
      const src = resolve(ctx, n);
      namedObj(ctx, 'table', 'reference', src[0], src[1]);
      const options = new Set<string>();
      while (!e.atEnd()) {
        const inc = e.kw('including');
        if (!inc) e.kw('excluding');
        const w = e.next()?.value ?? '';
        if (inc) options.add(w);
        else options.delete(w === 'all' ? '' : w);
        if (!inc && w === 'all') options.clear();
      }
      likes.push({ source: src, options });
      const si = ctx.cat.table(src[0], src[1]);
      if (si?.columns) names.push(...si.columns);
      else columnsKnown = false;
      return;
    }
    let conName: string | undefined;
    if (e.kw('constraint')) conName = e.ident();
    const save = e.pos;
    const spec = parseTableConstraint(ctx, e, {
      entries: [{ ref: table[1], table, schemaRef: table[0], columns: undefined }],
    });
    if (spec) {
      if (conName !== undefined) spec.name = conName;
      ordered.push(spec);
      return;
    }
    e.pos = save;
    if (conName !== undefined) {
      ctx.warnings.push(`could not read constraint ${quoteIdent(conName)}`);
      return;
    }
    const col = parseColumnDef(ctx, e, !partitionParent && !typed);
    if (!col) return;
    columns.push(col);
    ordered.push(...col.constraints);
    if (!partitionParent && !typed) names.push(col.name);
  };
  for (const e of elems?.splitCommas() ?? []) element(e);
  const own = partitionParent || typed ? [] : columns;
  for (const col of own) scopedObj(ctx, 'column', 'create', table, col.name);
  const target: TableTarget = { table, columns: columnsKnown ? [...new Set(names)] : undefined };
  // sequences come first, then the table
  for (const col of own) columnSequence(ctx, { table }, col);
  const info = ctx.live ? ctx.cat.addTable(table[0], table[1], target.columns) : undefined;
  target.info = info;
  if (info) {
    info.partitioned = partitioned || undefined;
    for (const p of parentInfos) {
      p.children ??= [];
      p.children.push(relKey(table[0], table[1]));
    }
  }
  linkSequences(ctx, info, own);
  for (const col of columns) columnExpressions(ctx, target, col);
  // CHECKs: inherited ones, then this statement's, in order
  if (info) inheritChecks(ctx, parentInfos, info);
  const checks: ConSpec[] = [];
  const indexCons: ConSpec[] = [];
  const fks: ConSpec[] = [];
  const sort = (s: ConSpec) => (s.type === 'c' ? checks : s.type === 'f' ? fks : indexCons).push(s);
  for (const s of ordered) sort(s);
  addChecks(ctx, target, checks);
  // a partition's copies of its parent's indexes, row triggers and foreign keys
  if (info && partitionParent) {
    const pi = parentInfos[0];
    if (pi) inheritFromPartitionParent(ctx, pi, info);
  }
  addIndexConstraints(ctx, target, indexCons, false, true);
  for (const like of likes) likeCopies(ctx, like, target);
  addForeignKeys(ctx, target, fks);
}

/** Connects serial/identity sequences created by this statement to their columns. */
function linkSequences(ctx: Ctx, info: RelationInfo | undefined, columns: ColumnSpec[]): undefined {
  if (!info) return;
  const seqs = ctx.objects.filter((o) => o.kind === 'sequence' && o.action === 'create');
  let k = 0;
  for (const col of columns) {
    if (!col.serial && !col.identity) continue;
    const s = seqs[k++];
    if (s) info.sequences?.set(col.name, relKey(s.schema as string, s.name));
    if (col.identity) {
      info.identity ??= new Set();
      info.identity.add(col.name);
    }
  }
}

/** LIKE ... INCLUDING: copied columns, identity sequences, CHECKs and indexes of a known source. */
function likeCopies(ctx: Ctx, like: LikeClause, t: TableTarget): undefined {
  const src = ctx.cat.table(like.source[0], like.source[1]);
  if (!src) return;
  const has = (o: string) => like.options.has(o) || like.options.has('all');
  for (const col of src.columns ?? []) scopedObj(ctx, 'column', 'create', t.table, col);
  if (has('identity')) {
    for (const col of src.identity ?? []) {
      columnSequence(ctx, t, { name: col, serial: false, identity: {}, constraints: [] });
    }
  }
  if (has('constraints')) {
    for (const c of src.constraints?.values() ?? []) {
      if (c.type !== 'c' || t.info?.constraints?.has(c.name)) continue;
      scopedObj(ctx, 'constraint', 'create', t.table, c.name);
      if (t.info) ctx.cat.addConstraint(t.info, { ...c });
    }
  }
  if (has('indexes')) {
    for (const n of [...(src.indexes ?? [])]) {
      const r = ctx.cat.relation(src.schema, n);
      if (!r?.index) continue;
      const idx = r.index;
      const isConstraint = idx.constraint !== undefined;
      const name = chooseIndexName(
        t.table[1],
        idx.columnNames,
        idx.kind,
        ctx.cat.takenFor(t.table[0], isConstraint),
        memoOf(ctx),
      );
      emitIndex(ctx, t.table, name, idx.keyTexts, true);
      if (isConstraint) scopedObj(ctx, 'constraint', 'create', t.table, name).implicitName = true;
      if (t.info) {
        if (isConstraint) {
          ctx.cat.addConstraint(t.info, {
            name,
            type: idx.kind === 'pkey' ? 'p' : idx.kind === 'excl' ? 'x' : 'u',
            columns: idx.plainColumns,
            index: name,
          });
        }
        ctx.cat.addIndex(t.info, name, {
          ...idx,
          constraint: isConstraint ? name : undefined,
          parent: undefined,
        });
      }
    }
  }
}

/** CREATE TABLE ... AS query: the table, and its columns when they can be known. */
function createTableAs(ctx: Ctx, c: Cursor, table: [string, string], asAt: number): undefined {
  const colList = c.isPunct('(') ? identList(c.parens()) : undefined;
  c.pos = asAt + 1;
  let columns: string[] | undefined;
  if (c.kw('execute')) columns = undefined;
  else {
    const end = c.findKw(['with']);
    // WITH [NO] DATA ends the query; a WITH at the start is a CTE
    let qend = c.end;
    if (end > c.pos && (c.isKw('data', end - c.pos + 1) || c.isKw('no', end - c.pos + 1)))
      qend = end;
    const shape = parseQuery(ctx, c.slice(c.pos, qend));
    columns = shape.columns;
  }
  if (colList && colList.length > 0) {
    columns = columns ? [...colList, ...columns.slice(colList.length)] : undefined;
    if (!columns) columns = undefined;
  }
  if (columns && new Set(columns).size === columns.length) {
    for (const col of columns) scopedObj(ctx, 'column', 'create', table, col);
  } else columns = undefined;
  if (ctx.live) ctx.cat.addTable(table[0], table[1], columns);
}

// ---------------------------------------------------------------- ALTER TABLE

export function parseAlterTable(ctx: Ctx, c: Cursor, kind: ObjectKind): undefined {
  if (c.isKw('all') && c.isKw('in', 1)) {
    ctx.warnings.push('ALTER ... ALL IN TABLESPACE is not analysed');
    return;
  }
  c.kw('if', 'exists');
  const only = c.kw('only');
  const parts = c.name();
  if (!parts) return fail(ctx, c, 'a name');
  if (c.isOp('*')) c.next();
  const [schema, name] = resolveRelation(ctx, parts);
  const table: [string, string] = [schema, name];
  const makeRel = (action: ObjectAction) => namedObj(ctx, kind, action, schema, name);
  if (c.kw('rename', 'to')) {
    const nn = c.ident();
    const old = makeRel('rename');
    if (nn !== undefined) {
      renamed(ctx, old, schema, nn);
      if (ctx.live) ctx.cat.renameRelation(schema, name, schema, nn);
    }
    return;
  }
  if (c.kw('set', 'schema')) {
    const ns = c.ident();
    const old = makeRel('rename');
    if (ns !== undefined) {
      renamed(ctx, old, ns, name);
      if (ctx.live) moveTable(ctx, table, ns);
    }
    return;
  }
  makeRel('alter');
  const info = ctx.live ? ctx.cat.table(schema, name) : undefined;
  const t: TableTarget = { table, info, columns: info?.columns };
  const plan = newPlan();
  for (const a of c.splitCommas()) planAction(ctx, a, t, kind, plan, only);
  runPlan(ctx, t, plan, only);
}

/** ALTER TABLE ... SET SCHEMA: the table's indexes and owned sequences move with it. */
function moveTable(ctx: Ctx, table: [string, string], ns: string): undefined {
  const info = ctx.cat.table(table[0], table[1]);
  if (info) {
    for (const i of info.indexes ?? []) {
      const o = namedObj(ctx, 'index', 'rename', table[0], i);
      o.table = `${quoteIdent(table[0])}.${quoteIdent(table[1])}`;
      renamed(ctx, o, ns, i);
    }
    for (const s of info.sequences?.values() ?? []) {
      const [ss, sn] = splitKey(s);
      renamed(ctx, namedObj(ctx, 'sequence', 'rename', ss, sn), ns, sn);
    }
  }
  ctx.cat.renameRelation(table[0], table[1], ns, table[1]);
}

interface Plan {
  seqs: (() => void)[];
  drops: (() => void)[];
  types: (() => void)[];
  addCols: (() => void)[];
  attrs: (() => void)[];
  indexCons: ConSpec[];
  usingIndex: ConSpec[];
  checks: ConSpec[];
  fks: ConSpec[];
  misc: (() => void)[];
}

function newPlan(): Plan {
  return {
    seqs: [],
    drops: [],
    types: [],
    addCols: [],
    attrs: [],
    indexCons: [],
    usingIndex: [],
    checks: [],
    fks: [],
    misc: [],
  };
}

function runPlan(ctx: Ctx, t: TableTarget, p: Plan, only: boolean): undefined {
  for (const f of p.seqs) f();
  for (const f of p.drops) f();
  for (const f of p.types) f();
  for (const f of p.addCols) f();
  t.columns = t.info?.columns;
  for (const f of p.attrs) f();
  addIndexConstraints(ctx, t, p.indexCons, only, false);
  for (const s of p.usingIndex) addUsingIndex(ctx, t, s);
  addChecks(ctx, t, p.checks, only);
  addForeignKeys(ctx, t, p.fks, only);
  for (const f of p.misc) f();
}

function addConstraintSpec(p: Plan, s: ConSpec): void {
  if (s.usingIndex !== undefined) p.usingIndex.push(s);
  else if (s.type === 'c') p.checks.push(s);
  else if (s.type === 'f') p.fks.push(s);
  else p.indexCons.push(s);
}

/** Drops what PostgreSQL drops with a column: the constraints and indexes on it. */
function dropColumnDependents(ctx: Ctx, t: TableTarget, col: string): undefined {
  const info = t.info;
  if (!info) return;
  for (const c of [...(info.constraints?.values() ?? [])]) {
    if (!c.columns.includes(col)) continue;
    scopedObj(ctx, 'constraint', 'drop', t.table, c.name);
    if (c.index !== undefined) scopedObj(ctx, 'index', 'drop', t.table, c.index);
    ctx.cat.dropConstraint(info, c.name);
  }
  for (const i of [...(info.indexes ?? [])]) {
    const r = ctx.cat.relation(info.schema, i);
    if (!r?.index) continue;
    if (!r.index.plainColumns.includes(col) && !r.index.columnNames.includes(col)) continue;
    scopedObj(ctx, 'index', 'drop', t.table, i);
    ctx.cat.dropRelation(info.schema, i);
  }
  const seq = info.sequences?.get(col);
  if (seq !== undefined) {
    const [ss, sn] = splitKey(seq);
    namedObj(ctx, 'sequence', 'drop', ss, sn);
    ctx.cat.dropRelation(ss, sn);
    info.sequences?.delete(col);
  }
  if (info.columns) info.columns = info.columns.filter((x) => x !== col);
}

function planAction(
  ctx: Ctx,
  c: Cursor,
  t: TableTarget,
  kind: ObjectKind,
  p: Plan,
  only: boolean,
): undefined {
  if (c.atEnd()) return;
  const table = t.table;
  if (c.kw('add')) {
    const isColumn = c.kw('column');
    let conName: string | undefined;
    if (!isColumn && c.kw('constraint')) conName = c.ident();
    if (!isColumn) {
      const spec = parseTableConstraint(ctx, c, tableScope(t));
      if (spec) {
        if (conName !== undefined) spec.name = conName;
        addConstraintSpec(p, spec);
        return;
      }
      if (conName !== undefined) {
        scopedObj(ctx, 'constraint', 'create', table, conName);
        return;
      }
    }
    c.kw('if', 'not', 'exists');
    const col = parseColumnDef(ctx, c, true);
    if (!col) return;
    scopedObj(ctx, 'column', 'create', table, col.name);
    p.seqs.push(() => {
      columnSequence(ctx, t, col);
      if (col.identity && t.info) {
        t.info.identity ??= new Set();
        t.info.identity.add(col.name);
      }
    });
    p.addCols.push(() => {
      if (t.info?.columns && !t.info.columns.includes(col.name)) t.info.columns.push(col.name);
      columnExpressions(ctx, { ...t, columns: t.info?.columns }, col);
    });
    for (const s of col.constraints) addConstraintSpec(p, s);
    return;
  }
  if (c.kw('drop')) {
    if (c.kw('constraint')) {
      c.kw('if', 'exists');
      const n = c.ident();
      if (n === undefined) return;
      scopedObj(ctx, 'constraint', 'drop', table, n);
      p.drops.push(() => {
        const info = t.info;
        const con = info ? ctx.cat.dropConstraint(info, n) : undefined;
        if (con?.index !== undefined) scopedObj(ctx, 'index', 'drop', table, con.index);
        if (info && !only) {
          for (const child of ctx.cat.descendants(info)) {
            const cc = child.constraints?.get(n);
            if (cc && cc.type === 'c') {
              scopedObj(ctx, 'constraint', 'drop', [child.schema, child.name], n);
              ctx.cat.dropConstraint(child, n);
            }
          }
        }
      });
      return;
    }
    c.kw('column');
    c.kw('if', 'exists');
    const n = c.ident();
    if (n === undefined) return;
    scopedObj(ctx, 'column', 'drop', table, n);
    p.drops.push(() => dropColumnDependents(ctx, t, n));
    return;
  }
  if (c.kw('alter')) {
    if (c.kw('constraint')) {
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'constraint', 'alter', table, n);
      return;
    }
    c.kw('column');
    const n = c.ident();
    if (n === undefined) return;
    scopedObj(ctx, 'column', 'alter', table, n);
    if (c.kw('set', 'data', 'type') || c.kw('type')) {
      typeRefAt(ctx, c);
      const using = c.findKw(['using']);
      if (using >= 0) {
        const u = c.slice(using + 1, c.end);
        p.types.push(() => scanExpr(ctx, u, tableScope(t)));
      }
      return;
    }
    if (c.kw('set', 'default')) {
      scanExpr(ctx, c.slice(c.pos, c.end), { entries: [] });
      return;
    }
    if (c.kw('add', 'generated')) {
      const col: ColumnSpec = { name: n, serial: false, identity: {}, constraints: [] };
      c.kw('always') || c.kw('by', 'default');
      c.kw('as', 'identity');
      const opts = c.parens();
      while (opts && !opts.atEnd()) {
        if (opts.kw('sequence', 'name')) col.identity = { name: opts.name() };
        else opts.skipOne();
      }
      p.seqs.push(() => {
        columnSequence(ctx, t, col);
        if (t.info) {
          t.info.identity ??= new Set();
          t.info.identity.add(n);
        }
      });
      return;
    }
    if (c.kw('drop', 'identity')) {
      p.attrs.push(() => {
        const seq = t.info?.sequences?.get(n);
        if (seq === undefined || !t.info?.identity?.has(n)) return;
        const [ss, sn] = splitKey(seq);
        namedObj(ctx, 'sequence', 'drop', ss, sn);
        ctx.cat.dropRelation(ss, sn);
        t.info.sequences?.delete(n);
        t.info.identity.delete(n);
      });
      return;
    }
    if (c.kw('set', 'expression', 'as')) {
      const e = c.parens();
      if (e) scanExpr(ctx, e, tableScope(t));
    }
    return;
  }
  if (c.kw('validate', 'constraint')) {
    const n = c.ident();
    if (n !== undefined) scopedObj(ctx, 'constraint', 'alter', table, n);
    return;
  }
  if (c.kw('rename')) {
    const isConstraint = c.kw('constraint');
    if (!isConstraint) c.kw('column');
    const from = c.ident();
    if (from === undefined || !c.kw('to')) return fail(ctx, c, 'RENAME ... TO');
    const to = c.ident();
    const o = scopedObj(ctx, isConstraint ? 'constraint' : 'column', 'rename', table, from);
    if (to === undefined) return;
    renamed(ctx, o, o.schema, to);
    if (!ctx.live || !t.info) return;
    const info = t.info;
    if (isConstraint) {
      const con = ctx.cat.renameConstraint(info, from, to);
      // a constraint's index is renamed with it
      if (con?.index !== undefined) {
        const idx = scopedObj(ctx, 'index', 'rename', table, con.index);
        renamed(ctx, idx, table[0], to);
        const r = ctx.cat.relation(table[0], con.index);
        ctx.cat.renameRelation(table[0], con.index, table[0], to);
        if (r?.index) r.index.constraint = to;
        con.index = to;
      }
    } else {
      if (info.columns) info.columns = info.columns.map((x) => (x === from ? to : x));
      for (const con of info.constraints?.values() ?? []) {
        con.columns = con.columns.map((x) => (x === from ? to : x));
      }
      const seq = info.sequences?.get(from);
      if (seq !== undefined) {
        info.sequences?.delete(from);
        info.sequences?.set(to, seq);
      }
    }
    return;
  }
  if (c.isKw('enable') || c.isKw('disable')) {
    c.next();
    c.kw('replica') || c.kw('always');
    if (c.kw('trigger')) {
      if (c.isKw('all') || c.isKw('user')) return;
      const n = c.ident();
      if (n !== undefined) scopedObj(ctx, 'trigger', 'alter', table, n);
    }
    return;
  }
  if (c.kw('attach', 'partition')) {
    const n = c.name();
    if (!n) return;
    const child = resolve(ctx, n);
    namedObj(ctx, 'table', 'alter', child[0], child[1]);
    p.misc.push(() => {
      if (!t.info) return;
      const ci = ctx.cat.table(child[0], child[1]);
      if (!ci) return;
      t.info.children ??= [];
      t.info.children.push(relKey(child[0], child[1]));
      inheritFromPartitionParent(ctx, t.info, ci);
    });
    return;
  }
  if (c.kw('detach', 'partition')) {
    const n = c.name();
    if (!n) return;
    const child = resolve(ctx, n);
    namedObj(ctx, 'table', 'alter', child[0], child[1]);
    p.misc.push(() => {
      if (t.info?.children) {
        const k = relKey(child[0], child[1]);
        t.info.children = t.info.children.filter((x) => x !== k);
      }
      const ci = ctx.cat.table(child[0], child[1]);
      for (const i of ci?.indexes ?? []) {
        const r = ctx.cat.relation(child[0], i);
        if (r?.index) r.index.parent = undefined;
      }
      // the row triggers it had copied from its parent go
      for (const trig of t.info?.triggers?.keys() ?? []) {
        if (!ci?.triggers?.delete(trig)) continue;
        scopedObj(ctx, 'trigger', 'drop', child, trig);
      }
    });
    return;
  }
  if (c.kw('inherit') || c.kw('no', 'inherit')) {
    const inherit = c.toks[c.pos - 2]?.value !== 'no';
    const n = c.name();
    if (!n) return;
    const parent = resolve(ctx, n);
    namedObj(ctx, 'table', 'reference', parent[0], parent[1]);
    p.misc.push(() => {
      const pi = ctx.cat.table(parent[0], parent[1]);
      if (!pi || !t.info) return;
      const k = relKey(table[0], table[1]);
      pi.children = (pi.children ?? []).filter((x) => x !== k);
      if (inherit) pi.children.push(k);
    });
    return;
  }
  if (c.kw('cluster', 'on') || c.kw('replica', 'identity', 'using', 'index')) {
    const n = c.ident();
    if (n !== undefined) namedObj(ctx, 'index', 'reference', table[0], n);
    return;
  }
  const known = [
    'owner',
    'set',
    'reset',
    'replica',
    'force',
    'no',
    'of',
    'not',
    'alter',
    'options',
    'cluster',
  ];
  if (c.peek()?.type === 'ident' && known.includes(c.peek()?.value ?? '')) return;
  ctx.warnings.push(
    `ALTER ${kind === 'table' ? 'TABLE' : kind.toUpperCase()} action '${c.describe()}' is not analysed`,
  );
}
