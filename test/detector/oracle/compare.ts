/** TEST-ONLY: compares the detector's objects with the oracle's for one statement. */
import { parseScript } from '../../../src/detector/index.js';
import type { DbObject } from '../../../src/detector/types.js';
import { canon, oracleStatements } from './objects.js';

export function detectorCanon(o: DbObject): string {
  return canon({ kind: o.kind, action: o.action, qualified: o.qualified, signature: o.signature });
}

export interface Comparison {
  sql: string;
  supported: boolean;
  /** A DO block or CALL: compared by the catalog replay, not here. */
  skipped?: boolean;
  missing: string[];
  extra: string[];
  indexColumns?: { detector: string[] | undefined; oracle: string[] };
  warnings: string[];
}

function sortedSet(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

/** Compares one script (usually one statement) statement by statement. */
export function compareScript(sql: string): Comparison[] {
  // libpg-query knows no psql meta-commands: blank those lines out for the oracle
  const oracle = oracleStatements(sql.replace(/^[ \t]*\\.*$/gm, ''));
  const det = parseScript(sql);
  const out: Comparison[] = [];
  oracle.forEach((o, i) => {
    const st = det.statements[i];
    const d = sortedSet((st?.objects ?? []).map(detectorCanon));
    const e = o.supported ? sortedSet(o.objects.map(canon)) : [];
    const warnings = det.warnings.filter((w) => w.statement === i).map((w) => w.message);
    const dets = st?.objects ?? [];
    const c: Comparison = {
      sql: st?.text ?? sql,
      supported: o.supported,
      missing: e.filter((x) => !d.includes(x)),
      // a PL/pgSQL body the oracle cannot read adds references only
      extra: d.filter(
        (x) =>
          !e.includes(x) &&
          !(o.bodyUnknown && dets.some((y) => detectorCanon(y) === x && y.action === 'reference')),
      ),
      warnings,
    };
    if (o.live) {
      c.skipped = true;
      c.missing = [];
      c.extra = [];
    }
    if (o.supported && !o.live) {
      const seen = new Set<string>();
      for (const oi of o.objects) {
        if (oi.kind !== 'index' || oi.action !== 'create') continue;
        // the first of two same-named indexes (PostgreSQL refuses the second) stands
        if (seen.has(oi.qualified)) continue;
        seen.add(oi.qualified);
        if (!oi.columns) continue;
        const di = st?.objects.find(
          (x) => x.kind === 'index' && x.action === 'create' && x.qualified === oi.qualified,
        );
        if (JSON.stringify(di?.columns) !== JSON.stringify(oi.columns)) {
          c.indexColumns = { detector: di?.columns, oracle: oi.columns };
        }
      }
    }
    out.push(c);
  });
  if (det.statements.length !== oracle.length) {
    out.push({
      sql,
      supported: true,
      missing: [`${oracle.length} statements`],
      extra: [`${det.statements.length} statements`],
      warnings: [],
    });
  }
  return out;
}
