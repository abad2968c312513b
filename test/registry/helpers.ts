import type pg from 'pg';
import { expect } from 'vitest';
import type { Conflict, Intent } from '../../src/client/index.js';

export type { Conflict, Intent };

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient | pg.Client;

export async function result<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T> {
  const r = await db.query(sql, params);
  return r.rows[0]?.result as T;
}

export function register(
  db: Queryable,
  agent: string,
  feature: string,
  ddl: string,
  extra: { tables?: string[]; risk?: string; metadata?: unknown; duration?: number } = {},
) {
  return result<{ intent: Intent; conflicts: Conflict[]; warnings: { message: string }[] }>(
    db,
    `SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3,
       tables_affected => $4::text[], estimated_duration_ms => $5::int,
       risk_level => coalesce($6, 'low'), metadata => coalesce($7::jsonb, '{}')) AS result`,
    [
      agent,
      feature,
      ddl,
      extra.tables ?? null,
      extra.duration ?? null,
      extra.risk ?? null,
      extra.metadata === undefined ? null : JSON.stringify(extra.metadata),
    ],
  );
}

export const mark = (db: Queryable, to: string, id: string, reason?: string, by?: string) =>
  result<Intent>(db, `SELECT pggit_mark_${to}($1, $2, $3) AS result`, [
    id,
    reason ?? null,
    by ?? null,
  ]);

export const getIntent = (db: Queryable, id: string) =>
  result<Intent | null>(db, 'SELECT pggit_get_intent($1) AS result', [id]);

export const conflictsOf = (db: Queryable, id: string) =>
  result<Conflict[]>(db, 'SELECT pggit_get_conflicts($1) AS result', [id]);

export const historyOf = (db: Queryable, id: string) =>
  result<
    { old_status: string | null; new_status: string; reason: string | null; changed_by: string }[]
  >(db, 'SELECT pggit_history($1) AS result', [id]);

/** Asserts the promise fails with the SQLSTATE (and a message matching `message`). */
export async function expectSqlError(
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<pg.DatabaseError> {
  const error = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as pg.DatabaseError | null;
  expect(error, `expected SQLSTATE ${code}`).not.toBeNull();
  expect(error?.code, error?.message).toBe(code);
  if (message) expect(error?.message).toMatch(message);
  return error as pg.DatabaseError;
}

/** Row counts of every pggit table, to prove that a failed call wrote nothing. */
export async function counts(db: Queryable): Promise<Record<string, number>> {
  const r = await db.query(`SELECT
      (SELECT count(*)::int FROM pggit.tb_pggit_intent) AS intents,
      (SELECT count(*)::int FROM pggit.tb_pggit_conflict) AS conflicts,
      (SELECT count(*)::int FROM pggit.tb_pggit_intent_history) AS history,
      (SELECT coalesce(sum(uses), 0)::int FROM pggit.tb_pggit_branch_counter) AS branch_uses,
      (SELECT count(*)::int FROM pggit.tb_pggit_conflict_event) AS conflict_events,
      (SELECT count(*)::int FROM pggit.tb_pggit_review) AS reviews,
      (SELECT count(*)::int FROM pggit.tb_pggit_required_review) AS required_reviews,
      (SELECT count(*)::int FROM pggit.tb_pggit_rule) AS rules`);
  return r.rows[0];
}
