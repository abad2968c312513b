/**
 * TEST-ONLY: PostgreSQL itself as the oracle. Replays a script statement by
 * statement in a scratch database, snapshots the catalog around every
 * statement, and compares the difference with what pggit says the statement
 * creates, drops, renames and references.
 *
 * The catalog, normalised to pggit's object model (qualified names):
 * pg_namespace (schema), pg_extension (extension), pg_class (table, view,
 * materialized_view, sequence, index; composite types as type), pg_attribute
 * (local columns of tables), pg_constraint (table and domain constraints),
 * pg_trigger (not internal), pg_policy, pg_proc (function, with its input
 * argument types), pg_type (enum, domain, range, multirange, composite, base,
 * shell). Left out as implementation details of another object: array types,
 * table row types, TOAST tables, RI triggers, range constructor functions,
 * inherited (non-local) columns, and every member of an extension.
 *
 * Objects are matched by kind and qualified name; what disappears and appears
 * with the same OID (or, for columns, constraints, triggers and policies, the
 * same owner and OID) is a rename. A drop is "cascaded" when the object
 * depended (pg_depend) on another object dropped by the same statement, or
 * belonged to a dropped table: pggit need not list those.
 */
import type pg from 'pg';
import { quoteIdent } from '../../../src/detector/index.js';

export interface CatalogObject {
  key: string; // kind + qualified (+ signature)
  kind: string;
  qualified: string;
  oid: string; // identity across renames
  /** Owner (table) OID for table-scoped objects. */
  owner?: string;
  /** A column inherited from a parent (not local): part of the parent's definition. */
  inherited?: boolean;
  signature?: string;
}

export interface Snapshot {
  objects: Map<string, CatalogObject>;
  /** pg_depend edges among user objects: dependent oid → referenced oids. */
  depends: Map<string, Set<string>>;
  /** Every relation column (all relkinds), for checking that a reference names a real column. */
  allColumns: Set<string>;
  /** Dependencies by name: `dependent>referenced` (names survive the rebuilds of ALTER COLUMN TYPE). */
  deps: Set<string>;
  /** The same by OIDs (names change with renames). */
  depIds: Set<string>;

  /** oid (+subid) → kind/qualified of referencable objects, to name dependency targets. */
  names: Map<string, { kind: string; qualified: string }>;
}

const SNAPSHOT_SQL = `
WITH ns AS (
  SELECT oid, CASE WHEN nspname LIKE 'pg_temp%' THEN 'pg_temp' ELSE nspname END AS nspname
    FROM pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND nspname NOT LIKE 'pg_toast_temp%'
), ext AS (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), rel AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
   WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
)
SELECT json_build_object(
  'schemas', (SELECT coalesce(json_agg(json_build_array(oid, nspname)), '[]') FROM ns
               WHERE nspname NOT LIKE 'pg_temp%' AND nspname <> 'pg_temp'),
  'extensions', (SELECT coalesce(json_agg(json_build_array(oid, extname)), '[]') FROM pg_extension
               WHERE extname NOT IN ('plpgsql', 'plv8', 'plv8_compat')),
  'rels', (SELECT coalesce(json_agg(json_build_array(r.oid, r.nspname, r.relname, r.relkind,
              ti.nspname, ti.relname, ti.oid)), '[]')
             FROM rel r LEFT JOIN pg_index i ON i.indexrelid = r.oid
             LEFT JOIN rel ti ON ti.oid = i.indrelid
            WHERE r.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'f')),
  'columns', (SELECT coalesce(json_agg(json_build_array(r.oid, r.nspname, r.relname, a.attname, a.attislocal, r.relkind, a.attnum)), '[]')
             FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid
            WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND a.attnum > 0 AND NOT a.attisdropped),
  'constraints', (SELECT coalesce(json_agg(json_build_array(co.oid, co.conname, co.contype,
              coalesce(r.nspname, tn.nspname), coalesce(r.relname, t.typname), coalesce(r.oid, t.oid), co.contypid <> 0)), '[]')
             FROM pg_constraint co
             LEFT JOIN rel r ON r.oid = co.conrelid AND co.conrelid <> 0
             LEFT JOIN pg_type t ON t.oid = co.contypid AND co.contypid <> 0
             LEFT JOIN ns tn ON tn.oid = t.typnamespace
            WHERE (r.oid IS NOT NULL OR tn.oid IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = co.contypid)),
  'triggers', (SELECT coalesce(json_agg(json_build_array(tg.oid, tg.tgname, r.nspname, r.relname, r.oid)), '[]')
             FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal),
  'policies', (SELECT coalesce(json_agg(json_build_array(po.oid, po.polname, r.nspname, r.relname, r.oid)), '[]')
             FROM pg_policy po JOIN rel r ON r.oid = po.polrelid),
  'functions', (SELECT coalesce(json_agg(json_build_array(p.oid, n.nspname, p.proname,
              (SELECT coalesce(string_agg(format_type(x.t, NULL), ',' ORDER BY x.ord), '')
                 FROM unnest(p.proargtypes) WITH ORDINALITY AS x(t, ord)))), '[]')
             FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
            WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                AND d.objid = p.oid AND d.deptype = 'i')),
  'types', (SELECT coalesce(json_agg(json_build_array(t.oid, n.nspname, t.typname, t.typtype)), '[]')
             FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
            WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
              AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
              AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))),
  'attrdefs', (SELECT coalesce(json_agg(json_build_array(d.oid, d.adrelid, d.adnum)), '[]') FROM pg_attrdef d),
  'rewrites', (SELECT coalesce(json_agg(json_build_array(w.oid, w.ev_class)), '[]') FROM pg_rewrite w WHERE w.oid >= 16384),
  'depends', (SELECT coalesce(json_agg(json_build_array(d.classid::regclass::text, d.objid, d.objsubid,
              d.refclassid::regclass::text, d.refobjid, d.refobjsubid, d.deptype)), '[]')
             FROM pg_depend d
            WHERE d.deptype IN ('n', 'a', 'i', 'P', 'S')
              AND d.refobjid >= 16384 AND d.objid >= 16384)
)::text AS j`;

type Row = (string | number | boolean | null)[];

function q(...parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}

const MEMBERS_SQL = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS k
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT 'function ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '()'
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)`;

/** The objects extensions hold (not compared, but they exist for references). */
export async function extensionMembers(client: pg.ClientBase): Promise<string[]> {
  return (await client.query<{ k: string }>(MEMBERS_SQL)).rows.map((r) => r.k);
}

export async function snapshot(client: pg.ClientBase): Promise<Snapshot> {
  const res = await client.query<{ j: string }>(SNAPSHOT_SQL);
  const j = JSON.parse(res.rows[0]?.j ?? '{}') as Record<string, Row[]>;
  const objects = new Map<string, CatalogObject>();
  const names = new Map<string, { kind: string; qualified: string }>();
  const allColumns = new Set<string>();
  const add = (o: CatalogObject) => objects.set(o.key, o);
  for (const [oid, name] of j.schemas ?? []) {
    const qn = q(String(name));
    add({ key: `schema ${qn}`, kind: 'schema', qualified: qn, oid: String(oid) });
  }
  for (const [oid, name] of j.extensions ?? []) {
    const qn = q(String(name));
    add({ key: `extension ${qn}`, kind: 'extension', qualified: qn, oid: String(oid) });
  }
  const relKinds: Record<string, string> = {
    r: 'table',
    p: 'table',
    f: 'table',
    v: 'view',
    m: 'materialized_view',
    S: 'sequence',
    i: 'index',
    I: 'index',
  };
  for (const [oid, s, n, k, ts, tn, toid] of j.rels ?? []) {
    const kind = relKinds[String(k)] as string;
    const qn = q(String(s), String(n));
    const o: CatalogObject = { key: `${kind} ${qn}`, kind, qualified: qn, oid: String(oid) };
    if (kind === 'index' && ts !== null) o.owner = String(toid);
    add(o);
    names.set(`pg_class:${oid}:0`, { kind, qualified: qn });
    void tn;
  }
  for (const [oid, s, n, col, local, relkind, attnum] of j.columns ?? []) {
    const qn = q(String(s), String(n), String(col));
    allColumns.add(qn);
    names.set(`pg_class:${oid}:${attnum}`, { kind: 'column', qualified: qn });
    if (relkind === 'c') continue;
    if (!['r', 'p', 'f'].includes(String(relkind))) continue;
    add({
      key: `column ${qn}`,
      kind: 'column',
      qualified: qn,
      oid: `${oid}.${attnum}`,
      owner: String(oid),
      inherited: !local,
    });
  }
  for (const [oid, name, , s, t, owner, domain] of j.constraints ?? []) {
    const qn = q(String(s), String(t), String(name));
    add({
      key: `constraint ${qn}`,
      kind: 'constraint',
      qualified: qn,
      oid: String(oid),
      owner: `${domain ? 't' : 'r'}${owner}`,
    });
  }
  for (const [oid, name, s, t, owner] of j.triggers ?? []) {
    const qn = q(String(s), String(t), String(name));
    add({
      key: `trigger ${qn}`,
      kind: 'trigger',
      qualified: qn,
      oid: String(oid),
      owner: String(owner),
    });
  }
  for (const [oid, name, s, t, owner] of j.policies ?? []) {
    const qn = q(String(s), String(t), String(name));
    add({
      key: `policy ${qn}`,
      kind: 'policy',
      qualified: qn,
      oid: String(oid),
      owner: String(owner),
    });
  }
  for (const [oid, s, n, sig] of j.functions ?? []) {
    const qn = q(String(s), String(n));
    add({
      key: `function ${qn}(${sig})`,
      kind: 'function',
      qualified: qn,
      oid: String(oid),
      signature: String(sig),
    });
    names.set(`pg_proc:${oid}:0`, { kind: 'function', qualified: qn });
  }
  for (const [oid, s, n] of j.types ?? []) {
    const qn = q(String(s), String(n));
    add({ key: `type ${qn}`, kind: 'type', qualified: qn, oid: String(oid) });
    names.set(`pg_type:${oid}:0`, { kind: 'type', qualified: qn });
  }
  // names of dependents
  const dependents = new Map<string, string>();
  for (const o of objects.values()) {
    if (o.kind === 'constraint') dependents.set(`pg_constraint:${o.oid}`, o.key);
    if (o.kind === 'trigger') dependents.set(`pg_trigger:${o.oid}`, o.key);
    if (o.kind === 'policy') dependents.set(`pg_policy:${o.oid}`, o.key);
  }
  for (const [k, v] of names) dependents.set(k.replace(/:0$/, ''), `${v.kind} ${v.qualified}`);
  for (const [oid, rel, num] of j.attrdefs ?? []) {
    const col = names.get(`pg_class:${rel}:${num}`);
    if (col) dependents.set(`pg_attrdef:${oid}`, `default ${col.qualified}`);
  }
  for (const [oid, rel] of j.rewrites ?? []) {
    const v = names.get(`pg_class:${rel}:0`);
    if (v) dependents.set(`pg_rewrite:${oid}`, `rule ${v.qualified}`);
  }
  const depends = new Map<string, Set<string>>();
  const deps = new Set<string>();
  const depIds = new Set<string>();
  for (const [cls, objid, objsub, refcls, refobjid, refsub, deptype] of j.depends ?? []) {
    const from = `${cls}:${objid}`;
    const to = `${refcls}:${refobjid}`;
    let s = depends.get(from);
    if (!s) {
      s = new Set();
      depends.set(from, s);
    }
    s.add(to);
    if (deptype === 'n' || deptype === 'a') {
      const dn =
        dependents.get(from) ??
        (objsub
          ? names.get(`${cls}:${objid}:${objsub}`) &&
            `column ${names.get(`${cls}:${objid}:${objsub}`)?.qualified}`
          : undefined);
      const rn = names.get(`${refcls}:${refobjid}:${refsub}`);
      if (dn && rn) {
        deps.add(`${dn}>${rn.kind} ${rn.qualified}`);
        depIds.add(
          `${cls}:${objid}:${objsub}>${refcls}:${refobjid}:${refsub}\u0000${dn}>${rn.kind} ${rn.qualified}`,
        );
      }
    }
  }
  return { objects, depends, allColumns, deps, depIds, names };
}

export interface StatementDiff {
  created: CatalogObject[];
  dropped: CatalogObject[];
  /** Root drops: not cascaded from another drop of the same statement. */
  rootDropped: CatalogObject[];
  renamed: [CatalogObject, CatalogObject][];
  /** Objects that existed before the statement and that new dependency rows point at. */
  referenced: { kind: string; qualified: string }[];
}

function classOf(o: CatalogObject): string {
  switch (o.kind) {
    case 'table':
    case 'view':
    case 'materialized_view':
    case 'sequence':
    case 'index':
    case 'column':
      return 'pg_class';
    case 'function':
      return 'pg_proc';
    case 'type':
      return 'pg_type';
    case 'constraint':
      return 'pg_constraint';
    case 'trigger':
      return 'pg_trigger';
    case 'policy':
      return 'pg_policy';
    case 'schema':
      return 'pg_namespace';
    case 'extension':
      return 'pg_extension';
    default:
      return '';
  }
}

/** Identity of an object across a rename. */
function identity(o: CatalogObject): string {
  return `${o.kind}:${o.oid}`;
}

export function diff(before: Snapshot, after: Snapshot): StatementDiff {
  const goneRaw: CatalogObject[] = [];
  const newRaw: CatalogObject[] = [];
  for (const [k, o] of before.objects) if (!after.objects.has(k)) goneRaw.push(o);
  for (const [k, o] of after.objects) if (!before.objects.has(k)) newRaw.push(o);
  // renames: same identity, different name
  const newById = new Map<string, CatalogObject>();
  for (const o of newRaw) newById.set(identity(o), o);
  const renamed: [CatalogObject, CatalogObject][] = [];
  const dropped: CatalogObject[] = [];
  const renamedNew = new Set<CatalogObject>();
  for (const o of goneRaw) {
    const n = newById.get(identity(o));
    if (n) {
      renamed.push([o, n]);
      renamedNew.add(n);
    } else dropped.push(o);
  }
  const created = newRaw.filter((o) => !renamedNew.has(o));
  // cascaded drops
  const droppedIds = new Set<string>();
  for (const o of dropped) droppedIds.add(`${classOf(o)}:${o.oid.split('.')[0]}`);
  const droppedOwners = new Set(
    dropped
      .filter((o) => o.kind === 'table' || o.kind === 'view' || o.kind === 'materialized_view')
      .map((o) => o.oid),
  );
  const droppedTypes = new Set(dropped.filter((o) => o.kind === 'type').map((o) => `t${o.oid}`));
  const rootDropped = dropped.filter((o) => {
    if (
      o.owner !== undefined &&
      (droppedOwners.has(o.owner.replace(/^[rt]/, '')) || droppedTypes.has(o.owner))
    )
      return false;
    const self = `${classOf(o)}:${o.oid.split('.')[0]}`;
    const on = before.depends.get(self);
    if (on) for (const x of on) if (x !== self && droppedIds.has(x)) return false;
    return true;
  });
  // references: new dependencies on objects that existed before the statement
  const referenced: { kind: string; qualified: string }[] = [];
  const existed = new Set<string>();
  for (const v of before.names.values()) existed.add(`${v.kind} ${v.qualified}`);
  const seenRef = new Set<string>();
  const beforeIds = new Set<string>();
  for (const x of before.depIds) beforeIds.add(x.slice(0, x.indexOf('\u0000')));
  for (const x of after.depIds) {
    const sep = x.indexOf('\u0000');
    const d = x.slice(sep + 1);
    if (before.deps.has(d) || beforeIds.has(x.slice(0, sep))) continue;
    const to = d.slice(d.indexOf('>') + 1);
    if (!existed.has(to) || seenRef.has(to)) continue;
    seenRef.add(to);
    const sp = to.indexOf(' ');
    const kind = to.slice(0, sp);
    if (kind === 'index') continue;
    referenced.push({ kind, qualified: to.slice(sp + 1) });
  }
  return { created, dropped, rootDropped, renamed, referenced };
}
