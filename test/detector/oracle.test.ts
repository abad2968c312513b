/**
 * ORACLE test: the detector's object sets must equal those derived from
 * PostgreSQL's real parse tree (libpg-query) — for 2,000 generated statements
 * (fixed seed), for hand-written Prisma / Drizzle / Django / pg_dump+Rails
 * migrations, and for the whole replay corpus (test/detector/corpus: thousands
 * of statements in every ORM style; full-object agreement >= 99.9%). Compared per statement on (kind, action, qualified name,
 * function signature) and on plain index key columns. Statement kinds the
 * oracle does not model must produce a warning and no objects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScript } from '../../src/detector/index.js';
import { corpus } from './corpus/index.js';
import { type Comparison, compareScript } from './oracle/compare.js';
import { statement } from './oracle/generators.js';
import { loadModule } from './oracle/objects.js';

const SEED = 20260101;
const GENERATED = 2000;
const CORPUS = ['prisma.sql', 'drizzle.sql', 'django.sql', 'pgdump_rails.sql', 'edge_cases.sql'];

beforeAll(async () => {
  await loadModule();
});

function summarise(results: Comparison[]) {
  const supported = results.filter((c) => c.supported && !c.skipped);
  const disagreements = supported.filter(
    (c) => c.missing.length > 0 || c.extra.length > 0 || c.indexColumns,
  );
  const unsupportedWithoutWarning = results.filter(
    (c) => !c.supported && !c.skipped && (c.warnings.length === 0 || c.extra.length > 0),
  );
  return { supported, disagreements, unsupportedWithoutWarning };
}

describe('oracle agreement', () => {
  it(`agrees with libpg-query on ${GENERATED} generated statements`, () => {
    const samples = fc.sample(statement, { seed: SEED, numRuns: GENERATED });
    const results: Comparison[] = [];
    for (const sql of samples) results.push(...compareScript(sql));
    const { supported, disagreements, unsupportedWithoutWarning } = summarise(results);
    expect(results.length).toBe(GENERATED);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(unsupportedWithoutWarning).toEqual([]);
    const agreement = (100 * (supported.length - disagreements.length)) / supported.length;
    expect(agreement).toBe(100);
  });

  it('agrees on generated multi-statement scripts (statement splitting included)', () => {
    const scripts = fc.sample(fc.array(statement, { minLength: 2, maxLength: 6 }), {
      seed: SEED + 1,
      numRuns: 100,
    });
    for (const stmts of scripts) {
      const sql = `${stmts.join(';\n')};`;
      const { disagreements } = summarise(compareScript(sql));
      expect(disagreements).toEqual([]);
      expect(parseScript(sql).statements.length).toBe(stmts.length);
    }
  });

  it('agrees on the replay corpus: full object sets on >= 99.9% of the statements', () => {
    const results: Comparison[] = [];
    let statements = 0;
    for (const h of corpus()) {
      if (h.oracle === false) continue;
      const r = compareScript(h.sql);
      statements += r.length;
      results.push(...r);
    }
    const { supported, disagreements, unsupportedWithoutWarning } = summarise(results);
    const agreement = (100 * (supported.length - disagreements.length)) / supported.length;
    process.stdout.write(
      `libpg-query oracle: ${statements} statements, ${supported.length} compared, ${disagreements.length} disagree: ${agreement.toFixed(2)}% full-object agreement\n`,
    );
    expect(statements).toBeGreaterThan(3000);
    expect(unsupportedWithoutWarning.slice(0, 5)).toEqual([]);
    expect(agreement, JSON.stringify(disagreements.slice(0, 10), null, 1)).toBeGreaterThanOrEqual(
      99.9,
    );
  }, 60_000);

  for (const file of CORPUS) {
    it(`agrees on the hand-written ${file} migration`, () => {
      const sql = readFileSync(join(import.meta.dirname, 'corpus', file), 'utf8');
      const results = compareScript(sql);
      const { supported, disagreements, unsupportedWithoutWarning } = summarise(results);
      expect(disagreements).toEqual([]);
      expect(unsupportedWithoutWarning).toEqual([]);
      expect(supported.length).toBeGreaterThan(5);
    });
  }
});
