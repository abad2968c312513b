/**
 * Issue 9's workload: N active intents on N tables, each intent 1 to 5
 * statements (ADD COLUMN, DROP COLUMN, CREATE INDEX, CREATE TABLE) on a table
 * drawn at random among the N, registered with no tables_affected (pggit
 * finds the tables). Intents come from 50 agents; two intents on one table
 * conflict (a table warning, and a column error when both drop the same
 * legacy column), as they would in a real team.
 *
 * Every intent of the population is a real pggit_register call, spread over
 * one connection per core (each registration is its own transaction).
 */
import { availableParallelism } from 'node:os';
import type pg from 'pg';
import { connect } from './db.js';
import { prng } from './stats.js';

export interface Job {
  agent: string;
  feature: string;
  script: string;
}

const KINDS = ['add_column', 'drop_column', 'create_index', 'create_table'] as const;

/** The statements of intent `i` on `table`: 1 to 5, of the four kinds. */
export function intentScript(rnd: () => number, i: number, table: string): string {
  const count = 1 + Math.floor(rnd() * 5);
  const out: string[] = [];
  for (let j = 0; j < count; j++) {
    const kind = KINDS[Math.floor(rnd() * KINDS.length)];
    const col = `c_${i}_${j}`;
    switch (kind) {
      case 'add_column':
        out.push(`ALTER TABLE ${table} ADD COLUMN ${col} integer NOT NULL DEFAULT 0`);
        break;
      case 'drop_column':
        out.push(`ALTER TABLE ${table} DROP COLUMN legacy_${Math.floor(rnd() * 5)}`);
        break;
      case 'create_index':
        out.push(`CREATE INDEX ${table}_${col}_idx ON ${table} (created_at, ${col})`);
        break;
      default:
        out.push(
          `CREATE TABLE ${table}_part_${i}_${j} (id bigint PRIMARY KEY, ${table}_id bigint NOT NULL REFERENCES ${table} (id), note text)`,
        );
    }
  }
  return `${out.join(';\n')};`;
}

/** The population of a database of `n` intents on `n` tables t_0 .. t_{n-1}. */
export function population(n: number, seed = 9): Job[] {
  const rnd = prng(seed * 1_000_003 + n);
  return Array.from({ length: n }, (_, i) => ({
    agent: `agent-${i % 50}`,
    feature: `feature ${i}`,
    script: intentScript(rnd, i, `t_${Math.floor(rnd() * n)}`),
  }));
}

/**
 * Newcomers measured against that population: `workload` ones draw their
 * table among the n (and so meet the intents already there), `fresh` ones
 * touch tables nobody else does (no conflict possible).
 */
export function newcomers(n: number, count: number, kind: 'workload' | 'fresh'): Job[] {
  const rnd = prng((kind === 'fresh' ? 77 : 55) * 1_000_003 + n);
  return Array.from({ length: count }, (_, k) => {
    const i = n + k + (kind === 'fresh' ? 500_000 : 0);
    const table = kind === 'fresh' ? `fresh_${k}` : `t_${Math.floor(rnd() * n)}`;
    return {
      agent: `newcomer-${kind}-${k}`,
      feature: `${kind} newcomer ${k}`,
      script: intentScript(rnd, i, table),
    };
  });
}

export const REGISTER_SQL =
  'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3) AS r';

export interface RegisterResult {
  intent: { id: string; status: string };
  /** All it recorded; `conflicts` lists at most max_conflicts of them. */
  conflicts_recorded: number;
  conflicts: unknown[];
}

export async function register(c: pg.Client, job: Job): Promise<RegisterResult> {
  const res = await c.query<{ r: RegisterResult }>(REGISTER_SQL, [
    job.agent,
    job.feature,
    job.script,
  ]);
  return (res.rows[0] as { r: RegisterResult }).r;
}

export interface Loaded {
  intents: number;
  conflicts: number;
  connections: number;
  /** Wall time of the whole load. */
  ms: number;
  /** Each registration's time, in order of completion. */
  each: number[];
}

/** Registers every job (real pggit_register calls), on one connection per core. */
export async function load(
  url: string,
  jobs: Job[],
  connections = availableParallelism(),
): Promise<Loaded> {
  const clients = await Promise.all(
    Array.from({ length: Math.max(1, Math.min(connections, jobs.length)) }, async () => {
      const c = await connect(url, 'pggit bench loader');
      await c.query("SELECT pggit_parse('SELECT 1')"); // start PLV8 and load the bundle
      return c;
    }),
  );
  let next = 0;
  let conflicts = 0;
  const each: number[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (next < jobs.length) {
          const job = jobs[next++] as Job;
          const start = performance.now();
          // read after the await: `conflicts += (await …)` would add to the
          // value from before it, and lose the other connections' counts
          const recorded = (await register(c, job)).conflicts_recorded;
          conflicts += recorded;
          each.push(performance.now() - start);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return {
    intents: jobs.length,
    conflicts,
    connections: clients.length,
    ms: performance.now() - t0,
    each,
  };
}

/**
 * The floor: a plain table with the columns, constraints, defaults and
 * indexes of tb_pggit_intent (LIKE ... INCLUDING ALL copies no trigger),
 * holding the same rows.
 */
export async function createFloor(c: pg.Client): Promise<void> {
  await c.query(`CREATE SCHEMA bench_floor;
    CREATE TABLE bench_floor.tb_intent (LIKE pggit.tb_pggit_intent INCLUDING ALL);
    INSERT INTO bench_floor.tb_intent OVERRIDING SYSTEM VALUE SELECT * FROM pggit.tb_pggit_intent;
    SELECT setval(pg_get_serial_sequence('bench_floor.tb_intent', 'seq'),
                  greatest(1, (SELECT max(seq) FROM bench_floor.tb_intent)));`);
}

/** The INSERT of the floor: what pggit_register's insert binds, as it binds it (sql.ts insertIntent). */
export const FLOOR_INSERT = `INSERT INTO bench_floor.tb_intent
  (agent_id, feature_name, feature_key, branch_name, schema_changes, tables_affected,
   estimated_duration_ms, risk_level, status, metadata, object_keys,
   objects, model_version, lease_seconds, lease_expires_at)
  VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::int, $8::text,
          $9::text, $10::text::jsonb, $11::text[], $12::jsonb, $13::int,
          $14::int, clock_timestamp() + $14::int * interval '1 second')`;

/** Rows of real registrations, as the floor's INSERT parameters (a fresh branch name each). */
export async function floorRows(c: pg.Client, count: number): Promise<unknown[][]> {
  const rows = await c.query<{ p: unknown[] }>(
    `SELECT ARRAY[agent_id, feature_name, feature_key, branch_name, schema_changes::text,
                  tables_affected::text, estimated_duration_ms::text, risk_level, status,
                  metadata::text, object_keys::text, objects::text,
                  model_version::text, lease_seconds::text] AS p
       FROM pggit.tb_pggit_intent ORDER BY seq`,
  );
  if (rows.rows.length === 0) throw new Error('no intents to copy for the floor');
  return Array.from({ length: count }, (_, k) => {
    const p = [...(rows.rows[k % rows.rows.length] as { p: unknown[] }).p];
    p[3] = `${p[3]}_floor_${k}`;
    return p;
  });
}
