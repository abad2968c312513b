/**
 * PostgreSQL as the oracle: every history of the corpus (hand-written in each
 * ORM's style, and generated) runs statement by statement in a fresh database;
 * the catalog difference around each statement (test/detector/replay) must be
 * what pggit says the statement creates, drops and renames, and every object
 * pggit says a statement references or alters must exist.
 *
 * Targets: created-object sets agree on at least 99.5% of the DDL statements;
 * no invented object (created, dropped, renamed, altered or referenced). The
 * rates are printed; the disagreements are printed when an assertion fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { STYLES } from './corpus/generate.js';
import { type CorpusHistory, generatedHistories, handWrittenHistories } from './corpus/index.js';
import {
  describe as describeReports,
  replayHistory,
  type StatementReport,
  totals,
} from './replay/compare.js';

let db: TestDatabase;
const all: StatementReport[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  const t = totals(all);
  const pct = (a: number, b: number) => (b === 0 ? 100 : (100 * a) / b).toFixed(2);
  process.stdout.write(
    `catalog replay: ${t.statements} statements, ${t.ddl} DDL; created sets agree ${pct(t.createdAgree, t.ddl)}%, ` +
      `created+dropped+renamed ${pct(t.fullAgree, t.ddl)}%; missing ${t.missing}, invented ${t.invented}, ` +
      `missing root drops ${t.missingDrops}, invented drops ${t.inventedDrops}, references to nothing ${t.wrongReferences}; ` +
      `catalog references found ${t.referencesFound}/${t.catalogReferences} (${pct(t.referencesFound, t.catalogReferences)}%)\n`,
  );
  await db?.close();
});

async function replay(histories: CorpusHistory[]): Promise<StatementReport[]> {
  const out: StatementReport[] = [];
  for (const [i, h] of histories.entries()) {
    const name = `${db.name}_h${i}`.slice(0, 63);
    await db.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await db.admin(`CREATE DATABASE ${name} TEMPLATE template0`);
    try {
      const u = new URL(db.url);
      u.pathname = `/${name}`;
      out.push(...(await replayHistory(u.toString(), h)));
    } finally {
      await db.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }
  all.push(...out);
  return out;
}

function check(reports: StatementReport[]): void {
  const t = totals(reports);
  const bad = describeReports(reports);
  // every statement of the corpus is valid SQL
  expect(reports.filter((r) => r.error).map((r) => `${r.history}: ${r.error}`)).toEqual([]);
  // nothing invented
  expect(
    {
      invented: t.invented,
      inventedDrops: t.inventedDrops,
      inventedRenames: t.inventedRenames,
      wrongAlters: t.wrongAlters,
      wrongReferences: t.wrongReferences,
    },
    bad.join('\n'),
  ).toEqual({
    invented: 0,
    inventedDrops: 0,
    inventedRenames: 0,
    wrongAlters: 0,
    wrongReferences: 0,
  });
  expect(t.ddl).toBeGreaterThan(20);
  expect((100 * t.createdAgree) / t.ddl, bad.join('\n')).toBeGreaterThanOrEqual(99.5);
}

describe('catalog replay', () => {
  it('hand-written histories in every ORM style', { timeout: 300_000 }, async () => {
    check(await replay(handWrittenHistories()));
  });

  for (const style of STYLES) {
    it(`generated ${style} histories`, { timeout: 300_000 }, async () => {
      check(await replay(generatedHistories().filter((h) => h.style === style)));
    });
  }

  it('the whole corpus: thousands of statements, created sets agree on >= 99.5%, nothing invented', () => {
    const t = totals(all);
    expect(t.statements).toBeGreaterThan(3000);
    expect((100 * t.createdAgree) / t.ddl).toBeGreaterThanOrEqual(99.5);
    expect(
      t.invented + t.inventedDrops + t.inventedRenames + t.wrongAlters + t.wrongReferences,
    ).toBe(0);
  });
});
