/**
 * The pggit client: a thin, typed wrapper over pggit's SQL API. Every method
 * is exactly one call of one SQL function, with named arguments and explicit
 * casts; all decisions are taken inside PostgreSQL (src/registry, in PLV8).
 *
 *   const client = new PggitClient(connectionStringFromEnv());
 *   const { intent, conflicts } = await client.register({ agentId, featureName, schemaChanges });
 *   await client.close();
 *
 * SQL errors surface as PggitError, with the SQLSTATE in `code`:
 * 22023 bad argument, P0002 unknown intent or conflict, 55000 forbidden
 * lifecycle transition, 42501 identity or privilege.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type {
  ConflictReport,
  ConflictType,
  DbObject,
  IntentInput,
  ParseResult,
  ParseWarning,
  Severity,
} from '../detector/types.js';
import { RISK_LEVELS, type RiskLevel, STATUSES, type Status } from '../registry/lifecycle.js';

export type {
  ConflictReport,
  ConflictType,
  DbObject,
  IntentInput,
  ParseResult,
  ParseWarning,
  Severity,
};

// ---------------------------------------------------------------------------
// result types: the JSON the SQL functions return

export type { RiskLevel, Status };
export { RISK_LEVELS, STATUSES };

/** Statuses an intent can be moved to through the API. */
export const TRANSITION_TARGETS = ['in_progress', 'completed', 'merged', 'abandoned'] as const;
export type TransitionTarget = (typeof TRANSITION_TARGETS)[number];

/** One row of tb_pggit_intent, as `to_jsonb` renders it. */
export interface Intent {
  id: string;
  agent_id: string;
  feature_name: string;
  /** Normalised feature name (the timing rule's key). */
  feature_key?: string;
  branch_name: string;
  /** The script split into statements. */
  schema_changes: string[];
  tables_affected: string[];
  estimated_duration_ms: number | null;
  risk_level: RiskLevel;
  status: Status;
  /** Ids of the intents this one conflicts with (both sides are kept up to date). */
  conflicts_with: string[];
  metadata: Record<string, unknown>;
  object_keys: string[];
  /** ISO timestamps. */
  created_at: string;
  updated_at: string;
}

/** One row of tb_pggit_conflict. */
export interface Conflict {
  id: number;
  intent_a: string;
  intent_b: string;
  conflict_type: ConflictType;
  affected_objects: string[];
  severity: Severity;
  resolution_suggestions: string[];
  reviewed: boolean;
  reviewed_at: string | null;
  reviewed_by: string | null;
  resolution_notes: string | null;
  created_at: string;
}

/** One row of tb_pggit_intent_history. */
export interface HistoryEntry {
  id: number;
  intent_id: string;
  old_status: Status | null;
  new_status: Status;
  reason: string | null;
  changed_by: string;
  changed_at: string;
}

export interface RegisterResult {
  intent: Intent;
  /** The conflicts recorded for the new intent (it is always `intent_a`). */
  conflicts: Conflict[];
  warnings: ParseWarning[];
}

/** A conflict pggit_check would record; nothing is written. */
export interface CheckConflict {
  intent_a: string | null;
  intent_b: string;
  conflict_type: ConflictType;
  severity: Severity;
  affected_objects: string[];
  resolution_suggestions: string[];
  with_agent: string;
  with_feature: string;
  with_status: Status;
}

export interface CheckResult {
  conflicts_detected: number;
  conflicts: CheckConflict[];
  objects: DbObject[];
  statements?: { kind: string; text: string }[];
  warnings: ParseWarning[];
  branch_slug?: string;
}

export interface VersionInfo {
  version: string;
  bundle_hash: string | null;
  runtime: string | null;
}

/**
 * Payloads of `NOTIFY pggit`. Any role may LISTEN on a channel, so they carry
 * ids and statuses only; ask pggit (getIntent, getConflicts) for the rest.
 */
export interface PggitEvent {
  event: 'registered' | 'status_changed';
  intent_id: string;
  old_status: Status | null;
  status: Status;
}

// ---------------------------------------------------------------------------
// inputs

export interface RegisterInput {
  agentId: string;
  featureName: string;
  schemaChanges: string;
  tablesAffected?: string[];
  estimatedDurationMs?: number;
  /** Defaults to 'low' in SQL. */
  riskLevel?: RiskLevel;
  /** Defaults to '{}' in SQL. */
  metadata?: Record<string, unknown>;
}

export interface CheckInput {
  agentId: string;
  featureName: string;
  schemaChanges: string;
  tablesAffected?: string[];
}

export interface ListFilter {
  status?: Status;
  agentId?: string;
}

export interface TransitionOptions {
  reason?: string;
  changedBy?: string;
}

// ---------------------------------------------------------------------------
// errors

/** An error raised by PostgreSQL (or pggit inside it), with its SQLSTATE. */
export class PggitError extends Error {
  /** The SQLSTATE, e.g. '22023'. */
  readonly code: string;
  readonly detail?: string;
  readonly hint?: string;

  constructor(
    code: string,
    message: string,
    extra: { detail?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'PggitError';
    this.code = code;
    if (extra.detail) this.detail = extra.detail;
    if (extra.hint) this.hint = extra.hint;
  }
}

/** A `pggit` notification whose payload is not JSON (the subscription goes on). */
export class PggitNotificationError extends Error {
  constructor(
    readonly payload: string | undefined,
    cause: unknown,
  ) {
    super(`pggit notification is not JSON: ${payload}`, { cause });
    this.name = 'PggitNotificationError';
  }
}

const isSqlState = (code: unknown): code is string =>
  typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);

/** A pg DatabaseError becomes a PggitError; anything else passes unchanged. */
export function toPggitError(err: unknown): unknown {
  if (err instanceof PggitError) return err;
  if (err instanceof Error && isSqlState((err as { code?: unknown }).code)) {
    const e = err as Error & { code: string; detail?: string; hint?: string };
    return new PggitError(e.code, e.message, { detail: e.detail, hint: e.hint, cause: err });
  }
  return err;
}

// ---------------------------------------------------------------------------
// connection

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The package version, from package.json. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/**
 * The project-local database's URL (`bash scripts/local-db.sh url`, which
 * installs, starts and migrates it when needed); PGGIT_DB_NAME in `env` names
 * another database on the same cluster.
 */
export function localDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const out = execFileSync('bash', [`${repoRoot}scripts/local-db.sh`, 'url'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    const url = out.trim().split('\n').pop()?.trim() ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`scripts/local-db.sh url printed no postgres:// URL: ${JSON.stringify(out)}`);
    }
    return url;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(
      `no database: set PGGIT_DATABASE_URL (or DATABASE_URL), or make \`bash scripts/local-db.sh url\` work${stderr ? `\n${stderr}` : ''}`,
      { cause: err },
    );
  }
}

/** The database to use: PGGIT_DATABASE_URL, then DATABASE_URL, else the local one. */
export function connectionStringFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.PGGIT_DATABASE_URL || env.DATABASE_URL || localDatabaseUrl(env);
}

/**
 * A new, migrated database `name` on the local cluster, dropped first if it
 * exists (the demo and the benchmarks start from nothing each run).
 */
export async function freshLocalDatabase(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = new URL(localDatabaseUrl());
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
  return localDatabaseUrl({ ...process.env, PGGIT_DB_NAME: name });
}

/** [argument name, SQL type, value]; undefined and null values are left out of the call. */
type Arg = readonly [name: string, type: string, value: unknown];

export class PggitClient {
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly listeners = new Set<() => Promise<void>>();

  /** From a pool (which stays the caller's to end) or a connection string (owned, ended by close()). */
  constructor(poolOrConnectionString: pg.Pool | string) {
    if (typeof poolOrConnectionString === 'string') {
      this.pool = new pg.Pool({
        connectionString: poolOrConnectionString,
        application_name: 'pggit',
        max: 4,
      });
      // An idle client dropped by the server must not crash the process.
      this.pool.on('error', () => {});
      this.ownsPool = true;
    } else {
      this.pool = poolOrConnectionString;
      this.ownsPool = false;
    }
  }

  static fromEnv(): PggitClient {
    return new PggitClient(connectionStringFromEnv());
  }

  /** Stops every listener, and ends the pool when the client created it. */
  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((stop) => stop()));
    if (this.ownsPool) await this.pool.end();
  }

  /**
   * `SELECT fn(name => $1::type, ...) AS result`. Optional arguments the
   * caller left out are left out of the call too, so SQL applies its own
   * default ('low', '{}', 'public' or NULL).
   */
  private async call<T>(fn: string, args: readonly Arg[]): Promise<T> {
    const values: unknown[] = [];
    const named: string[] = [];
    for (const [name, type, value] of args) {
      if (value === undefined || value === null) continue;
      values.push(value);
      named.push(`${name} => $${values.length}::${type}`);
    }
    try {
      const res = await this.pool.query<{ result: T }>(
        `SELECT ${fn}(${named.join(', ')}) AS result`,
        values,
      );
      return res.rows[0]?.result as T;
    } catch (err) {
      throw toPggitError(err);
    }
  }

  version(): Promise<VersionInfo> {
    return this.call('pggit_version', []);
  }

  parse(schemaChanges: string, defaultSchema?: string): Promise<ParseResult> {
    return this.call('pggit_parse', [
      ['schema_changes', 'text', schemaChanges],
      ['default_schema', 'text', defaultSchema],
    ]);
  }

  detect(intentA: IntentInput, intentB: IntentInput): Promise<ConflictReport[]> {
    return this.call('pggit_detect', [
      ['intent_a', 'jsonb', JSON.stringify(intentA)],
      ['intent_b', 'jsonb', JSON.stringify(intentB)],
    ]);
  }

  register(input: RegisterInput): Promise<RegisterResult> {
    return this.call('pggit_register', [
      ['agent_id', 'text', input.agentId],
      ['feature_name', 'text', input.featureName],
      ['schema_changes', 'text', input.schemaChanges],
      ['tables_affected', 'text[]', input.tablesAffected],
      ['estimated_duration_ms', 'int', input.estimatedDurationMs],
      ['risk_level', 'text', input.riskLevel],
      [
        'metadata',
        'jsonb',
        input.metadata === undefined ? undefined : JSON.stringify(input.metadata),
      ],
    ]);
  }

  check(input: CheckInput): Promise<CheckResult> {
    return this.call('pggit_check', [
      ['agent_id', 'text', input.agentId],
      ['feature_name', 'text', input.featureName],
      ['schema_changes', 'text', input.schemaChanges],
      ['tables_affected', 'text[]', input.tablesAffected],
    ]);
  }

  /** The intent, or null when there is none with this id. */
  async getIntent(intentId: string): Promise<Intent | null> {
    return (
      (await this.call<Intent | null>('pggit_get_intent', [['intent_id', 'text', intentId]])) ??
      null
    );
  }

  /** Newest first. */
  listIntents(filter: ListFilter = {}): Promise<Intent[]> {
    return this.call('pggit_list_intents', [
      ['status', 'text', filter.status],
      ['agent_id', 'text', filter.agentId],
    ]);
  }

  /** pggit_mark_<to>: moves the intent along its lifecycle and returns it. */
  transition(
    intentId: string,
    to: TransitionTarget,
    options: TransitionOptions = {},
  ): Promise<Intent> {
    if (!(TRANSITION_TARGETS as readonly string[]).includes(to)) {
      // Not a lifecycle decision: there is simply no such SQL function.
      return Promise.reject(
        new PggitError(
          '22023',
          `to must be one of ${TRANSITION_TARGETS.join(', ')}, not ${JSON.stringify(to)}`,
        ),
      );
    }
    return this.call(`pggit_mark_${to}`, [
      ['intent_id', 'text', intentId],
      ['reason', 'text', options.reason],
      ['changed_by', 'text', options.changedBy],
    ]);
  }

  markInProgress(intentId: string, options?: TransitionOptions): Promise<Intent> {
    return this.transition(intentId, 'in_progress', options);
  }

  markCompleted(intentId: string, options?: TransitionOptions): Promise<Intent> {
    return this.transition(intentId, 'completed', options);
  }

  markMerged(intentId: string, options?: TransitionOptions): Promise<Intent> {
    return this.transition(intentId, 'merged', options);
  }

  markAbandoned(intentId: string, options?: TransitionOptions): Promise<Intent> {
    return this.transition(intentId, 'abandoned', options);
  }

  /** Every conflict the intent is part of, on either side. */
  getConflicts(intentId: string): Promise<Conflict[]> {
    return this.call('pggit_get_conflicts', [['intent_id', 'text', intentId]]);
  }

  resolveConflict(
    conflictId: number,
    resolutionNotes: string,
    reviewedBy?: string,
  ): Promise<Conflict> {
    return this.call('pggit_resolve_conflict', [
      ['conflict_id', 'int', conflictId],
      ['resolution_notes', 'text', resolutionNotes],
      ['reviewed_by', 'text', reviewedBy],
    ]);
  }

  /** Oldest first. */
  history(intentId: string): Promise<HistoryEntry[]> {
    return this.call('pggit_history', [['intent_id', 'text', intentId]]);
  }

  /**
   * Subscribes to `LISTEN pggit` on a dedicated connection. Resolves once the
   * LISTEN is active; the returned function unsubscribes and releases the
   * connection. onError receives a PggitNotificationError for a payload that
   * is not JSON (the subscription goes on), and the error of a lost connection
   * (no more events will come; unsubscribing is still safe). An exception
   * thrown by onEvent goes to onError too.
   */
  async listen(
    onEvent: (event: PggitEvent) => void,
    onError: (err: Error) => void = () => {},
  ): Promise<() => Promise<void>> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toPggitError(err);
    }
    let broken: Error | undefined;
    const onNotification = (msg: pg.Notification) => {
      if (msg.channel !== 'pggit') return;
      try {
        onEvent(JSON.parse(msg.payload ?? '') as PggitEvent);
      } catch (err) {
        onError(
          err instanceof SyntaxError
            ? new PggitNotificationError(msg.payload, err)
            : (err as Error),
        );
      }
    };
    const onClientError = (err: Error) => {
      broken = err;
      onError(toPggitError(err) as Error);
    };
    client.on('notification', onNotification);
    client.on('error', onClientError);
    try {
      await client.query('LISTEN pggit');
    } catch (err) {
      client.off('notification', onNotification);
      client.off('error', onClientError);
      client.release(err as Error);
      throw toPggitError(err);
    }
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      this.listeners.delete(stop);
      client.off('notification', onNotification);
      try {
        if (broken === undefined) await client.query('UNLISTEN pggit');
      } catch (err) {
        broken = err as Error;
      } finally {
        client.off('error', onClientError);
        client.release(broken);
      }
    };
    this.listeners.add(stop);
    return stop;
  }
}
