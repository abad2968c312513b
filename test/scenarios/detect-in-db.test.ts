/**
 * The seed scenarios through pggit_detect inside PostgreSQL: for every register
 * (and check) step with expected conflicts, the bundled detector compares the
 * newcomer with each earlier active intent of another agent and must report
 * the expected types, severities and objects. This checks the detector as
 * bundled for PLV8, apart from the registry's storage and locking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  type ActualConflict,
  compareConflicts,
  type ExpectedConflict,
  loadScenario,
  scenarioFiles,
} from './expectations.js';

interface Known {
  agent_id: string;
  feature_name: string;
  schema_changes: string;
  tables_affected?: string[];
  active: boolean;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

async function detect(a: object, b: object) {
  const r = await db.query('SELECT pggit_detect($1::jsonb, $2::jsonb) AS result', [
    JSON.stringify(a),
    JSON.stringify(b),
  ]);
  return r.rows[0]!.result as {
    conflict_type: string;
    severity: string;
    affected_objects: string[];
  }[];
}

describe.each(scenarioFiles)('%s through pggit_detect', (file) => {
  const scenario = loadScenario(file);
  it('reports the expected conflicts', async () => {
    const known = new Map<string, Known>();
    let compared = 0;
    for (const step of scenario.steps) {
      if (step.expect_error !== undefined) continue;
      if (step.op === 'transition' && (step.to === 'merged' || step.to === 'abandoned')) {
        const k = known.get(step.intent);
        if (k) k.active = false;
      }
      if (step.op !== 'register' && step.op !== 'check') continue;
      const mine = {
        agent_id: step.agent_id,
        feature_name: step.feature_name,
        schema_changes: step.schema_changes,
        tables_affected: step.tables_affected ?? [],
      };
      const expected: ExpectedConflict[] | undefined = step.expect?.conflicts;
      const include: ExpectedConflict[] = step.expect?.conflicts_include ?? [];
      // a newcomer's status says whether it has any conflict at all
      const status: string | undefined = step.op === 'register' ? step.expect?.status : undefined;
      if (expected !== undefined || include.length > 0 || status !== undefined) {
        const actual: ActualConflict[] = [];
        for (const [alias, other] of known) {
          if (!other.active) continue;
          for (const r of await detect(mine, other)) {
            actual.push({
              with: alias,
              type: r.conflict_type,
              severity: r.severity,
              objects: r.affected_objects,
            });
          }
        }
        compareConflicts(actual, expected, include);
        if (status === 'conflicted') expect(actual.length).toBeGreaterThan(0);
        if (status === 'registered') expect(actual).toEqual([]);
        compared += 1;
      }
      if (step.op === 'register') {
        known.set(step.as, { ...mine, active: true });
      }
    }
    // every scenario but the lifecycle and branch ones states an expectation to compare
    if (!/lifecycle|branch/.test(file)) expect(compared).toBeGreaterThan(0);
  });
});
