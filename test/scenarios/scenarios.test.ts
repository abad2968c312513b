/**
 * The behavioural scenarios (copied from shared/scenarios into ./seed, format
 * in ./seed/README.md), each run step by step through the SQL API on a fresh
 * database.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { compareConflicts, loadScenario, type Step, scenarioFiles } from './expectations.js';

interface ConflictJson {
  id: number;
  intent_a: string;
  intent_b: string | null;
  conflict_type: string;
  severity: string;
  affected_objects: string[];
  reviewed?: boolean;
}

const TABLES = [
  'pggit.tb_pggit_intent',
  'pggit.tb_pggit_conflict',
  'pggit.tb_pggit_intent_history',
  'pggit.tb_pggit_branch_counter',
];

async function snapshot(db: TestDatabase): Promise<string> {
  const parts: string[] = [];
  for (const t of TABLES) {
    const r = await db.query(
      `SELECT coalesce(jsonb_agg(x ORDER BY x::text), '[]') AS j FROM ${t} x`,
    );
    parts.push(JSON.stringify(r.rows[0]!.j));
  }
  return parts.join('\n');
}

class Runner {
  readonly ids = new Map<string, string>();
  readonly aliases = new Map<string, string>();
  constructor(readonly db: TestDatabase) {}

  id(alias: string): string {
    const id = this.ids.get(alias);
    if (id === undefined) throw new Error(`unknown alias ${alias}`);
    return id;
  }
  alias(id: string): string {
    return this.aliases.get(id) ?? `<${id}>`;
  }

  async call(sql: string, params: unknown[]): Promise<unknown> {
    const r = await this.db.query<{ result: unknown }>(sql, params);
    return r.rows[0]?.result;
  }

  async exec(step: Step): Promise<unknown> {
    switch (step.op) {
      case 'register':
        return this.call(
          `SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3,
             tables_affected => $4::text[], risk_level => coalesce($5, 'low'),
             metadata => coalesce($6::jsonb, '{}')) AS result`,
          [
            step.agent_id,
            step.feature_name,
            step.schema_changes,
            step.tables_affected ?? null,
            step.risk_level ?? null,
            step.metadata === undefined ? null : JSON.stringify(step.metadata),
          ],
        );
      case 'check':
        return this.call(
          `SELECT pggit_check(agent_id => $1, feature_name => $2, schema_changes => $3,
             tables_affected => $4::text[]) AS result`,
          [step.agent_id, step.feature_name, step.schema_changes, step.tables_affected ?? null],
        );
      case 'transition':
        return this.call(`SELECT pggit_mark_${step.to}(intent_id => $1, reason => $2) AS result`, [
          this.id(step.intent),
          step.reason ?? null,
        ]);
      case 'resolve_all': {
        const conflicts = (await this.call('SELECT pggit_get_conflicts($1) AS result', [
          this.id(step.intent),
        ])) as ConflictJson[];
        for (const c of conflicts.filter((c) => !c.reviewed)) {
          await this.call('SELECT pggit_resolve_conflict($1, $2) AS result', [c.id, step.notes]);
        }
        return conflicts;
      }
      case 'get':
        return this.call('SELECT pggit_get_intent($1) AS result', [this.id(step.intent)]);
      case 'history':
        return this.call('SELECT pggit_history($1) AS result', [this.id(step.intent)]);
      default:
        throw new Error(`unknown op ${step.op}`);
    }
  }

  conflictsAsSeenBy(selfId: string | null, conflicts: ConflictJson[]) {
    return conflicts.map((c) => {
      const other = c.intent_a === selfId || selfId === null ? c.intent_b : c.intent_a;
      return {
        with: this.alias(other as string),
        type: c.conflict_type,
        severity: c.severity,
        objects: c.affected_objects,
      };
    });
  }
}

describe.each(scenarioFiles)('scenario %s', (file) => {
  const scenario = loadScenario(file);
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it(`${scenario.name}${scenario.about ? `: ${scenario.about}` : ''}`, async () => {
    const runner = new Runner(db);
    for (const [n, step] of scenario.steps.entries()) {
      const where = `step ${n + 1} (${step.op} ${step.as ?? step.intent ?? ''})`;
      if (step.expect_error !== undefined) {
        const before = await snapshot(db);
        const error = await runner.exec(step).then(
          () => null,
          (e: pg.DatabaseError) => e,
        );
        expect(error, `${where} should fail with ${step.expect_error}`).not.toBeNull();
        expect(error?.code, `${where}: ${error?.message}`).toBe(step.expect_error);
        expect(await snapshot(db), `${where} changed something`).toBe(before);
        continue;
      }
      const before = step.op === 'check' ? await snapshot(db) : '';
      const result = (await runner.exec(step)) as Step;
      const expected = step.expect;
      if (step.op === 'register') {
        runner.ids.set(step.as, result.intent.id);
        runner.aliases.set(result.intent.id, step.as);
      }
      if (expected === undefined) continue;
      switch (step.op) {
        case 'register':
        case 'get': {
          const intent = step.op === 'register' ? result.intent : result;
          if (expected.status !== undefined) expect(intent.status, where).toBe(expected.status);
          if (expected.branch_name !== undefined) {
            expect(intent.branch_name, where).toBe(expected.branch_name);
          }
          if (expected.conflicts_with !== undefined) {
            expect(
              intent.conflicts_with.map((id: string) => runner.alias(id)).sort(),
              where,
            ).toEqual([...expected.conflicts_with].sort());
          }
          if (expected.conflicts !== undefined || expected.conflicts_include !== undefined) {
            const conflicts =
              step.op === 'register'
                ? (result.conflicts as ConflictJson[])
                : ((await runner.call('SELECT pggit_get_conflicts($1) AS result', [
                    intent.id,
                  ])) as ConflictJson[]);
            compareConflicts(
              runner.conflictsAsSeenBy(intent.id, conflicts),
              expected.conflicts,
              expected.conflicts_include,
            );
          }
          break;
        }
        case 'check': {
          compareConflicts(
            runner.conflictsAsSeenBy(null, result.conflicts as ConflictJson[]),
            expected.conflicts,
            expected.conflicts_include,
          );
          if (expected.conflicts !== undefined) {
            expect(result.conflicts_detected).toBe(expected.conflicts.length);
          }
          if (expected.writes === false) expect(await snapshot(db), `${where} wrote`).toBe(before);
          break;
        }
        case 'history': {
          const pairs = (
            result as unknown as { old_status: string | null; new_status: string }[]
          ).map((h) => [h.old_status, h.new_status]);
          expect(pairs, where).toEqual(expected);
          break;
        }
        default:
          throw new Error(`${where}: no expectations are defined for ${step.op}`);
      }
    }
  });
});
