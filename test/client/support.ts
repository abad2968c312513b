/**
 * Running the CLI as a user does, in a subprocess: `node --import tsx
 * src/cli/bin.ts ...` (the source; test/package runs the built, packed one),
 * from a neutral cwd, with no database or agent variables unless given.
 * Plus: what the SQL API of the database under test offers, for the tests of
 * SQL functions that are being changed alongside (they skip, saying why,
 * until the database has them).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestDatabase } from '../support/database.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const TSX = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
export const CLI = join(root, 'src/cli/bin.ts');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const VARIABLES = [
  'PGGIT_DATABASE_URL',
  'DATABASE_URL',
  'PGGIT_AGENT_ID',
  'PGGIT_API_SCHEMA',
  'PGGIT_CONNECT_TIMEOUT',
  'NO_COLOR',
  'FORCE_COLOR',
];

/** The test process's environment without pggit's, colour or database variables, plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of VARIABLES) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

export function runNode(args: string[], options: RunOptions = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? tmpdir(),
      env: cleanEnv(options.env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The CLI from source. */
export const pggit = (args: string[], options: RunOptions = {}) =>
  runNode(['--import', TSX, CLI, ...args], options);

/** A long-running CLI command (`watch`), from source, its output collected as it comes. */
export interface Started {
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr says it is watching (throws after `ms`). */
  watching: (ms?: number) => Promise<void>;
  /** SIGINT; resolves to the exit status. */
  stop: () => Promise<number | null>;
  kill: () => void;
  exited: Promise<number | null>;
}

export function startPggit(args: string[]): Started {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: tmpdir(),
    env: cleanEnv(),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    watching: (ms) => until(() => stderr.includes('watching'), ms),
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
    kill: () => child.kill('SIGKILL'),
    exited,
  };
}

/** Waits until `done()` holds, polling every 25 ms; throws after `ms`. */
export async function until(done: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The CLI under a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
export function pggitOnTty(args: string[], env: Record<string, string | undefined> = {}) {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--import', TSX, CLI, ...args].map(quote).join(' ');
  return new Promise<Run>((resolve, reject) => {
    const started = performance.now();
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: tmpdir(),
      env: cleanEnv({ TERM: 'xterm-256color', ...env }),
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout, stderr: '', ms: performance.now() - started }),
    );
    child.stdin.end();
  });
}

/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers (a
 * hung PostgreSQL). `held()` says how long each connection stayed open before
 * the client gave up, in ms: what a connect timeout decides.
 */
export async function silentServer(): Promise<{
  port: number;
  held: () => number[];
  close: () => Promise<void>;
}> {
  const sockets = new Set<import('node:net').Socket>();
  const held: number[] = [];
  const server: Server = createServer((s) => {
    const accepted = performance.now();
    sockets.add(s);
    s.on('error', () => {});
    s.resume(); // read (and drop) what the client sends, so its hang-up is seen
    s.on('close', () => {
      sockets.delete(s);
      held.push(performance.now() - accepted);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    held: () => [...held],
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A free local port nobody listens on. */
export async function closedPort(): Promise<number> {
  const s = await silentServer();
  await s.close();
  return s.port;
}

/** What the database's SQL API offers beyond the baseline (the functions being extended). */
export interface SqlApi {
  /** pggit_list_intents("limit", after) and open_conflicts/open_errors per intent. */
  paging: boolean;
  /** pggit_resolve_conflict(..., severity). */
  resolveSeverity: boolean;
  /** pggit_reopen_conflict(conflict_id, reason). */
  reopen: boolean;
}

export async function sqlApi(db: TestDatabase): Promise<SqlApi> {
  const { rows } = await db.query<{ name: string; args: string[] | null }>(
    `SELECT p.proname AS name, p.proargnames AS args FROM pg_proc p
      WHERE p.proname IN ('pggit_list_intents', 'pggit_resolve_conflict', 'pggit_reopen_conflict')`,
  );
  const has = (fn: string, arg?: string) =>
    rows.some((r) => r.name === fn && (arg === undefined || (r.args ?? []).includes(arg)));
  return {
    paging: has('pggit_list_intents', 'limit'),
    resolveSeverity: has('pggit_resolve_conflict', 'severity'),
    reopen: has('pggit_reopen_conflict'),
  };
}

/** Does the database resolve unique id prefixes (≥ 4 characters)? Probed with a real intent. */
export async function acceptsIdPrefixes(db: TestDatabase, fullId: string): Promise<boolean> {
  try {
    const { rows } = await db.query<{ found: unknown }>(
      'SELECT pggit_get_intent(intent_id => $1) AS found',
      [fullId.slice(0, 8).toUpperCase()],
    );
    return rows[0]?.found !== null;
  } catch {
    return false;
  }
}

export const PENDING =
  'needs the SQL API change being made alongside (list paging and open counts, resolve severity, reopen, id prefixes); runs once the database has it';

/**
 * The schema-qualified name of one of pggit's tables, views or functions in
 * this database, wherever the installer put it (the tests read a few tables
 * directly, to check that nothing was written).
 */
export async function qualified(db: TestDatabase, name: string): Promise<string> {
  const { rows } = await db.query<{ q: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS q FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1
     UNION ALL
     SELECT format('%I.%I', n.nspname, p.proname) FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = $1`,
    [name],
  );
  if (rows.length !== 1) throw new Error(`${name}: ${rows.length} objects of that name`);
  return (rows[0] as { q: string }).q;
}

/** How many intents the database holds (read from the table itself). */
export async function intentCount(db: TestDatabase, where = 'true'): Promise<number> {
  const table = await qualified(db, 'tb_pggit_intent');
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
  );
  return rows[0]?.n ?? -1;
}
