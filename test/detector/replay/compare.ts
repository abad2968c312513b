/**
 * TEST-ONLY: replays scripts in scratch databases and compares, statement by
 * statement, PostgreSQL's catalog difference (catalog.ts) with pggit's objects.
 */
import pg from 'pg';
import { type DbObject, parseScript } from '../../../src/detector/index.js';
import { diff, extensionMembers, type Snapshot, snapshot } from './catalog.js';

export interface History {
  name: string;
  /** Run first, not compared (roles, schemas and tables a style assumes exist). */
  preamble?: string;
  sql: string;
}

export interface StatementReport {
  history: string;
  index: number;
  sql: string;
  /** The statement created, dropped or renamed something (a DDL statement). */
  ddl: boolean;
  missing: string[];
  invented: string[];
  missingDrops: string[];
  inventedDrops: string[];
  missingRenames: string[];
  inventedRenames: string[];
  wrongAlters: string[];
  wrongReferences: string[];
  referencesFound: number;
  referencesMissed: string[];
  error?: string;
}

export interface ReplayTotals {
  statements: number;
  ddl: number;
  createdAgree: number;
  fullAgree: number;
  created: number;
  missing: number;
  invented: number;
  missingDrops: number;
  inventedDrops: number;
  missingRenames: number;
  inventedRenames: number;
  wrongAlters: number;
  wrongReferences: number;
  pggitReferences: number;
  catalogReferences: number;
  referencesFound: number;
  errors: number;
}

function key(o: DbObject): string {
  return o.kind === 'function'
    ? `function ${o.qualified}(${o.signature ?? ''})`
    : `${o.kind} ${o.qualified}`;
}

const REL_KINDS = ['table', 'view', 'materialized_view'];

function exists(o: DbObject, seen: Set<string>, columns: Set<string>): boolean {
  if (o.kind === 'column') return columns.has(o.qualified);
  if (o.kind === 'table') return REL_KINDS.some((k) => seen.has(`${k} ${o.qualified}`));
  if (o.kind === 'function') {
    for (const k of seen) if (k.startsWith(`function ${o.qualified}(`)) return true;
    return false;
  }
  if (o.kind === 'type') {
    // a table's row type is a type too
    return (
      seen.has(`type ${o.qualified}`) || REL_KINDS.some((k) => seen.has(`${k} ${o.qualified}`))
    );
  }
  return seen.has(`${o.kind} ${o.qualified}`);
}

/** Replays one history in the database `url` (which it leaves with the history's objects). */
export async function replayHistory(url: string, h: History): Promise<StatementReport[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on('notice', () => {});
  const reports: StatementReport[] = [];
  try {
    if (h.preamble) await client.query(h.preamble);
    const parsed = parseScript(h.sql);
    let before: Snapshot = await snapshot(client);
    const snaps: Snapshot[] = [before];
    const pending: { report: StatementReport; objects: DbObject[] }[] = [];
    for (const st of parsed.statements) {
      const report: StatementReport = {
        history: h.name,
        index: st.index,
        sql: st.text,
        ddl: false,
        missing: [],
        invented: [],
        missingDrops: [],
        inventedDrops: [],
        missingRenames: [],
        inventedRenames: [],
        wrongAlters: [],
        wrongReferences: [],
        referencesFound: 0,
        referencesMissed: [],
      };
      reports.push(report);
      if (/^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(st.text)) continue;
      try {
        await client.query(st.text);
      } catch (e) {
        report.error = e instanceof Error ? e.message : String(e);
        await client.query('ROLLBACK').catch(() => {});
        break;
      }
      const after = await snapshot(client);
      snaps.push(after);
      const d = diff(before, after);
      const objs = st.objects;
      report.ddl = d.created.length + d.dropped.length + d.renamed.length > 0;
      // created
      const pgCreated = new Set(d.created.filter((o) => !o.inherited).map((o) => o.key));
      const ours = new Set(objs.filter((o) => o.action === 'create').map(key));
      for (const k of pgCreated) if (!ours.has(k)) report.missing.push(k);
      for (const k of ours) {
        if (pgCreated.has(k) || after.objects.has(k)) continue;
        report.invented.push(k);
      }
      // drops
      const pgDropped = new Set(d.dropped.map((o) => o.key));
      const ourDrops = new Set(objs.filter((o) => o.action === 'drop').map(key));
      for (const o of d.rootDropped) if (!ourDrops.has(o.key)) report.missingDrops.push(o.key);
      for (const k of ourDrops) {
        const ourFn = k.startsWith('function ') && k.endsWith('()') ? k : undefined;
        if (pgDropped.has(k)) continue;
        // dropped and created again by the same statement (a new OID under the same name)
        if (after.objects.has(k) && before.objects.get(k)?.oid !== after.objects.get(k)?.oid)
          continue;
        // DROP FUNCTION f without arguments, or IF EXISTS of something absent
        if (
          k.startsWith('function ') &&
          [...pgDropped].some((x) => x.startsWith(k.replace(/\(.*$/, '(')))
        )
          continue;
        if (!before.objects.has(k) && !ourFn) {
          const o = objs.find((x) => key(x) === k);
          if (o && !exists(o, new Set(before.objects.keys()), before.allColumns)) continue;
        }
        report.inventedDrops.push(k);
      }
      // renames
      const ourRenames = new Set(objs.filter((o) => o.action === 'rename').map(key));
      for (const [o, n] of d.renamed) {
        if (o.owner !== undefined && o.kind !== 'index') {
          const last = (s: string) => s.slice(s.lastIndexOf('.') + 1);
          if (last(o.qualified) === last(n.qualified)) continue; // its table was renamed
        }
        if (!ourRenames.has(o.key) || !ourRenames.has(n.key))
          report.missingRenames.push(`${o.key} -> ${n.key}`);
      }
      const pgRenamed = new Set(d.renamed.flatMap(([o, n]) => [o.key, n.key]));
      for (const k of ourRenames) {
        if (pgRenamed.has(k)) continue;
        if (
          k.startsWith('function ') &&
          [...pgRenamed].some((x) => x.startsWith(k.replace(/\(.*$/, '(')))
        )
          continue;
        report.inventedRenames.push(k);
      }
      // alters name objects that exist
      const beforeKeys = new Set(before.objects.keys());
      for (const o of objs) {
        if (o.action !== 'alter') continue;
        if (
          !exists(o, beforeKeys, before.allColumns) &&
          !exists(o, new Set(after.objects.keys()), after.allColumns)
        )
          report.wrongAlters.push(key(o));
      }
      // references named by the catalog
      for (const r of d.referenced) {
        const hit = objs.some(
          (o) =>
            (o.qualified === r.qualified &&
              (o.kind === r.kind || (o.kind === 'table' && REL_KINDS.includes(r.kind)))) ||
            (o.table === r.qualified && REL_KINDS.includes(r.kind)),
        );
        if (hit) report.referencesFound++;
        else report.referencesMissed.push(`${r.kind} ${r.qualified}`);
      }
      pending.push({ report, objects: objs });
      before = after;
    }
    // references must name objects that exist at some point of the history
    const seen = new Set<string>();
    const columns = new Set<string>();
    for (const s of snaps) {
      for (const k of s.objects.keys()) seen.add(k);
      for (const c of s.allColumns) columns.add(c);
    }
    const catalog = await client.query<{ k: string }>(
      `SELECT 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS k
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('pg_catalog', 'information_schema')
       UNION ALL
       SELECT 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
        WHERE n.nspname IN ('pg_catalog', 'information_schema')`,
    );
    for (const k of await extensionMembers(client)) seen.add(k);
    for (const r of catalog.rows) {
      if (r.k.startsWith('column ')) columns.add(r.k.slice(7));
      else seen.add(r.k);
    }
    for (const { report, objects } of pending) {
      for (const o of objects) {
        if (o.action !== 'reference') continue;
        if (!exists(o, seen, columns)) report.wrongReferences.push(key(o));
      }
    }
  } finally {
    await client.end();
  }
  return reports;
}

export function totals(reports: StatementReport[]): ReplayTotals {
  const t: ReplayTotals = {
    statements: reports.length,
    ddl: 0,
    createdAgree: 0,
    fullAgree: 0,
    created: 0,
    missing: 0,
    invented: 0,
    missingDrops: 0,
    inventedDrops: 0,
    missingRenames: 0,
    inventedRenames: 0,
    wrongAlters: 0,
    wrongReferences: 0,
    pggitReferences: 0,
    catalogReferences: 0,
    referencesFound: 0,
    errors: 0,
  };
  for (const r of reports) {
    if (r.error) t.errors++;
    t.missing += r.missing.length;
    t.invented += r.invented.length;
    t.missingDrops += r.missingDrops.length;
    t.inventedDrops += r.inventedDrops.length;
    t.missingRenames += r.missingRenames.length;
    t.inventedRenames += r.inventedRenames.length;
    t.wrongAlters += r.wrongAlters.length;
    t.wrongReferences += r.wrongReferences.length;
    t.catalogReferences += r.referencesFound + r.referencesMissed.length;
    t.referencesFound += r.referencesFound;
    if (!r.ddl) continue;
    t.ddl++;
    const createdOk = r.missing.length === 0 && r.invented.length === 0;
    if (createdOk) t.createdAgree++;
    if (
      createdOk &&
      r.missingDrops.length +
        r.inventedDrops.length +
        r.missingRenames.length +
        r.inventedRenames.length ===
        0
    )
      t.fullAgree++;
  }
  return t;
}

/** The disagreements, one line each, for failure messages. */
export function describe(reports: StatementReport[], max = 40): string[] {
  const out: string[] = [];
  for (const r of reports) {
    const parts: string[] = [];
    if (r.error) parts.push(`ERROR ${r.error}`);
    if (r.missing.length) parts.push(`missing ${r.missing.join(', ')}`);
    if (r.invented.length) parts.push(`invented ${r.invented.join(', ')}`);
    if (r.missingDrops.length) parts.push(`missing drops ${r.missingDrops.join(', ')}`);
    if (r.inventedDrops.length) parts.push(`invented drops ${r.inventedDrops.join(', ')}`);
    if (r.missingRenames.length) parts.push(`missing renames ${r.missingRenames.join(', ')}`);
    if (r.inventedRenames.length) parts.push(`invented renames ${r.inventedRenames.join(', ')}`);
    if (r.wrongAlters.length) parts.push(`alters of nothing ${r.wrongAlters.join(', ')}`);
    if (r.wrongReferences.length)
      parts.push(`references to nothing ${r.wrongReferences.join(', ')}`);
    if (parts.length === 0) continue;
    out.push(
      `${r.history} #${r.index + 1}: ${r.sql.replace(/\s+/g, ' ').slice(0, 160)}\n    ${parts.join('\n    ')}`,
    );
    if (out.length >= max) break;
  }
  return out;
}
