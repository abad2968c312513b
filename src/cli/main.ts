/**
 * The pggit command line: a thin shell over the SQL API (src/client). Every
 * command is one SQL call (plus, once per run, the client's version check);
 * only `check --offline` and `parse --offline` run the pure detector locally.
 *
 *   npx pggit <command> ...        (bin/pggit.mjs → dist/cli/bin.js)
 *
 * Exit status: 0 ok, 1 error, 2 usage (including a missing or malformed
 * database URL), 3 `check`/`register` found conflicts at or above --fail-on.
 *
 * Output: text (colour on a TTY; NO_COLOR, FORCE_COLOR and --no-color as in
 * color.ts) or, with --format json (or --json), exactly one JSON document on
 * stdout: the result, or {"error": {"code", "message", "detail"?, "hint"?}}
 * (`watch` prints one JSON object per line). In text mode errors go to stderr.
 *
 * Start-up cost matters (`pggit --help`, a CI `check`): this module loads
 * only commander and small local modules; pg, tinyglobby, the detector, the
 * MCP SDK and zod are imported by the commands that need them.
 */
import { Command, CommanderError, Option } from 'commander';
import { connectionError, resolveDatabaseUrl } from '../client/config.js';
import { ERROR_CODES, isSqlState, PggitError, PggitNotificationError } from '../client/errors.js';
import type { PggitClient, PggitClientOptions } from '../client/index.js';
import {
  type Conflict,
  type IntentSummary,
  LEASE_SECONDS_LIMIT,
  type OpenConflict,
  PAGE_LIMIT,
  type PggitEvent,
  RISK_LEVELS,
  RULE_KINDS,
  RULE_SEVERITIES,
  type RuleInput,
  SEVERITIES,
  type Severity,
  STATUSES,
  type Status,
  type TransitionTarget,
} from '../client/types.js';
import { packageVersion } from '../client/version.js';
import type { IntentInput, ParsedStatement } from '../detector/types.js';
import type { InstallResult } from '../install/index.js';
import { DEFAULT_MAX_CONFLICTS, listed } from '../registry/listing.js';
import { type Palette, palette, useColor } from './color.js';
import * as fmt from './format.js';
import { permissionHint, speak } from './hints.js';
import { readScript, type ScriptOptions, UsageError } from './input.js';

export { UsageError };

export const EXIT = { ok: 0, error: 1, usage: 2, conflicts: 3 } as const;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

export const processIo = (): Io => ({
  stdout: (text) => process.stdout.write(line(text)),
  stderr: (text) => process.stderr.write(line(text)),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
});

interface GlobalOptions {
  databaseUrl?: string;
  apiSchema?: string;
  connectTimeout?: number;
  format: 'text' | 'json';
  json?: boolean;
  color: boolean;
}

type FailOn = 'error' | 'warning' | 'never';
const FAIL_ON = ['error', 'warning', 'never'] as const;
const RANK: Record<Severity, number> = { warning: 1, error: 2 };

/**
 * How many conflicts of a result that lists only some (`omitted` not listed)
 * are at or above --fail-on: exact, or a lower bound (`atLeast`). The
 * errors are listed before any warning: so every conflict is at or above
 * warning, and when a warning is listed every error is too.
 */
export function failingCount(
  conflicts: readonly { severity: Severity }[],
  omitted: number,
  failOn: FailOn,
): { count: number; atLeast: boolean } {
  const over = failing(conflicts, failOn).length;
  if (omitted === 0 || failOn === 'never') return { count: over, atLeast: false };
  if (failOn === 'warning') return { count: over + omitted, atLeast: false };
  return { count: over, atLeast: over === conflicts.length };
}

/** The conflicts at or above the --fail-on threshold. */
export function failing<T extends { severity: Severity }>(conflicts: readonly T[], failOn: FailOn) {
  if (failOn === 'never') return [];
  return conflicts.filter((c) => RANK[c.severity] >= RANK[failOn]);
}

/** Is JSON output asked for? Decided from argv before commander parses, so its errors are JSON too. */
export function wantsJson(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return false;
    if (a === '--json' || a === '--format=json') return true;
    if (a === '--format' && args[i + 1] === 'json') return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// argument parsers (a bad value is a usage error: exit 2, nothing sent)

const collectTables = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== ''),
];

function parseNonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
}

function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n === 0) {
      throw new UsageError(`${name} must be a positive integer, not ${JSON.stringify(value)}`);
    }
    return n;
  };
}

function parsePageLimit(value: string): number {
  const n = parsePositiveInt('--limit')(value);
  if (n > PAGE_LIMIT) throw new UsageError(`--limit must be at most ${PAGE_LIMIT}, not ${n}`);
  return n;
}

/** --max-conflicts: a positive integer, or "all" (1 at least, so the exit code always sees the worst). */
function parseMaxConflicts(value: string): number | 'all' {
  if (value.trim() === 'all') return 'all';
  return parsePositiveInt('--max-conflicts')(value);
}

function parseLeaseSeconds(value: string): number {
  const n = parsePositiveInt('--lease-seconds')(value);
  if (n > LEASE_SECONDS_LIMIT) {
    throw new UsageError(
      `--lease-seconds must be at most ${LEASE_SECONDS_LIMIT} (a year), not ${n}`,
    );
  }
  return n;
}

const AGO: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** --since: an ISO 8601 time, or a duration ago (30s, 15m, 2h, 7d). */
export function parseSince(value: string, now: Date = new Date()): string {
  const v = value.trim();
  const ago = /^(\d+)\s*([smhd])$/.exec(v);
  if (ago) {
    return new Date(
      now.getTime() - Number(ago[1]) * (AGO[ago[2] as string] as number) * 1000,
    ).toISOString();
  }
  const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new UsageError(
      `--since must be an ISO 8601 time (2031-01-01T12:00:00Z) or a duration ago (30s, 15m, 2h, 7d), not ${JSON.stringify(value)}`,
    );
  }
  return new Date(t).toISOString();
}

/** --metadata key=value (rules add): the key is what comes before the first '='. */
function parseKeyValue(value: string): { key: string; value: string } {
  const eq = value.indexOf('=');
  if (eq <= 0) {
    throw new UsageError(`--metadata must be key=value, not ${JSON.stringify(value)}`);
  }
  return { key: value.slice(0, eq), value: value.slice(eq + 1) };
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** At most a day: beyond 2^31 ms a Node timer fires at once, which would time out every connect. */
const MAX_CONNECT_TIMEOUT_S = 86_400;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_CONNECT_TIMEOUT_S) {
    throw new UsageError(
      `--connect-timeout must be a number of seconds > 0 and at most ${MAX_CONNECT_TIMEOUT_S}, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function parseJsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`--metadata must be JSON, not ${JSON.stringify(value)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('--metadata must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function requireAgent(agentId: string | undefined): string {
  if (agentId === undefined || agentId === '') {
    throw new UsageError('missing --agent-id <id> (or set PGGIT_AGENT_ID)');
  }
  return agentId;
}

function requireFeature(featureName: string | undefined): string {
  if (featureName === undefined) throw new UsageError('missing --feature-name <name>');
  return featureName;
}

// ---------------------------------------------------------------------------
// offline check: the pure detector, no database

const ACTIVE: readonly string[] = ['registered', 'in_progress', 'completed', 'conflicted'];

type AgainstIntent = IntentInput & { status?: Status };

async function loadAgainst(path: string): Promise<AgainstIntent[]> {
  const { readFileSync } = await import('node:fs');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read --against ${path}: ${(err as Error).message}`);
  }
  const items = Array.isArray(data)
    ? data
    : data !== null &&
        typeof data === 'object' &&
        Array.isArray((data as { intents?: unknown }).intents)
      ? (data as { intents: unknown[] }).intents
      : [data];
  return items.map((item, i) => {
    const o = item as Partial<AgainstIntent> | null;
    if (
      o === null ||
      typeof o !== 'object' ||
      typeof o.agent_id !== 'string' ||
      typeof o.feature_name !== 'string' ||
      (typeof o.schema_changes !== 'string' && !Array.isArray(o.schema_changes))
    ) {
      throw new UsageError(
        `--against ${path}: entry ${i} needs agent_id, feature_name and schema_changes (as \`pggit list-intents --full --format json\` prints them)`,
      );
    }
    return o as AgainstIntent;
  });
}

async function offlineCheck(
  script: string,
  opts: {
    agentId?: string;
    featureName?: string;
    tablesAffected?: string[];
    against?: string;
    maxConflicts?: number | 'all';
  },
) {
  const { parseScript, detectConflicts } = await import('../detector/index.js');
  const parsed = parseScript(script);
  const base = {
    objects: parsed.objects,
    statements: parsed.statements.map((s: ParsedStatement) => ({ kind: s.kind, text: s.text })),
    warnings: parsed.warnings,
  };
  if (opts.against === undefined) {
    return {
      conflicts_detected: 0,
      conflicts: [] as fmt.CheckConflictView[],
      conflicts_omitted: 0,
      ...base,
    };
  }
  const agent = requireAgent(opts.agentId);
  const feature = requireFeature(opts.featureName);
  const others = await loadAgainst(opts.against);
  const intent: IntentInput = {
    agent_id: agent,
    feature_name: feature,
    schema_changes: script,
    tables_affected: opts.tablesAffected ?? [],
  };
  // The same candidates pggit_check considers: active intents of other agents.
  const conflicts: fmt.CheckConflictView[] = [];
  for (const other of others) {
    if (other.agent_id === agent) continue;
    if (other.status !== undefined && !ACTIVE.includes(other.status)) continue;
    for (const r of detectConflicts(intent, other)) {
      conflicts.push({
        intent_a: null,
        intent_b: other.id ?? null,
        ...r,
        with_agent: other.agent_id,
        with_feature: other.feature_name,
        with_status: other.status ?? null,
      });
    }
  }
  // listed as pggit_check lists them
  const shown = listed(
    conflicts,
    opts.maxConflicts === 'all' ? null : (opts.maxConflicts ?? DEFAULT_MAX_CONFLICTS),
  );
  return {
    conflicts_detected: conflicts.length,
    conflicts: shown,
    conflicts_omitted: conflicts.length - shown.length,
    ...base,
  };
}

/**
 * The client module, imported on first use. pg 8 looks for Cloudflare
 * Workers at import time by building a fetch Response when `navigator` is
 * missing (Node 20), which loads undici: a quarter of a CLI run. Node 21+ has
 * `navigator`; on Node 20 the import gets one, removed right after.
 */
async function loadClientModule(): Promise<typeof import('../client/index.js')> {
  const g = globalThis as { navigator?: unknown };
  const lend = g.navigator === undefined;
  if (lend) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: `Node.js/${process.versions.node}` },
      configurable: true,
      writable: true,
    });
  }
  try {
    return await import('../client/index.js');
  } finally {
    if (lend) delete g.navigator;
  }
}

// ---------------------------------------------------------------------------
// the program

interface Run {
  program: Command;
  /** The exit status the actions decided (3 for conflicts); errors are thrown. */
  exitCode: () => number;
}

export function buildProgram(io: Io = processIo(), argv: readonly string[] = process.argv): Run {
  let exitCode: number = EXIT.ok;
  const jsonErrors = wantsJson(argv.slice(2));
  const json = (cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return g.json === true || g.format === 'json';
  };
  const colors = (cmd: Command): Palette =>
    palette(
      !json(cmd) && cmd.optsWithGlobals<GlobalOptions>().color && useColor(io.stdoutIsTTY, io.env),
    );

  const program = new Command('pggit');
  program
    .description(
      'Coordinate many agents changing one PostgreSQL schema: declare an intent before writing a migration, see its conflicts with everyone else’s.',
    )
    .version(packageVersion(), '-V, --version', 'print the version of this pggit')
    .addOption(
      new Option(
        '-d, --database-url <url>',
        'postgres:// URL of the database (default: PGGIT_DATABASE_URL, then DATABASE_URL)',
      ),
    )
    .addOption(
      new Option(
        '--api-schema <schema>',
        'schema of the pggit functions (default: search_path)',
      ).env('PGGIT_API_SCHEMA'),
    )
    .addOption(
      new Option('--connect-timeout <seconds>', 'give up connecting after this long')
        .env('PGGIT_CONNECT_TIMEOUT')
        .default(5)
        .argParser(parseSeconds),
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .option('--json', 'the same as --format json')
    .option('--no-color', 'no colour, even on a terminal')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // commander's own usage errors, as JSON when JSON is asked for
      outputError: (s) => {
        const message = s.trim().replace(/^error: /, '');
        if (jsonErrors) {
          io.stdout(JSON.stringify({ error: { code: 'usage', message } }));
        } else io.stderr(`${s.trimEnd()}\n(run pggit --help for usage)`);
      },
    })
    .addHelpText(
      'after',
      `
Intents are named by their id or any unique prefix of it (4 characters or more).
Exit status: 0 ok, 1 error, 2 usage, 3 check/register found conflicts at or above --fail-on.

Start:  npm i pggit && npx pggit install --database-url postgres://…
        export PGGIT_DATABASE_URL=postgres://… PGGIT_AGENT_ID=my-agent
        pggit register -n "user email" -s "ALTER TABLE users ADD COLUMN email text"
CI:     pggit check -a ci -n "$BRANCH" --file 'migrations/*.sql' --fail-on error`,
    );

  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  const withClient = async <T>(
    cmd: Command,
    fn: (client: PggitClient) => Promise<T>,
    options: PggitClientOptions = {},
  ): Promise<T> => {
    const g = globals(cmd);
    const { url } = resolveDatabaseUrl(g.databaseUrl, io.env);
    const { PggitClient } = await loadClientModule();
    const client = new PggitClient(url, {
      apiSchema: g.apiSchema,
      connectTimeoutMs: Math.round((g.connectTimeout ?? 5) * 1000),
      max: 1,
      applicationName: 'pggit cli',
      agentId: actingAgent(cmd),
      ...options,
    });
    try {
      return await fn(client);
    } finally {
      // Not awaited: the pool lets the process exit while the server closes
      // the connection (a CLI run need not wait ~10 ms for that).
      client.close().catch(() => {});
    }
  };

  /**
   * The agent the command's connection acts for (pggit.agent_id): its
   * --agent-id where that names who acts (the options that default to
   * PGGIT_AGENT_ID; list-intents' -a is a filter), else PGGIT_AGENT_ID.
   */
  const actingAgent = (cmd: Command): string | undefined => {
    const acts = cmd.options.some(
      (o) => o.attributeName() === 'agentId' && o.envVar === 'PGGIT_AGENT_ID',
    );
    const id = acts ? cmd.opts<{ agentId?: string }>().agentId : io.env.PGGIT_AGENT_ID;
    return id === undefined || id === '' ? undefined : id;
  };

  const emit = <T>(cmd: Command, data: T, human: (d: T, c: Palette) => string) => {
    io.stdout(json(cmd) ? JSON.stringify(data, null, 2) : human(data, colors(cmd)));
  };

  /** Exit 3 (and, in text, say why on stderr) when conflicts reach --fail-on. */
  const gate = (
    cmd: Command,
    result: { conflicts: readonly { severity: Severity }[]; conflicts_omitted: number },
    failOn: FailOn,
  ) => {
    // --max-conflicts is at least 1 and the errors are listed first: the
    // worst conflict is always listed, so the exit status never needs the rest
    if (failing(result.conflicts, failOn).length === 0) return;
    exitCode = EXIT.conflicts;
    if (!json(cmd)) {
      const { count, atLeast } = failingCount(result.conflicts, result.conflicts_omitted, failOn);
      io.stderr(
        `pggit: ${atLeast ? 'at least ' : ''}${count} conflict(s) at or above ${failOn} (--fail-on ${failOn}): exit 3`,
      );
    }
  };

  const agentOption = (description: string) =>
    new Option('-a, --agent-id <id>', description).env('PGGIT_AGENT_ID');
  const failOnOption = () =>
    new Option('--fail-on <severity>', 'exit 3 when a conflict is at least this severe')
      .choices(FAIL_ON)
      .default('error');

  const maxConflictsOption = () =>
    new Option(
      '--max-conflicts <n>',
      `list at most this many conflicts, errors first, or "all" (default ${DEFAULT_MAX_CONFLICTS}; all are recorded and counted)`,
    ).argParser(parseMaxConflicts);

  const scriptOptions = (cmd: Command) =>
    cmd
      .addOption(agentOption('who plans the change'))
      .option('-n, --feature-name <name>', 'the feature, e.g. "user email verification"')
      .option('-s, --schema-changes <ddl>', "the planned DDL: SQL text, @file, or '-' for stdin")
      .option(
        '-f, --file <paths...>',
        'migration files or globs (quote globs); several files are one change',
      )
      .option(
        '-t, --tables-affected <tables>',
        'tables the change touches beyond those its DDL names (comma-separated, repeatable)',
        collectTables,
      );

  interface ScriptCommandOptions extends ScriptOptions {
    agentId?: string;
    featureName?: string;
    tablesAffected?: string[];
    maxConflicts?: number | 'all';
    failOn: FailOn;
  }

  scriptOptions(program.command('register'))
    .description(
      'declare an intent before writing its migration: records conflicts, allocates a branch',
    )
    .addOption(
      new Option('-r, --risk-level <level>', 'risk level (default low)').choices(RISK_LEVELS),
    )
    .option(
      '--estimated-duration-ms <ms>',
      'how long the change should take',
      parseNonNegativeInt('--estimated-duration-ms'),
    )
    .option('-m, --metadata <json>', 'a JSON object stored with the intent', parseJsonObject)
    .option(
      '--lease-seconds <n>',
      'its lease: it expires unless heartbeat renews it (default: the lease_seconds setting, 1 day)',
      parseLeaseSeconds,
    )
    .addOption(maxConflictsOption())
    .addOption(failOnOption())
    .action(
      async (
        opts: ScriptCommandOptions & {
          riskLevel?: (typeof RISK_LEVELS)[number];
          estimatedDurationMs?: number;
          metadata?: Record<string, unknown>;
          leaseSeconds?: number;
        },
        cmd: Command,
      ) => {
        const agentId = requireAgent(opts.agentId);
        const featureName = requireFeature(opts.featureName);
        const script = await readScript(opts, io.readStdin);
        const result = await withClient(cmd, (c) =>
          c.register({
            agentId,
            featureName,
            schemaChanges: script.text,
            tablesAffected: opts.tablesAffected,
            estimatedDurationMs: opts.estimatedDurationMs,
            riskLevel: opts.riskLevel,
            metadata: opts.metadata,
            leaseSeconds: opts.leaseSeconds,
            maxConflicts: opts.maxConflicts,
          }),
        );
        emit(cmd, result, fmt.formatRegister);
        gate(cmd, result, opts.failOn);
      },
    );

  scriptOptions(program.command('check'))
    .description(
      'dry run of register, e.g. as a CI gate: the conflicts it would record; writes nothing',
    )
    .addOption(maxConflictsOption())
    .addOption(failOnOption())
    .option('--offline', 'no database: parse the DDL, and detect conflicts with --against intents')
    .option(
      '--against <file>',
      'with --offline: a JSON array of intents (as `pggit list-intents --full --format json` prints)',
    )
    .action(
      async (
        opts: ScriptCommandOptions & { offline?: boolean; against?: string },
        cmd: Command,
      ) => {
        if (opts.against !== undefined && !opts.offline) {
          throw new UsageError(
            '--against needs --offline (online, check compares with the database)',
          );
        }
        if (opts.offline) {
          const script = await readScript(opts, io.readStdin);
          const result = await offlineCheck(script.text, opts);
          emit(cmd, result, (r, c) => fmt.formatCheck(r, c, script.files));
          gate(cmd, result, opts.failOn);
          return;
        }
        const agentId = requireAgent(opts.agentId);
        const featureName = requireFeature(opts.featureName);
        const script = await readScript(opts, io.readStdin);
        const result = await withClient(cmd, (c) =>
          c.check({
            agentId,
            featureName,
            schemaChanges: script.text,
            tablesAffected: opts.tablesAffected,
            maxConflicts: opts.maxConflicts,
          }),
        );
        emit(cmd, result, (r, c) => fmt.formatCheck(r, c, script.files));
        gate(cmd, result, opts.failOn);
      },
    );

  program
    .command('list-intents')
    .alias('list')
    .description('intents, newest first, with their open conflicts')
    .addOption(new Option('--status <status>', 'only intents with this status').choices(STATUSES))
    .option('-a, --agent-id <id>', 'only intents of this agent')
    .option(
      '-l, --limit <n>',
      `at most this many, up to ${PAGE_LIMIT} (default 100)`,
      parsePageLimit,
    )
    .option('--after <intent-id>', 'the page after this intent (the last one of the previous page)')
    .option('--all', 'every intent, page after page')
    .option(
      '--full',
      'whole intents, with their statements and conflicts_with (e.g. for check --offline --against)',
    )
    .action(
      async (
        opts: {
          status?: Status;
          agentId?: string;
          limit?: number;
          after?: string;
          all?: boolean;
          full?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.all && (opts.limit !== undefined || opts.after !== undefined)) {
          throw new UsageError('--all reads every page: give it without --limit and --after');
        }
        const filter = { status: opts.status, agentId: opts.agentId };
        const limit = opts.limit ?? 100;
        const page = await withClient(cmd, async (c) => {
          const found = async () => {
            if (opts.all) return { intents: await c.listAllIntents(filter), more: false };
            // One more than asked, to know in the same call whether a next page
            // exists (a full page of PAGE_LIMIT may have one).
            const ask = Math.min(limit + 1, PAGE_LIMIT);
            const rows = await c.listIntents({ ...filter, limit: ask, after: opts.after });
            return {
              intents: rows.slice(0, limit),
              more: rows.length > limit || rows.length === PAGE_LIMIT,
            };
          };
          const listed = await found();
          if (!opts.full) return listed;
          // the whole intents, a page of ids per call, with the summaries' counts
          const intents: IntentSummary[] = [];
          for (let k = 0; k < listed.intents.length; k += PAGE_LIMIT) {
            const chunk = listed.intents.slice(k, k + PAGE_LIMIT);
            const whole = await c.getIntents(chunk.map((i) => i.id));
            chunk.forEach((summary, n) => {
              const full = whole[n];
              // (an intent abandoned and hidden since is listed as it was)
              intents.push(full ? { ...full, ...summary } : summary);
            });
          }
          return { intents, more: listed.more };
        });
        emit(cmd, page.intents, (intents: IntentSummary[], c) => {
          const table = fmt.formatIntentList(intents, c);
          const last = intents[intents.length - 1];
          return page.more && last
            ? `${table}\n\n${c.dim(`more: pggit list-intents --after ${last.id}${opts.limit ? ` --limit ${opts.limit}` : ''}`)}`
            : table;
        });
      },
    );

  program
    .command('status <intent-id>')
    .alias('show')
    .description('one intent: status, branch, statements, what it conflicts with')
    .action(async (id: string, _opts, cmd: Command) => {
      const intent = await withClient(cmd, (c) => c.getIntent(id));
      if (intent === null) {
        throw new PggitError(ERROR_CODES.notFound, `intent ${id} does not exist`);
      }
      emit(cmd, intent, (i, c) =>
        i.conflicts_with.length > 0
          ? `${fmt.formatIntent(i, c)}\n\nconflicts: pggit conflicts ${fmt.shortId(i.id)}`
          : fmt.formatIntent(i, c),
      );
    });

  program
    .command('conflicts [intent-id]')
    .description(
      'the conflicts of one intent (open and resolved), or without an id every open conflict; in id order',
    )
    .option(
      '-l, --limit <n>',
      `at most this many, up to ${PAGE_LIMIT} (default: all)`,
      parsePageLimit,
    )
    .option(
      '--after <conflict-id>',
      'the page after this conflict (the last one of the previous page)',
      parsePositiveInt('--after'),
    )
    .action(
      async (id: string | undefined, opts: { limit?: number; after?: number }, cmd: Command) => {
        const { limit, after } = opts;
        // One more than asked: whether there is a next page, in the same call.
        const page = { limit: limit === undefined ? undefined : limit + 1, after };
        const cut = <T extends { id: number }>(rows: T[]) => ({
          rows: limit === undefined ? rows : rows.slice(0, limit),
          more: limit !== undefined && rows.length > limit,
        });
        const hint = <T extends { id: number }>(
          p: { rows: T[]; more: boolean },
          text: string,
          c: Palette,
        ) => {
          const last = p.rows[p.rows.length - 1];
          return p.more && last
            ? `${text}\n\n${c.dim(`more: pggit conflicts${id === undefined ? '' : ` ${id}`} --after ${last.id} --limit ${limit}`)}`
            : text;
        };
        if (id === undefined) {
          const p = cut(await withClient(cmd, (c) => c.openConflicts(undefined, page)));
          emit(cmd, p.rows, (r: OpenConflict[], c) => hint(p, fmt.formatOpenConflicts(r, c), c));
        } else {
          const p = cut(await withClient(cmd, (c) => c.getConflicts(id, page)));
          emit(cmd, p.rows, (r: Conflict[], c) => hint(p, fmt.formatConflicts(r, c), c));
        }
      },
    );

  program
    .command('resolve <conflict-id>')
    .description('mark a conflict reviewed, with how it was resolved')
    .requiredOption('--notes <text>', 'how it was resolved')
    .addOption(
      new Option('--severity <severity>', 're-rate the conflict while resolving it').choices(
        SEVERITIES,
      ),
    )
    .addOption(agentOption('the reviewer (without one: the database user)'))
    .action(
      async (
        idArg: string,
        opts: { notes: string; severity?: Severity; agentId?: string },
        cmd: Command,
      ) => {
        const id = parsePositiveInt('conflict-id')(idArg);
        const conflict = await withClient(cmd, (c) =>
          c.resolveConflict(id, opts.notes, { reviewedBy: opts.agentId, severity: opts.severity }),
        );
        emit(cmd, conflict, fmt.formatResolved);
      },
    );

  program
    .command('reopen <conflict-id>')
    .description('open a resolved conflict again')
    .requiredOption('--reason <text>', 'why it is not resolved after all')
    .addOption(agentOption('who reopens it (without one: the database user)'))
    .action(async (idArg: string, opts: { reason: string; agentId?: string }, cmd: Command) => {
      const id = parsePositiveInt('conflict-id')(idArg);
      emit(
        cmd,
        await withClient(cmd, (c) => c.reopenConflict(id, opts.reason, opts.agentId)),
        fmt.formatReopened,
      );
    });

  const verbs: [string, TransitionTarget, string][] = [
    ['start', 'in_progress', 'start work on an intent (refused while an error conflict is open)'],
    ['complete', 'completed', 'its migration is written and applied in its branch'],
    ['merge', 'merged', 'its changes reached the main schema'],
    ['abandon', 'abandoned', 'give it up: its open conflicts are resolved, others are released'],
  ];
  for (const [verb, to, description] of verbs) {
    program
      .command(`${verb} <intent-id>`)
      .description(description)
      .option('--reason <text>', 'why, for the history')
      .addOption(agentOption('who, for the history (without one: the database user)'))
      .action(async (id: string, opts: { reason?: string; agentId?: string }, cmd: Command) => {
        const intent = await withClient(cmd, (c) =>
          c.transition(id, to, { reason: opts.reason, changedBy: opts.agentId }),
        );
        emit(cmd, intent, fmt.formatTransition);
      });
  }

  program
    .command('history <intent-id>')
    .description('the audit trail of an intent, oldest first')
    .action(async (id: string, _opts, cmd: Command) => {
      emit(cmd, await withClient(cmd, (c) => c.history(id)), fmt.formatHistory);
    });

  // -------------------------------------------------------------------------
  // leases

  program
    .command('heartbeat <intent-id>')
    .description('renew an intent’s lease: while you work, well within it (e.g. every third of it)')
    .option(
      '--lease-seconds <n>',
      'renew for this long from now, which becomes its lease (default: its own)',
      parseLeaseSeconds,
    )
    .action(async (id: string, opts: { leaseSeconds?: number }, cmd: Command) => {
      emit(
        cmd,
        await withClient(cmd, (c) => c.heartbeat(id, opts.leaseSeconds)),
        fmt.formatHeartbeat,
      );
    });

  program
    .command('sweep')
    .description('abandon the intents whose lease has run out (safe to run from cron)')
    .option(
      '-l, --limit <n>',
      `at most this many, up to ${PAGE_LIMIT} (default 1000)`,
      parsePageLimit,
    )
    .action(async (opts: { limit?: number }, cmd: Command) => {
      emit(cmd, await withClient(cmd, (c) => c.sweep(opts.limit)), fmt.formatSweep);
    });

  // -------------------------------------------------------------------------
  // the drift guard

  program
    .command('drift')
    .description('DDL that ran without an active intent of its agent declaring it, newest first')
    .option(
      '--since <time>',
      'only findings since: an ISO 8601 time, or a duration ago (15m, 2h, 7d)',
      (v) => parseSince(v),
    )
    .option(
      '-l, --limit <n>',
      `at most this many, up to ${PAGE_LIMIT} (default 100)`,
      parsePageLimit,
    )
    .action(async (opts: { since?: string; limit?: number }, cmd: Command) => {
      emit(
        cmd,
        await withClient(cmd, (c) => c.drift({ since: opts.since, limit: opts.limit })),
        fmt.formatDrift,
      );
    });

  // -------------------------------------------------------------------------
  // reviews

  const DECISIONS: Record<string, 'approved' | 'rejected'> = {
    approve: 'approved',
    approved: 'approved',
    reject: 'rejected',
    rejected: 'rejected',
  };
  program
    .command('review <intent-id> <decision>')
    .description('approve or reject an intent: for an owner rule (--rule) or the review gate')
    .option('--notes <text>', 'why, recorded with the decision')
    .option(
      '--rule <rule-id>',
      'the owner rule whose review this is (default: the review gate)',
      (v) => parsePositiveInt('--rule')(v),
    )
    .addOption(
      new Option('--reviewer <id>', 'who decides (default: the database user)').env(
        'PGGIT_AGENT_ID',
      ),
    )
    .addHelpText('after', '\n<decision> is approve or reject.')
    .action(
      async (
        id: string,
        decisionArg: string,
        opts: { notes?: string; rule?: number; reviewer?: string },
        cmd: Command,
      ) => {
        const decision = DECISIONS[decisionArg.toLowerCase()];
        if (decision === undefined) {
          throw new UsageError(
            `<decision> must be approve or reject, not ${JSON.stringify(decisionArg)}`,
          );
        }
        const state = await withClient(cmd, (c) =>
          c.review(id, decision, {
            notes: opts.notes,
            reviewer: opts.reviewer || undefined,
            ruleId: opts.rule,
          }),
        );
        emit(cmd, state, fmt.formatReviews);
      },
    );

  program
    .command('reviews <intent-id>')
    .description(
      'the reviews of an intent: what owner rules require, the review gate, every decision',
    )
    .action(async (id: string, _opts, cmd: Command) => {
      emit(cmd, await withClient(cmd, (c) => c.reviews(id)), fmt.formatReviews);
    });

  // -------------------------------------------------------------------------
  // rules and settings (changing them is for pggit_admin)

  const rules = program
    .command('rules')
    .description('owner, severity and advice rules: list (default), add, remove');
  rules
    .command('list', { isDefault: true })
    .description('the active rules, in the order they apply')
    .action(async (_opts, cmd: Command) => {
      emit(cmd, await withClient(cmd, (c) => c.rules()), fmt.formatRules);
    });
  rules
    .command('add')
    .description('add a rule (pggit_admin)')
    .addOption(
      new Option(
        '--kind <kind>',
        'owner (--pattern, --owner), severity (--severity, --conflict-type and/or --pattern) or advice (--advice, --pattern or --metadata)',
      )
        .choices(RULE_KINDS)
        .makeOptionMandatory(),
    )
    .option('--pattern <glob>', 'objects, e.g. "public.payments*" or "function:public.charge*"')
    .option(
      '--owner <agent-or-role>',
      'owner rules: who reviews others’ changes (a role: any member)',
    )
    .addOption(
      new Option('--severity <severity>', 'severity rules: none records no conflict').choices(
        RULE_SEVERITIES,
      ),
    )
    .option(
      '--conflict-type <type>',
      'severity rules: only conflicts of this type (column, table, …)',
    )
    .option('--advice <text>', 'advice rules: what to tell the agents')
    .option(
      '--metadata <key=value>',
      'advice rules: intents whose metadata has this value',
      parseKeyValue,
    )
    .action(
      async (
        opts: {
          kind: RuleInput['kind'];
          pattern?: string;
          owner?: string;
          severity?: RuleInput['severity'];
          conflictType?: string;
          advice?: string;
          metadata?: { key: string; value: string };
        },
        cmd: Command,
      ) => {
        const rule = await withClient(cmd, (c) =>
          c.addRule({
            kind: opts.kind,
            pattern: opts.pattern,
            owner: opts.owner,
            severity: opts.severity,
            conflictType: opts.conflictType as RuleInput['conflictType'],
            advice: opts.advice,
            metadataKey: opts.metadata?.key,
            metadataValue: opts.metadata?.value,
          }),
        );
        emit(cmd, rule, fmt.formatRule);
      },
    );
  rules
    .command('remove <rule-id>')
    .description('retire a rule (pggit_admin); it stays, inactive, for what it decided')
    .action(async (idArg: string, _opts, cmd: Command) => {
      const id = parsePositiveInt('rule-id')(idArg);
      emit(cmd, await withClient(cmd, (c) => c.removeRule(id)), fmt.formatRule);
    });

  const config = program
    .command('config')
    .alias('settings')
    .description('the settings of this installation: get (default), set');
  config
    .command('get [key]', { isDefault: true })
    .description('every setting, or the value of one')
    .action(async (key: string | undefined, _opts, cmd: Command) => {
      const settings = await withClient(cmd, (c) => c.settings());
      if (key === undefined) {
        emit(cmd, settings, fmt.formatSettings);
        return;
      }
      if (!Object.hasOwn(settings, key)) {
        throw new PggitError(
          ERROR_CODES.notFound,
          `no setting ${JSON.stringify(key)}: the settings are ${Object.keys(settings).sort().join(', ')}`,
        );
      }
      emit(cmd, { [key]: settings[key] }, (s) => String(s[key]));
    });
  config
    .command('set <key> <value>')
    .description(
      'change a setting (pggit_admin): bind_agent_identity, agent_isolation, review_gate (on/off), drift_mode (off/warn/enforce), lease_seconds',
    )
    .action(async (key: string, value: string, _opts, cmd: Command) => {
      const changed = await withClient(cmd, (c) => c.setSetting(key, value));
      emit(cmd, changed, (s) =>
        Object.entries(s)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n'),
      );
    });

  program
    .command('parse')
    .description('the statements of a DDL script and the objects each touches')
    .option('-s, --schema-changes <ddl>', "SQL text, @file, or '-' for stdin")
    .option('-f, --file <paths...>', 'files or globs')
    .option('--default-schema <schema>', 'the schema of unqualified names (default public)')
    .option('--offline', 'parse here, without a database')
    .action(
      async (opts: ScriptOptions & { defaultSchema?: string; offline?: boolean }, cmd: Command) => {
        const script = await readScript(opts, io.readStdin);
        if (opts.offline) {
          const { parseScript } = await import('../detector/index.js');
          const parsed = parseScript(script.text, { defaultSchema: opts.defaultSchema });
          emit(cmd, parsed, fmt.formatParse);
          return;
        }
        const parsed = await withClient(cmd, (c) => c.parse(script.text, opts.defaultSchema));
        emit(cmd, parsed, fmt.formatParse);
      },
    );

  program
    .command('watch')
    .description(
      'print pggit notifications as they happen, until Ctrl-C (--webhook: POST them too)',
    )
    .option('--webhook <url>', 'POST each event as JSON to this URL (repeatable)', collect)
    .option(
      '--webhook-attempts <n>',
      'attempts per event and URL before giving up (default 5)',
      parsePositiveInt('--webhook-attempts'),
    )
    .option(
      '--webhook-backoff <ms>',
      'wait before the first retry, doubled for each next one, at most 60 s (default 1000)',
      parsePositiveInt('--webhook-backoff'),
    )
    .option(
      '--webhook-timeout <seconds>',
      'give up an attempt after this long (default 10)',
      parsePositiveInt('--webhook-timeout'),
    )
    .option(
      '--webhook-queue <n>',
      'events that may wait per URL; a full queue drops its oldest, with a warning (default 1000)',
      parsePositiveInt('--webhook-queue'),
    )
    .option(
      '--enrich',
      'add the intent (as this database user may read it) to each intent event’s body',
    )
    .action(
      async (
        opts: {
          webhook?: string[];
          webhookAttempts?: number;
          webhookBackoff?: number;
          webhookTimeout?: number;
          webhookQueue?: number;
          enrich?: boolean;
        },
        cmd: Command,
      ) => {
        const asJson = json(cmd);
        const c = colors(cmd);
        const urls = opts.webhook ?? [];
        const { checkWebhookUrl, WebhookRelay } =
          urls.length > 0
            ? await import('./webhook.js')
            : ({} as Partial<typeof import('./webhook.js')>);
        for (const url of urls) {
          const problem = checkWebhookUrl?.(url);
          if (problem !== undefined) throw new UsageError(problem);
        }
        if (urls.length === 0) {
          for (const [name, given] of [
            ['--webhook-attempts', opts.webhookAttempts],
            ['--webhook-backoff', opts.webhookBackoff],
            ['--webhook-timeout', opts.webhookTimeout],
            ['--webhook-queue', opts.webhookQueue],
            ['--enrich', opts.enrich],
          ] as const) {
            if (given !== undefined) throw new UsageError(`${name} needs --webhook <url>`);
          }
        }
        // enrichment reads on a second connection: the first one listens
        await withClient(
          cmd,
          async (client) => {
            const relay =
              WebhookRelay === undefined
                ? undefined
                : new WebhookRelay(urls, {
                    attempts: opts.webhookAttempts ?? 5,
                    backoffMs: opts.webhookBackoff ?? 1000,
                    timeoutMs: (opts.webhookTimeout ?? 10) * 1000,
                    queueSize: opts.webhookQueue ?? 1000,
                    userAgent: `pggit/${packageVersion()}`,
                    warn: (m) => io.stderr(`warning: ${m}`),
                    enrich: opts.enrich
                      ? async (p) =>
                          p.event === 'drift'
                            ? {}
                            : { intent: await client.getIntent(String(p.intent_id)) }
                      : undefined,
                  });
            let lost: (err: Error) => void = () => {};
            const stop = await client.listen(
              (e: PggitEvent) => {
                io.stdout(asJson ? JSON.stringify(e) : fmt.formatEvent(e, new Date(), c));
                relay?.push(e as unknown as Record<string, unknown>);
              },
              (err) => {
                if (err instanceof PggitNotificationError) io.stderr(`warning: ${err.message}`);
                else lost(err);
              },
            );
            io.stderr(
              `watching pggit notifications (Ctrl-C to stop)${urls.length > 0 ? `; relaying them to ${urls.length} webhook(s)` : ''}`,
            );
            try {
              // Until Ctrl-C (exit 0) or the connection is lost (exit 1).
              await new Promise<void>((resolve, reject) => {
                lost = reject;
                process.once('SIGINT', () => resolve());
                process.once('SIGTERM', () => resolve());
              });
            } finally {
              await stop();
              for (const s of (await relay?.close()) ?? []) {
                io.stderr(
                  `webhook ${s.url}: ${s.delivered} delivered, ${s.failed} given up, ${s.dropped} dropped (queue full), ${s.abandoned} not sent (stopped)`,
                );
              }
            }
          },
          { max: opts.enrich ? 2 : 1 },
        );
      },
    );

  program
    .command('install')
    .description('install or upgrade pggit in a database (--database-url is required here)')
    .option('--schema <schema>', "pggit's own schema: tables, internal functions (default pggit)")
    .option('--dry-run', 'print the SQL it would run, change nothing')
    .action(async (opts: { schema?: string; dryRun?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      // Only an explicit URL: installing into whatever DATABASE_URL points at is too easy a mistake.
      if (g.databaseUrl === undefined) {
        throw new UsageError('pggit install needs --database-url <postgres://…>');
      }
      const { url } = resolveDatabaseUrl(g.databaseUrl, io.env);
      const { install, InstallError } = await import('../install/index.js');
      const asJson = json(cmd);
      let result: InstallResult;
      try {
        result = await install({
          databaseUrl: url,
          schema: opts.schema,
          apiSchema: g.apiSchema,
          dryRun: opts.dryRun,
          log: asJson || opts.dryRun ? undefined : (l) => io.stderr(l),
        });
      } catch (err) {
        // nothing was changed: a bad schema name, a downgrade, another --api-schema
        if (err instanceof InstallError) throw new PggitError('install_refused', err.message);
        throw connectionError(err, url);
      }
      if (asJson) io.stdout(JSON.stringify(result, null, 2));
      else if (opts.dryRun) io.stdout(result.sql ?? '');
      else {
        const from =
          result.previousVersion === null
            ? 'installed'
            : result.previousVersion === result.version
              ? 'reinstalled'
              : `upgraded from ${result.previousVersion}`;
        io.stdout(
          `pggit ${result.version} ${from}: tables in schema ${result.schema}, API in schema ${result.apiSchema}${result.applied.length > 0 ? ` (applied ${result.applied.join(', ')})` : ''}`,
        );
      }
    });

  program
    .command('verify')
    .description("recompute the audit trail's hash chains: exit 1 if a link is broken")
    .action(async (_opts, cmd: Command) => {
      const result = await withClient(cmd, (c) => c.verify());
      emit(cmd, result, fmt.formatVerify);
      if (!result.ok) exitCode = EXIT.error;
    });

  program
    .command('mcp')
    .description(
      'run the MCP server on stdio (tools for AI agents; writes are recorded as PGGIT_AGENT_ID)',
    )
    .addOption(agentOption('the agent the tools act for'))
    .action(async (opts: { agentId?: string }, cmd: Command) => {
      const g = globals(cmd);
      const { url } = resolveDatabaseUrl(g.databaseUrl, io.env);
      const { runStdioServer } = await import('../mcp/server.js');
      await runStdioServer({
        databaseUrl: url,
        agentId: opts.agentId,
        apiSchema: g.apiSchema,
        connectTimeoutMs: Math.round((g.connectTimeout ?? 5) * 1000),
      });
    });

  program
    .command('version')
    .description('the version of this pggit and, with a database, of the one installed there')
    .action(async (_opts, cmd: Command) => {
      const client = packageVersion();
      const g = globals(cmd);
      const hasUrl =
        g.databaseUrl !== undefined || !!io.env.PGGIT_DATABASE_URL || !!io.env.DATABASE_URL;
      const server = hasUrl
        ? await withClient(cmd, (c) => c.version(), { checkVersion: false })
        : null;
      emit(cmd, { client, server }, (v) => fmt.formatVersion(v.client, v.server));
    });

  return { program, exitCode: () => exitCode };
}

/** Runs the CLI; resolves to the exit status. `argv` as process.argv (node, script, ...args). */
export async function main(argv: string[] = process.argv, io: Io = processIo()): Promise<number> {
  const { program, exitCode } = buildProgram(io, argv);
  const args = argv.slice(2);
  const asJson = wantsJson(args);
  if (argv.length <= 2) {
    io.stderr(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv);
    return exitCode();
  } catch (err) {
    return reportError(err, io, { json: asJson, color: !args.includes('--no-color') });
  }
}

const USAGE_CODES = new Set<string>([ERROR_CODES.noDatabase, ERROR_CODES.badUrl]);

/** Prints the error (text on stderr, or JSON on stdout) and returns the exit status. */
export function reportError(
  err: unknown,
  io: Io,
  output: { json: boolean; color: boolean } = { json: false, color: true },
): number {
  if (err instanceof CommanderError) {
    // commander has printed its message already (outputError above)
    const done = ['commander.helpDisplayed', 'commander.help', 'commander.version'];
    return done.includes(err.code) ? EXIT.ok : EXIT.usage;
  }
  let code: string;
  let message: string;
  let detail: string | undefined;
  let hint: string | undefined;
  let status: number;
  if (err instanceof UsageError) {
    [code, message, status] = ['usage', err.message, EXIT.usage];
  } else if (err instanceof PggitError) {
    [code, message, detail, hint] = [err.code, err.message, err.detail, err.hint];
    status = USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.error;
  } else {
    [code, message, status] = [
      'error',
      err instanceof Error ? err.message : String(err),
      EXIT.error,
    ];
  }
  // pggit's hints name SQL functions; say what to type instead.
  if (detail !== undefined) detail = speak(detail, 'cli');
  if (hint !== undefined) hint = speak(hint, 'cli');
  else if (code === '42501') hint = permissionHint(message, 'cli');
  if (output.json) {
    io.stdout(
      JSON.stringify({
        error: {
          code,
          message,
          ...(detail === undefined ? {} : { detail }),
          ...(hint === undefined ? {} : { hint }),
        },
      }),
    );
    return status;
  }
  const c = palette(output.color && useColor(io.stderrIsTTY, io.env));
  const lines = [`${c.red(isSqlState(code) ? `error [${code}]` : 'error')}: ${message}`];
  if (detail) lines.push(`detail: ${detail}`);
  if (hint) lines.push(`hint: ${hint}`);
  if (status === EXIT.usage) lines.push('(run pggit --help for usage)');
  io.stderr(lines.join('\n'));
  return status;
}
