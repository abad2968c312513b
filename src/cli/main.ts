/**
 * The pggit command line: a thin shell over the SQL API (src/client). Every
 * command is one client call; only `check --offline` runs the pure detector
 * locally, without a database.
 *
 *   npx pggit <command> ...        (bin/pggit.mjs)
 *   npm run pggit -- <command> ... (tsx src/cli/main.ts)
 *
 * Exit status: 0 success, 1 error (SQL errors print `error [SQLSTATE]: ...`),
 * 2 usage error.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import {
  connectionStringFromEnv,
  type Intent,
  PggitClient,
  PggitError,
  type PggitEvent,
  PggitNotificationError,
  packageVersion,
  type Status,
  type TransitionTarget,
} from '../client/index.js';
import type { IntentInput, ParsedStatement } from '../detector/types.js';
import {
  type CheckConflictView,
  formatCheck,
  formatConflicts,
  formatEvent,
  formatHistory,
  formatIntent,
  formatIntentList,
  formatRegister,
  formatResolved,
  formatTransition,
  formatVersion,
} from './format.js';

/** A mistake in how the command was called: exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface GlobalOptions {
  databaseUrl?: string;
  json?: boolean;
}

interface ScriptOptions {
  agent?: string;
  feature?: string;
  sql?: string;
  file?: string;
  tables?: string[];
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

// ---------------------------------------------------------------------------
// argument parsers

const parseTables = (value: string): string[] =>
  value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');

function parseNonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) {
      throw new UsageError(`${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
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

/** The DDL: exactly one of --sql, --file (`-` for stdin) or the argument `-`. */
async function readScript(opts: ScriptOptions, source: string | undefined, io: Io) {
  if (source !== undefined && source !== '-') {
    throw new UsageError(`unexpected argument ${JSON.stringify(source)}: use --sql, --file or -`);
  }
  const given = [opts.sql !== undefined, opts.file !== undefined, source === '-'].filter(Boolean);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'give the DDL with --sql <text>, --file <path>, or - (stdin)'
        : 'give the DDL only once: --sql, --file or -',
    );
  }
  if (opts.sql !== undefined) return opts.sql;
  if (opts.file === undefined || opts.file === '-') return io.readStdin();
  try {
    return readFileSync(opts.file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --file ${opts.file}: ${(err as Error).message}`);
  }
}

function requireAgentAndFeature(opts: ScriptOptions): { agent: string; feature: string } {
  const missing = [
    opts.agent === undefined ? '--agent' : null,
    opts.feature === undefined ? '--feature' : null,
  ].filter((x) => x !== null);
  if (missing.length > 0) throw new UsageError(`missing required option ${missing.join(' and ')}`);
  return { agent: opts.agent as string, feature: opts.feature as string };
}

// ---------------------------------------------------------------------------
// offline check: the pure detector, no database

const ACTIVE: readonly string[] = ['registered', 'in_progress', 'completed', 'conflicted'];

type AgainstIntent = IntentInput & { status?: Status };

function loadAgainst(path: string): AgainstIntent[] {
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
        `--against ${path}: entry ${i} needs agent_id, feature_name and schema_changes (as \`pggit list --json\` prints them)`,
      );
    }
    return o as AgainstIntent;
  });
}

async function offlineCheck(script: string, opts: ScriptOptions & { against?: string }) {
  const { parseScript, detectConflicts } = await import('../detector/index.js');
  const parsed = parseScript(script);
  const base = {
    objects: parsed.objects,
    statements: parsed.statements.map((s: ParsedStatement) => ({ kind: s.kind, text: s.text })),
    warnings: parsed.warnings,
  };
  if (opts.against === undefined) {
    return { conflicts_detected: 0, conflicts: [] as CheckConflictView[], ...base };
  }
  const { agent, feature } = requireAgentAndFeature(opts);
  const others = loadAgainst(opts.against);
  const intent: IntentInput = {
    agent_id: agent,
    feature_name: feature,
    schema_changes: script,
    tables_affected: opts.tables ?? [],
  };
  // The same candidates pggit_check considers: active intents of other agents.
  const conflicts: CheckConflictView[] = [];
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
  return { conflicts_detected: conflicts.length, conflicts, ...base };
}

// ---------------------------------------------------------------------------
// the program

export function buildProgram(io: Io = defaultIo): Command {
  const program = new Command('pggit');
  program
    .description('Coordinate many agents changing one PostgreSQL schema.')
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: PGGIT_DATABASE_URL, DATABASE_URL, or the local database)',
    )
    .option('--json', 'machine-readable JSON output')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)');

  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  const withClient = async <T>(cmd: Command, fn: (client: PggitClient) => Promise<T>) => {
    const url = globals(cmd).databaseUrl ?? connectionStringFromEnv();
    const client = new PggitClient(url);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };

  const emit = <T>(cmd: Command, data: T, human: (d: T) => string) => {
    io.stdout(globals(cmd).json ? JSON.stringify(data, null, 2) : human(data));
  };

  const scriptOptions = (cmd: Command) =>
    cmd
      .argument('[source]', "'-' to read the DDL from stdin")
      .option('--agent <id>', 'agent id')
      .option('--feature <name>', 'feature name')
      .option('--sql <text>', 'the planned DDL')
      .option('--file <path>', "file with the planned DDL ('-' for stdin)")
      .option('--tables <a,b>', 'tables the change touches, comma-separated', parseTables);

  scriptOptions(program.command('register'))
    .description('declare an intent: records conflicts and allocates a branch')
    .addOption(new Option('--risk <level>', 'risk level (low, medium, high)'))
    .option('--duration-ms <ms>', 'estimated duration in ms', parseNonNegativeInt('--duration-ms'))
    .option('--metadata <json>', 'a JSON object stored with the intent', parseJsonObject)
    .action(async (source: string | undefined, opts, cmd: Command) => {
      const { agent, feature } = requireAgentAndFeature(opts);
      const schemaChanges = await readScript(opts, source, io);
      const result = await withClient(cmd, (c) =>
        c.register({
          agentId: agent,
          featureName: feature,
          schemaChanges,
          tablesAffected: opts.tables,
          estimatedDurationMs: opts.durationMs,
          riskLevel: opts.risk,
          metadata: opts.metadata,
        }),
      );
      emit(cmd, result, formatRegister);
    });

  scriptOptions(program.command('check'))
    .description('dry run of register: the conflicts it would record, nothing written')
    .option('--offline', 'no database: parse, and detect against --against intents')
    .option(
      '--against <file>',
      'with --offline: JSON array of intents (as `pggit list --json` prints)',
    )
    .action(async (source: string | undefined, opts, cmd: Command) => {
      if (opts.against !== undefined && !opts.offline) {
        throw new UsageError(
          '--against needs --offline (online, check compares with the database)',
        );
      }
      if (opts.offline) {
        const script = await readScript(opts, source, io);
        emit(cmd, await offlineCheck(script, opts), formatCheck);
        return;
      }
      const { agent, feature } = requireAgentAndFeature(opts);
      const schemaChanges = await readScript(opts, source, io);
      const result = await withClient(cmd, (c) =>
        c.check({
          agentId: agent,
          featureName: feature,
          schemaChanges,
          tablesAffected: opts.tables,
        }),
      );
      emit(cmd, result, formatCheck);
    });

  program
    .command('list')
    .description('intents, newest first')
    .option('--status <status>', 'only intents with this status')
    .option('--agent <id>', 'only intents of this agent')
    .action(async (opts: { status?: Status; agent?: string }, cmd: Command) => {
      const intents = await withClient(cmd, (c) =>
        c.listIntents({ status: opts.status, agentId: opts.agent }),
      );
      emit(cmd, intents, formatIntentList);
    });

  program
    .command('show <intent-id>')
    .description('one intent (and, in text output, its conflicts)')
    .action(async (id: string, _opts, cmd: Command) => {
      const json = globals(cmd).json;
      const found = await withClient(cmd, async (c) => {
        const intent = await c.getIntent(id);
        if (intent === null || json) return { intent, conflicts: [] };
        return { intent, conflicts: await c.getConflicts(id) };
      });
      if (found.intent === null) throw new NotFound(`intent ${id} does not exist`);
      const intent: Intent = found.intent;
      emit(cmd, intent, (i) =>
        found.conflicts.length > 0
          ? `${formatIntent(i)}\n\nconflicts:\n\n${formatConflicts(found.conflicts)}`
          : formatIntent(i),
      );
    });

  const verbs: Record<string, TransitionTarget> = {
    start: 'in_progress',
    complete: 'completed',
    merge: 'merged',
    abandon: 'abandoned',
  };
  for (const [verb, to] of Object.entries(verbs)) {
    program
      .command(`${verb} <intent-id>`)
      .description(`move an intent to ${to}`)
      .option('--reason <text>', 'why, for the history')
      .option('--by <name>', 'who, for the history (default: the database user)')
      .action(async (id: string, opts: { reason?: string; by?: string }, cmd: Command) => {
        const intent = await withClient(cmd, (c) =>
          c.transition(id, to, { reason: opts.reason, changedBy: opts.by }),
        );
        emit(cmd, intent, formatTransition);
      });
  }

  program
    .command('conflicts <intent-id>')
    .description('every conflict the intent is part of')
    .action(async (id: string, _opts, cmd: Command) => {
      emit(cmd, await withClient(cmd, (c) => c.getConflicts(id)), formatConflicts);
    });

  program
    .command('resolve <conflict-id>')
    .description('mark a conflict reviewed')
    .requiredOption('--notes <text>', 'how it was resolved')
    .option('--by <name>', 'reviewer (default: the database user)')
    .action(async (idArg: string, opts: { notes: string; by?: string }, cmd: Command) => {
      const id = parseNonNegativeInt('conflict-id')(idArg);
      const conflict = await withClient(cmd, (c) => c.resolveConflict(id, opts.notes, opts.by));
      emit(cmd, conflict, formatResolved);
    });

  program
    .command('history <intent-id>')
    .description('the audit trail of an intent, oldest first')
    .action(async (id: string, _opts, cmd: Command) => {
      emit(cmd, await withClient(cmd, (c) => c.history(id)), formatHistory);
    });

  program
    .command('version')
    .description('client and server versions')
    .action(async (_opts, cmd: Command) => {
      const server = await withClient(cmd, (c) => c.version());
      const client = packageVersion();
      emit(cmd, { client, server }, (v) => formatVersion(v.client, v.server));
    });

  program
    .command('watch')
    .description('print pggit notifications until Ctrl-C')
    .action(async (_opts, cmd: Command) => {
      const json = globals(cmd).json;
      await withClient(cmd, async (c) => {
        let lost: (err: Error) => void = () => {};
        const stop = await c.listen(
          (e: PggitEvent) => io.stdout(json ? JSON.stringify(e) : formatEvent(e)),
          (err) => {
            if (err instanceof PggitNotificationError) io.stderr(`warning: ${err.message}`);
            else lost(err);
          },
        );
        io.stderr('watching pggit notifications (Ctrl-C to stop)');
        try {
          // Until Ctrl-C (exit 0) or the connection is lost (exit 1).
          await new Promise<void>((resolve, reject) => {
            lost = reject;
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
          });
        } finally {
          await stop();
        }
      });
    });

  return program;
}

/** Not an SQL error: a lookup that found nothing (exit 1). */
class NotFound extends Error {}

/** Runs the CLI; resolves to the exit status. `argv` as process.argv (node, script, ...args). */
export async function main(argv: string[] = process.argv, io: Io = defaultIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length <= 2) {
    io.stderr(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: Io): number {
  if (err instanceof CommanderError) {
    // commander has printed the message already
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.help' ||
      err.code === 'commander.version'
    ) {
      return 0;
    }
    return 2;
  }
  if (err instanceof UsageError) {
    io.stderr(`error: ${err.message}\n(run with --help for usage)`);
    return 2;
  }
  if (err instanceof PggitError) {
    const lines = [`error [${err.code}]: ${err.message}`];
    if (err.detail) lines.push(`detail: ${err.detail}`);
    if (err.hint) lines.push(`hint: ${err.hint}`);
    io.stderr(lines.join('\n'));
    return 1;
  }
  io.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
}

/** When run directly (tsx src/cli/main.ts); bin/pggit.mjs calls main() itself. */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => {
    process.exitCode = code;
  });
}
