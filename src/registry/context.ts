/**
 * The registry's view of one installation: the PLV8 API and the schema names
 * chosen at install. Every SQL text the registry runs comes from sql.ts,
 * built once per installation with those names qualified in (the functions
 * run with search_path = pg_catalog, pg_temp, so nothing is left to it).
 */
import type { Plv8, Plv8Plan } from './plv8-api.js';
import { type Statements, statements } from './sql.js';

export interface InstallNames {
  /** pggit's own schema (tables, internal functions, bundle). */
  schema: string;
  /** Where the SQL API functions and views live. */
  apiSchema: string;
  buildHash: string;
}

export interface Registry extends InstallNames {
  db: Plv8;
  sql: Statements;
  /** Rows of a statement of sql.ts (prepared once per backend, then reused). */
  rows<T>(sql: string, params?: unknown[]): T[];
  row<T>(sql: string, params?: unknown[]): T | undefined;
  /** A statement run for its effect (or its row count). */
  exec(sql: string, params?: unknown[]): unknown;
}

/**
 * The parameter types of a statement, from its casts: every `$n` of pggit's
 * SQL carries one (`$1::text`, `$2::text[]`), which is what real PLV8's
 * plv8.prepare needs (it prepares with the types it is given, and none when
 * none are); a test checks every statement of sql.ts.
 */
export function parameterTypes(sql: string): string[] {
  const types: string[] = [];
  let highest = 0;
  for (const m of sql.matchAll(/\$(\d+)(?:::([a-z_][a-z0-9_]*(?:\[\])?))?/g)) {
    const n = Number(m[1]);
    highest = Math.max(highest, n);
    if (m[2] !== undefined && types[n - 1] === undefined) types[n - 1] = m[2];
  }
  for (let i = 0; i < highest; i++) {
    if (types[i] === undefined)
      throw new Error(`pggit: $${i + 1} has no cast in: ${sql.slice(0, 120)}`);
  }
  return types;
}

interface Cached {
  plan: Plv8Plan;
  /** Executions of the statement in this context, over all its preparations. */
  uses: number;
  /** When it was prepared (ms since the epoch). */
  preparedAt: number;
  /** Executions under way (a trigger's JS running the same statement): never freed then. */
  running: number;
}

/** The first re-plan comes after this many uses, each next one after twice as many. */
export const REPLAN_FIRST_USES = 64;
/** ... and a plan older than this is prepared again at its next use (ms). */
export const REPLAN_AGE_MS = 60_000;

/**
 * Whether a cached plan is prepared again before this use. PostgreSQL keeps
 * a generic plan until something invalidates it, and what it chose for the
 * table it saw may be wrong for the table it has become: prepared on a fresh
 * install's empty intent table, the candidate query scans the lease index
 * with the keys as a filter (every active intent read at every
 * registration), and keeps doing so at 10,000 intents until an ANALYZE
 * happens to invalidate it. A new plan is made from the table's size as it is
 * now (the planner reads the current number of pages, analyzed or not): after
 * 64, 128, 256, ... uses of a plan, and at the first use after a minute. That
 * costs one planning per statement and backend per doubling or per minute,
 * and bounds how long a plan made for another table lasts.
 * test/registry/replan.test.ts starts a backend on an empty table.
 */
export function replanDue(c: { uses: number; preparedAt: number }, now: number): boolean {
  if (now - c.preparedAt >= REPLAN_AGE_MS) return true;
  return c.uses >= REPLAN_FIRST_USES && (c.uses & (c.uses - 1)) === 0;
}

const PLAIN_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function createRegistry(db: Plv8, names: InstallNames): Registry {
  for (const n of [names.schema, names.apiSchema]) {
    // the installer only accepts such names; a bundle built otherwise is broken
    if (!PLAIN_IDENT.test(n))
      throw new Error(`pggit: schema name ${JSON.stringify(n)} is not a plain identifier`);
  }
  // Prepared plans: parsing and planning a statement costs more than running
  // it, every time. Kept in this context (one per backend and role), and
  // prepared again on a schedule (see replanDue).
  const plans = new Map<string, Cached>();
  const exec = (sql: string, params: unknown[] = []) => {
    let cached = plans.get(sql);
    const now = Date.now();
    if (cached === undefined) {
      cached = { plan: db.prepare(sql, parameterTypes(sql)), uses: 0, preparedAt: now, running: 0 };
      plans.set(sql, cached);
    } else if (cached.running === 0 && replanDue(cached, now)) {
      const fresh = db.prepare(sql, parameterTypes(sql));
      cached.plan.free();
      cached.plan = fresh;
      cached.preparedAt = now;
    }
    cached.uses++;
    cached.running++;
    try {
      return cached.plan.execute(params);
    } finally {
      cached.running--;
    }
  };
  const rows = <T>(sql: string, params: unknown[] = []): T[] => {
    const result = exec(sql, params);
    if (!Array.isArray(result)) throw new Error(`expected rows from: ${sql.slice(0, 80)}`);
    return result as T[];
  };
  return {
    ...names,
    db,
    sql: statements(names.schema),
    rows,
    row: <T>(sql: string, params: unknown[] = []) => rows<T>(sql, params)[0],
    exec,
  };
}
