/**
 * The shadow catalog: what the script itself has created so far, by name only.
 * PostgreSQL chooses the names of implicit objects against its catalog
 * (`users_pkey` becomes `users_pkey1` when that name is taken), copies a
 * parent's indexes, constraints and triggers to a new partition, expands
 * `SELECT *`, and renames a constraint's index with it: the parser asks this
 * catalog instead. It knows nothing of what existed before the script, so in a
 * database that already holds a clashing name PostgreSQL may choose another
 * suffix than we do (see README, "What cannot be known without the catalog").
 */
import type { IndexNameKind, NameMemo } from './naming.js';

export type RelKind =
  | 'table'
  | 'view'
  | 'materialized_view'
  | 'index'
  | 'sequence'
  | 'composite'
  | 'foreign_table';

export interface ConstraintInfo {
  name: string;
  /** p primary key, u unique, x exclusion, c check, f foreign key, t constraint trigger. */
  type: 'p' | 'u' | 'x' | 'c' | 'f' | 't';
  /** Key columns (p, u, f), or the columns a CHECK reads. */
  columns: string[];
  /** p, u, x: the index behind the constraint (named like it). */
  index?: string;
  /** f: the referenced table's key and its columns (empty: its primary key). */
  refTable?: string;
  refColumns?: string[];
  /** c: NO INHERIT (not copied to children). */
  noInherit?: boolean;
}

export interface IndexInfo {
  /** ChooseIndexColumnNames of key and INCLUDE columns: what a clone is named after. */
  columnNames: string[];
  /** Normalised key texts, INCLUDE columns and predicate: equal ones are equivalent indexes. */
  signature: string;
  kind: IndexNameKind;
  /** The constraint the index belongs to (same name), for p/u/x. */
  constraint?: string;
  /** Normalised key texts (DbObject.columns of the index). */
  keyTexts: string[];
  /** Key columns that are plain columns (for key-column references of clones). */
  plainColumns: string[];
  /** The partitioned index this one is attached to. */
  parent?: string;
}

export interface RelationInfo {
  kind: RelKind;
  schema: string;
  name: string;
  /** Tables and views: column names in order; undefined when the statement did not say. */
  columns?: string[];
  /** Tables: constraints by name. */
  constraints?: Map<string, ConstraintInfo>;
  /** Tables: names of their indexes (in the table's schema). */
  indexes?: Set<string>;
  /** Tables: row triggers (with their function), copied to new partitions. */
  triggers?: Map<string, string[] | undefined>;
  /** Tables: sequences owned by their columns (serial, identity, OWNED BY), column → sequence key. */
  sequences?: Map<string, string>;
  /** Tables: identity columns (their sequence goes with DROP IDENTITY). */
  identity?: Set<string>;
  /** PARTITION BY given. */
  partitioned?: boolean;
  /** Partitions and inheritance children (keys). */
  children?: string[];
  /** Indexes: the table (key) and the index's definition. */
  table?: string;
  index?: IndexInfo;
}

export function relKey(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

export class ShadowCatalog {
  /** pg_class names, by `schema\0name`. */
  declare readonly relations: Map<string, RelationInfo>;
  /** pg_constraint names per schema (they are unique per table, but generated names avoid the whole schema). */
  declare private readonly constraintNames: Map<string, number>;
  /** Procedures the script created, by `schema\0name`: CALL runs their body now. */
  declare readonly procedures: Map<
    string,
    { language: string; body: string; schema: string; vars: string[] }
  >;
  declare readonly types: Map<string, 'enum' | 'domain' | 'composite' | 'range' | 'base'>;
  /** Extension name → schema it was created in. */
  declare readonly extensions: Map<string, string>;
  /** Where name searches may start (naming.ts); cleared whenever a name may have been freed. */
  declare readonly memo: NameMemo;

  constructor() {
    this.memo = new Map();
    this.relations = new Map();
    this.constraintNames = new Map();
    this.procedures = new Map();
    this.types = new Map();
    this.extensions = new Map();
  }

  relation(schema: string, name: string): RelationInfo | undefined {
    return this.relations.get(relKey(schema, name));
  }

  table(schema: string, name: string): RelationInfo | undefined {
    const r = this.relations.get(relKey(schema, name));
    return r && (r.kind === 'table' || r.kind === 'foreign_table') ? r : undefined;
  }

  relationTaken(schema: string, name: string): boolean {
    return this.relations.has(relKey(schema, name));
  }

  constraintTaken(schema: string, name: string): boolean {
    return (this.constraintNames.get(relKey(schema, name)) ?? 0) > 0;
  }

  /** ChooseRelationName's test: a relation of that name, or for constraint indexes also a constraint. */
  takenFor(schema: string, isConstraint: boolean): (name: string) => boolean {
    return (n) =>
      this.relationTaken(schema, n) || (isConstraint && this.constraintTaken(schema, n));
  }

  addRelation(info: RelationInfo): RelationInfo {
    const key = relKey(info.schema, info.name);
    this.relations.set(key, info);
    return info;
  }

  addTable(schema: string, name: string, columns: string[] | undefined): RelationInfo {
    return this.addRelation({
      kind: 'table',
      schema,
      name,
      columns,
      constraints: new Map(),
      indexes: new Set(),
      triggers: new Map(),
      sequences: new Map(),
    });
  }

  addConstraint(table: RelationInfo, c: ConstraintInfo): void {
    table.constraints ??= new Map();
    if (table.constraints.has(c.name)) return;
    table.constraints.set(c.name, c);
    const k = relKey(table.schema, c.name);
    this.constraintNames.set(k, (this.constraintNames.get(k) ?? 0) + 1);
  }

  /** A domain's constraint: only its name matters (schema-wide de-duplication). */
  addDomainConstraint(schema: string, name: string): void {
    const k = relKey(schema, name);
    this.constraintNames.set(k, (this.constraintNames.get(k) ?? 0) + 1);
  }

  dropConstraint(table: RelationInfo, name: string): ConstraintInfo | undefined {
    const c = table.constraints?.get(name);
    if (!c) return undefined;
    this.memo.clear();
    table.constraints?.delete(name);
    const k = relKey(table.schema, name);
    const n = (this.constraintNames.get(k) ?? 1) - 1;
    if (n > 0) this.constraintNames.set(k, n);
    else this.constraintNames.delete(k);
    if (c.index !== undefined) this.dropRelation(table.schema, c.index);
    return c;
  }

  renameConstraint(table: RelationInfo, from: string, to: string): ConstraintInfo | undefined {
    const c = table.constraints?.get(from);
    if (!c) return undefined;
    this.memo.clear();
    table.constraints?.delete(from);
    this.decConstraint(table.schema, from);
    c.name = to;
    table.constraints?.set(to, c);
    const k = relKey(table.schema, to);
    this.constraintNames.set(k, (this.constraintNames.get(k) ?? 0) + 1);
    return c;
  }

  private decConstraint(schema: string, name: string): void {
    const k = relKey(schema, name);
    const n = (this.constraintNames.get(k) ?? 1) - 1;
    if (n > 0) this.constraintNames.set(k, n);
    else this.constraintNames.delete(k);
  }

  addIndex(table: RelationInfo, name: string, index: IndexInfo): RelationInfo {
    table.indexes ??= new Set();
    table.indexes.add(name);
    return this.addRelation({
      kind: 'index',
      schema: table.schema,
      name,
      table: relKey(table.schema, table.name),
      index,
    });
  }

  /** Drops a relation and what goes with it: a table's indexes, constraints and owned sequences. */
  dropRelation(schema: string, name: string): RelationInfo | undefined {
    const key = relKey(schema, name);
    const r = this.relations.get(key);
    if (!r) return undefined;
    this.memo.clear();
    this.relations.delete(key);
    if (r.kind === 'index' && r.table !== undefined) {
      this.relations.get(r.table)?.indexes?.delete(name);
    }
    if (r.kind === 'table' || r.kind === 'foreign_table') {
      for (const c of r.constraints?.values() ?? []) this.decConstraint(schema, c.name);
      for (const i of r.indexes ?? []) this.relations.delete(relKey(schema, i));
      for (const s of r.sequences?.values() ?? []) this.relations.delete(s);
      for (const other of this.relations.values()) {
        if (other.children) other.children = other.children.filter((k) => k !== key);
      }
    }
    return r;
  }

  renameRelation(schema: string, name: string, newSchema: string, newName: string): void {
    const key = relKey(schema, name);
    const r = this.relations.get(key);
    if (!r) return;
    this.memo.clear();
    this.relations.delete(key);
    r.schema = newSchema;
    r.name = newName;
    const nk = relKey(newSchema, newName);
    this.relations.set(nk, r);
    if (r.kind === 'index' && r.table !== undefined) {
      const t = this.relations.get(r.table);
      if (t?.indexes) {
        t.indexes.delete(name);
        t.indexes.add(newName);
      }
      return;
    }
    if (nk === key) return;
    for (const other of this.relations.values()) {
      if (other.table === key) other.table = nk;
      if (other.children) other.children = other.children.map((k) => (k === key ? nk : k));
      for (const c of other.constraints?.values() ?? []) if (c.refTable === key) c.refTable = nk;
    }
    if (schema !== newSchema && (r.kind === 'table' || r.kind === 'foreign_table')) {
      // indexes and owned sequences move with their table
      for (const i of r.indexes ?? []) {
        const ir = this.relations.get(relKey(schema, i));
        if (ir) {
          this.relations.delete(relKey(schema, i));
          ir.schema = newSchema;
          ir.table = nk;
          this.relations.set(relKey(newSchema, i), ir);
        }
      }
      for (const c of r.constraints?.values() ?? []) {
        this.decConstraint(schema, c.name);
        const k = relKey(newSchema, c.name);
        this.constraintNames.set(k, (this.constraintNames.get(k) ?? 0) + 1);
      }
      const seqs = new Map<string, string>();
      for (const [col, s] of r.sequences ?? []) {
        const sr = this.relations.get(s);
        if (sr) {
          this.relations.delete(s);
          sr.schema = newSchema;
          const sk = relKey(newSchema, sr.name);
          this.relations.set(sk, sr);
          seqs.set(col, sk);
        }
      }
      r.sequences = seqs;
    }
  }

  /** Every key of a relation's partitions and children, recursively. */
  descendants(table: RelationInfo): RelationInfo[] {
    const out: RelationInfo[] = [];
    const seen = new Set<string>();
    const walk = (t: RelationInfo) => {
      for (const k of t.children ?? []) {
        if (seen.has(k)) continue;
        seen.add(k);
        const c = this.relations.get(k);
        if (c) {
          out.push(c);
          walk(c);
        }
      }
    };
    walk(table);
    return out;
  }

  /** The table (if any) whose FK-referenced key this is, for `REFERENCES t` without columns. */
  primaryKey(table: RelationInfo): string[] | undefined {
    for (const c of table.constraints?.values() ?? []) if (c.type === 'p') return c.columns;
    return undefined;
  }
}
