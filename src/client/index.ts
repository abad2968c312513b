/**
 * The pggit client: a thin, typed wrapper over pggit's SQL API. Every method
 * is exactly one call of one SQL function, with named arguments and explicit
 * casts; all decisions are taken inside PostgreSQL (src/registry, in PLV8).
 *
 *   import { PggitClient } from 'pggit';
 *   const client = new PggitClient(process.env.PGGIT_DATABASE_URL);
 *   const { intent, conflicts } = await client.register({ agentId, featureName, schemaChanges });
 *   await client.close();
 *
 * Before its first call, a client compares the pggit installed in the
 * database (`pggit_version()`) with its own version, once: a database without
 * pggit, or with another version, is one clear PggitError (`not_installed`,
 * `version_mismatch`) instead of a `function ... does not exist`.
 *
 * Errors surface as PggitError, with the SQLSTATE in `code` (22023 bad
 * argument, P0002 unknown intent or conflict, 55000 forbidden lifecycle
 * transition, 42501 identity or privilege) or a word from ERROR_CODES.
 */
import pg from 'pg';
import {
  connectionError,
  describeDatabase,
  resolveDatabaseUrl,
  validateDatabaseUrl,
} from './config.js';
import {
  ERROR_CODES,
  isMissingPggit,
  isSqlState,
  PggitError,
  PggitNotificationError,
  toPggitError,
} from './errors.js';
import type {
  CheckInput,
  CheckResult,
  Conflict,
  ConflictPage,
  ConflictReport,
  DriftFilter,
  DriftFinding,
  HistoryEntry,
  Intent,
  IntentInput,
  IntentSummary,
  ListFilter,
  OpenConflict,
  ParseResult,
  PggitEvent,
  RegisterInput,
  RegisterResult,
  ResolveOptions,
  ReviewDecision,
  ReviewOptions,
  ReviewState,
  Rule,
  RuleInput,
  Settings,
  SweepResult,
  TransitionOptions,
  TransitionTarget,
  VerifyResult,
  VersionInfo,
} from './types.js';
import { TRANSITION_TARGETS } from './types.js';
import { compareVersions, packageVersion } from './version.js';

export {
  connectionError,
  connectionStringFromEnv,
  type DatabaseUrl,
  describeDatabase,
  redactUrl,
  resolveDatabaseUrl,
  validateDatabaseUrl,
} from './config.js';
export {
  ERROR_CODES,
  isMissingPggit,
  PggitError,
  PggitNotificationError,
  toPggitError,
} from './errors.js';
export * from './types.js';
export { compareVersions, packageVersion } from './version.js';

export interface PggitClientOptions {
  /**
   * The schema that holds pggit's API functions and views (`pggit install
   * --api-schema`). Default: none, i.e. PostgreSQL's search_path finds them.
   */
  apiSchema?: string;
  /** For a client built from a connection string: give up connecting after this long (0: never). Default 5000. */
  connectTimeoutMs?: number;
  /** For a client built from a connection string: the pool size. Default 4. */
  max?: number;
  /** For a client built from a connection string. Default 'pggit'. */
  applicationName?: string;
  /**
   * Compare the installed pggit's version with this package's before the
   * first call (one `pggit_version()` per client). Default true.
   */
  checkVersion?: boolean;
  /**
   * For a client built from a connection string: the agent its connections
   * act for. Every connection of the pool starts with `pggit.agent_id` set to
   * it (a startup option: no extra round trip), so the drift guard attributes
   * DDL run through `client.pool` to this agent instead of the database user.
   * With a pool of your own, give it `options: agentIdOptions(agentId)`.
   */
  agentId?: string;
}

/**
 * The startup option that sets `pggit.agent_id` on a connection:
 * `-c pggit.agent_id=<id>`, with backslashes and whitespace escaped as
 * PostgreSQL splits options (any other character, quotes included, is taken
 * as is). For node-postgres's `options` (or PGOPTIONS).
 */
export function agentIdOptions(agentId: string): string {
  if (typeof agentId !== 'string' || agentId === '' || agentId.includes('\0')) {
    throw new PggitError('22023', 'agentId must be a non-empty string without NUL characters');
  }
  return `-c pggit.agent_id=${agentId.replace(/[\\\s]/g, (ch) => `\\${ch}`)}`;
}

/**
 * The pg connection settings for a URL and an agent: the URL's own `options`
 * parameter (else PGOPTIONS) kept, with the agent's option after it.
 */
function withAgentOptions(
  url: string,
  agentId: string,
): { connectionString: string; options: string } {
  const mine = agentIdOptions(agentId);
  const parsed = new URL(url);
  const given = parsed.searchParams.get('options');
  if (given === null) {
    const env = process.env.PGOPTIONS;
    return { connectionString: url, options: env ? `${env} ${mine}` : mine };
  }
  // pg lets the URL's options win over the config's: move them into the config.
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), options: `${given} ${mine}` };
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** [argument name, SQL type, value]; undefined and null values are left out of the call. */
type Arg = readonly [name: string, type: string, value: unknown];

/** An argument passed as SQL NULL (undefined and null leave it to its SQL default). */
const SQL_NULL = Symbol('SQL NULL');

/** maxConflicts as pggit_register and pggit_check take it: 'all' is SQL NULL. */
const maxConflictsArg = (max: number | 'all' | undefined): Arg => [
  'max_conflicts',
  'int',
  max === 'all' ? SQL_NULL : max,
];

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export class PggitClient {
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly listeners = new Set<() => Promise<void>>();
  private readonly schema: string;
  private readonly checkVersion: boolean;
  private compatible: Promise<void> | undefined;
  /** What pggit_version() said, once the version check has run. */
  private installedVersion: string | undefined;

  /**
   * From a connection string (the client owns its pool and ends it in
   * close()) or a pool (which stays the caller's to end).
   */
  constructor(poolOrConnectionString: pg.Pool | string, options: PggitClientOptions = {}) {
    if (typeof poolOrConnectionString === 'string') {
      validateDatabaseUrl(poolOrConnectionString);
      const timeout = options.connectTimeoutMs;
      // a Node timer beyond 2^31 - 1 ms fires at once: every connect would time out
      if (
        timeout !== undefined &&
        !(Number.isInteger(timeout) && timeout >= 0 && timeout <= 2 ** 31 - 1)
      ) {
        throw new RangeError(
          `connectTimeoutMs must be an integer from 0 (no limit) to ${2 ** 31 - 1}, not ${timeout}`,
        );
      }
      const connection =
        options.agentId === undefined
          ? { connectionString: poolOrConnectionString }
          : withAgentOptions(poolOrConnectionString, options.agentId);
      this.pool = new pg.Pool({
        ...connection,
        application_name: options.applicationName ?? 'pggit',
        max: options.max ?? 4,
        connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        // Idle connections never keep the process alive; close() still ends them.
        allowExitOnIdle: true,
      });
      // An idle client dropped by the server must not crash the process.
      this.pool.on('error', () => {});
      this.ownsPool = true;
    } else {
      // a pg config object ({ connectionString }) is the likely mistake: say so,
      // rather than fail at the first call on a pool that is not one
      const pool = poolOrConnectionString as unknown as Record<string, unknown> | null;
      if (
        pool === null ||
        typeof pool !== 'object' ||
        typeof pool.connect !== 'function' ||
        typeof pool.query !== 'function'
      ) {
        throw new TypeError(
          'PggitClient takes a postgres:// connection string or a pg.Pool; for pg options, pass new pg.Pool(options)',
        );
      }
      if (options.agentId !== undefined) {
        throw new PggitError(
          '22023',
          'agentId needs a client built from a connection string: give your own pool options: agentIdOptions(agentId)',
        );
      }
      this.pool = poolOrConnectionString;
      this.ownsPool = false;
    }
    this.schema = options.apiSchema ? `${quoteIdent(options.apiSchema)}.` : '';
    this.checkVersion = options.checkVersion ?? true;
  }

  /** A client for PGGIT_DATABASE_URL, else DATABASE_URL (a PggitError when neither is set). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options?: PggitClientOptions): PggitClient {
    return new PggitClient(resolveDatabaseUrl(undefined, env).url, options);
  }

  /** Stops every listener, and ends the pool when the client created it. */
  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((stop) => stop()));
    if (this.ownsPool) await this.pool.end();
  }

  // -------------------------------------------------------------------------
  // plumbing

  /** The URL the pool connects to, without its password (for messages). */
  private target(): string {
    const cs = (this.pool as { options?: { connectionString?: string } }).options?.connectionString;
    return cs === undefined ? 'the database' : describeDatabase(cs);
  }

  private connectError(err: unknown): unknown {
    const cs = (this.pool as { options?: { connectionString?: string } }).options?.connectionString;
    return connectionError(err, cs);
  }

  private sqlError(err: unknown): unknown {
    if (!isMissingPggit(err)) return toPggitError(err);
    const message = (err as Error).message;
    const where = `${this.target()}${this.schema ? `, schema ${this.schema.slice(0, -1)}` : ''}`;
    // pggit_version() itself missing: nothing of pggit is there.
    if (/\bpggit_version\b/.test(message) || this.installedVersion === undefined) {
      return new PggitError(
        ERROR_CODES.notInstalled,
        `pggit is not installed in this database (${where}): run \`pggit install --database-url …\``,
        { cause: err },
      );
    }
    // Same version, but not the functions this client calls: another build of it.
    return new PggitError(
      ERROR_CODES.versionMismatch,
      `the pggit ${this.installedVersion} installed here is not the one this client (${packageVersion()}) speaks to (${message}): run pggit install`,
      { cause: err },
    );
  }

  /** One statement on one pooled connection; errors become PggitErrors. */
  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    let conn: pg.PoolClient;
    try {
      conn = await this.pool.connect();
    } catch (err) {
      throw this.connectError(err);
    }
    try {
      const res = await conn.query<R>(text, values);
      conn.release();
      return res.rows;
    } catch (err) {
      // A connection that failed below SQL must not go back to the pool.
      conn.release(isSqlState((err as { code?: unknown }).code) ? undefined : (err as Error));
      throw isSqlState((err as { code?: unknown }).code)
        ? this.sqlError(err)
        : this.connectError(err);
    }
  }

  /**
   * Once per client, before its first call: the installed pggit must be this
   * package's version. A failure (other than a mismatch) is retried on the
   * next call.
   */
  private ensureCompatible(): Promise<void> {
    if (!this.checkVersion) return Promise.resolve();
    this.compatible ??= this.compareInstalledVersion().catch((err: unknown) => {
      this.compatible = undefined;
      throw err;
    });
    return this.compatible;
  }

  private async compareInstalledVersion(): Promise<void> {
    const rows = await this.query<{ version: string | null }>(
      `SELECT ${this.schema}pggit_version() ->> 'version' AS version`,
      [],
    );
    const installed = rows[0]?.version ?? 'unknown';
    this.installedVersion = installed;
    const mine = packageVersion();
    const order = compareVersions(installed, mine);
    if (order === 0) return;
    throw new PggitError(
      ERROR_CODES.versionMismatch,
      order === 1
        ? `pggit ${installed} is installed here, this is ${mine}: upgrade this client (npm i pggit@${installed})`
        : `pggit ${installed} is installed here, this is ${mine}: run pggit install`,
    );
  }

  /**
   * `SELECT fn(name => $1::type, ...) AS result`. Optional arguments the
   * caller left out are left out of the call too, so SQL applies its own
   * default ('low', '{}', 'public' or NULL).
   */
  private async call<T>(fn: string, args: readonly Arg[]): Promise<T> {
    await this.ensureCompatible();
    const values: unknown[] = [];
    const named: string[] = [];
    for (const [name, type, value] of args) {
      if (value === undefined || value === null) continue;
      if (value === SQL_NULL) {
        named.push(`${quoteIdent(name)} => NULL::${type}`);
        continue;
      }
      values.push(value);
      named.push(`${quoteIdent(name)} => $${values.length}::${type}`);
    }
    const rows = await this.query<{ result: T }>(
      `SELECT ${this.schema}${fn}(${named.join(', ')}) AS result`,
      values,
    );
    return rows[0]?.result as T;
  }

  // -------------------------------------------------------------------------
  // the SQL API

  /** The installed pggit (never compared: this is how you find out what is installed). */
  async version(): Promise<VersionInfo> {
    const rows = await this.query<{ result: VersionInfo }>(
      `SELECT ${this.schema}pggit_version() AS result`,
      [],
    );
    return rows[0]?.result as VersionInfo;
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
      ['lease_seconds', 'int', input.leaseSeconds],
      maxConflictsArg(input.maxConflicts),
    ]);
  }

  check(input: CheckInput): Promise<CheckResult> {
    return this.call('pggit_check', [
      ['agent_id', 'text', input.agentId],
      ['feature_name', 'text', input.featureName],
      ['schema_changes', 'text', input.schemaChanges],
      ['tables_affected', 'text[]', input.tablesAffected],
      maxConflictsArg(input.maxConflicts),
    ]);
  }

  /** The intent (by id or unique id prefix), or null when there is none. */
  async getIntent(intentId: string): Promise<Intent | null> {
    return (
      (await this.call<Intent | null>('pggit_get_intent', [['intent_id', 'text', intentId]])) ??
      null
    );
  }

  /**
   * Several whole intents in one round trip (pggit_get_intent for each id or
   * unique prefix, in order); null where there is none.
   */
  async getIntents(intentIds: readonly string[]): Promise<(Intent | null)[]> {
    await this.ensureCompatible();
    const rows = await this.query<{ result: (Intent | null)[] }>(
      `SELECT coalesce(jsonb_agg(${this.schema}pggit_get_intent(intent_id => x.id) ORDER BY x.n), '[]') AS result
         FROM unnest($1::text[]) WITH ORDINALITY AS x (id, n)`,
      [intentIds],
    );
    return rows[0]?.result ?? [];
  }

  /**
   * One page of intent summaries, newest first, each with its open conflicts
   * counted (getIntent/getIntents have the scripts and conflicts_with).
   */
  listIntents(filter: ListFilter = {}): Promise<IntentSummary[]> {
    return this.call('pggit_list_intents', [
      ['status', 'text', filter.status],
      ['agent_id', 'text', filter.agentId],
      ['limit', 'int', filter.limit],
      ['after', 'text', filter.after],
    ]);
  }

  /** Every intent matching the filter, page after page (each page one call). */
  async listAllIntents(
    filter: Omit<ListFilter, 'limit' | 'after'> = {},
    pageSize = 500,
  ): Promise<IntentSummary[]> {
    const all: IntentSummary[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.listIntents({ ...filter, limit: pageSize, after });
      all.push(...page);
      if (page.length < pageSize) return all;
      after = page[page.length - 1]?.id;
    }
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

  /**
   * Every conflict the intent is part of, on either side, resolved or not, in
   * id order; a page of them with `limit` (and `after`, the last id of the
   * previous page). pggit_get_conflicts returns them all in one call (as
   * many as the intent meets other intents): the page is cut here.
   */
  async getConflicts(intentId: string, page: ConflictPage = {}): Promise<Conflict[]> {
    const all = await this.call<Conflict[]>('pggit_get_conflicts', [
      ['intent_id', 'text', intentId],
    ]);
    const { after, limit } = page;
    const rest = after === undefined ? all : all.filter((x) => x.id > after);
    return limit === undefined ? rest : rest.slice(0, limit);
  }

  /**
   * The open conflicts (unreviewed, both intents still active) from the
   * pggit_open_conflicts view, in id order: all of them, or those of one
   * intent (full id); a page of them with `limit` (and `after`, the last id
   * of the previous page).
   */
  async openConflicts(intentId?: string, page: ConflictPage = {}): Promise<OpenConflict[]> {
    await this.ensureCompatible();
    const rows = await this.query<{ result: OpenConflict[] }>(
      `SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.id), '[]'::jsonb) AS result
         FROM (SELECT * FROM ${this.schema}pggit_open_conflicts o
                WHERE ($1::text IS NULL OR o.intent_a = lower($1::text) OR o.intent_b = lower($1::text))
                  AND ($2::int IS NULL OR o.id > $2::int)
                ORDER BY o.id LIMIT $3::int) o`,
      [intentId ?? null, page.after ?? null, page.limit ?? null],
    );
    return rows[0]?.result ?? [];
  }

  /** Marks a conflict reviewed (optionally re-rating its severity); returns it. */
  resolveConflict(
    conflictId: number,
    resolutionNotes: string,
    options: ResolveOptions | string = {},
  ): Promise<Conflict> {
    const o: ResolveOptions = typeof options === 'string' ? { reviewedBy: options } : options;
    return this.call('pggit_resolve_conflict', [
      ['conflict_id', 'int', conflictId],
      ['resolution_notes', 'text', resolutionNotes],
      ['reviewed_by', 'text', o.reviewedBy],
      ['severity', 'text', o.severity],
    ]);
  }

  /** Opens a resolved conflict again (its intent may become conflicted again); returns it. */
  reopenConflict(conflictId: number, reason: string, reopenedBy?: string): Promise<Conflict> {
    return this.call('pggit_reopen_conflict', [
      ['conflict_id', 'int', conflictId],
      ['reason', 'text', reason],
      ['reopened_by', 'text', reopenedBy],
    ]);
  }

  // leases

  /**
   * Renews an active intent's lease: for its own lease_seconds from now, or
   * for `leaseSeconds` (which becomes its lease). An expired intent cannot be
   * renewed (55000): register the change again. Returns the intent.
   */
  heartbeat(intentId: string, leaseSeconds?: number): Promise<Intent> {
    return this.call('pggit_heartbeat', [
      ['intent_id', 'text', intentId],
      ['lease_seconds', 'int', leaseSeconds],
    ]);
  }

  /** Abandons active intents whose lease has run out (at most `limit`, SQL's default 1000). */
  sweep(limit?: number): Promise<SweepResult> {
    return this.call('pggit_sweep', [['limit', 'int', limit]]);
  }

  // the drift guard

  /** Drift findings, newest first: DDL that ran without an active intent of its agent declaring it. */
  drift(filter: DriftFilter = {}): Promise<DriftFinding[]> {
    const since = filter.since instanceof Date ? filter.since.toISOString() : filter.since;
    return this.call('pggit_drift', [
      ['since', 'timestamptz', since],
      ['limit', 'int', filter.limit],
    ]);
  }

  // reviews, rules and settings

  /**
   * Approves or rejects an intent: an owner rule's review (`ruleId`, by its
   * owner), or the review gate's (by anyone but the intent's agent). Returns
   * the intent's reviews.
   */
  review(
    intentId: string,
    decision: ReviewDecision,
    options: ReviewOptions = {},
  ): Promise<ReviewState> {
    return this.call('pggit_review', [
      ['intent_id', 'text', intentId],
      ['decision', 'text', decision],
      ['notes', 'text', options.notes],
      ['reviewer', 'text', options.reviewer],
      ['rule_id', 'int', options.ruleId],
    ]);
  }

  /** An intent's reviews: those owner rules require, the review gate, every decision. */
  reviews(intentId: string): Promise<ReviewState> {
    return this.call('pggit_reviews', [['intent_id', 'text', intentId]]);
  }

  /** The active rules, in the order they apply. */
  rules(): Promise<Rule[]> {
    return this.call('pggit_rules', []);
  }

  /** Adds a rule (granted to pggit_admin only: others get 42501). */
  addRule(input: RuleInput): Promise<Rule> {
    return this.call('pggit_add_rule', [
      ['kind', 'text', input.kind],
      ['pattern', 'text', input.pattern],
      ['owner', 'text', input.owner],
      ['severity', 'text', input.severity],
      ['conflict_type', 'text', input.conflictType],
      ['advice', 'text', input.advice],
      ['metadata_key', 'text', input.metadataKey],
      ['metadata_value', 'text', input.metadataValue],
    ]);
  }

  /** Retires a rule (pggit_admin); returns it, with removed_at set. */
  removeRule(ruleId: number): Promise<Rule> {
    return this.call('pggit_remove_rule', [['rule_id', 'int', ruleId]]);
  }

  /** The settings of this installation. */
  settings(): Promise<Settings> {
    return this.call('pggit_settings', []);
  }

  /** Changes a setting (pggit_admin); returns `{key: value}`. */
  setSetting(key: string, value: string): Promise<Settings> {
    return this.call('pggit_set_setting', [
      ['key', 'text', key],
      ['value', 'text', value],
    ]);
  }

  /** Recomputes the hash chains of the audit trail: ok, or the first broken link. */
  verify(): Promise<VerifyResult> {
    return this.call('pggit_verify', []);
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
    await this.ensureCompatible();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.connectError(err);
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
