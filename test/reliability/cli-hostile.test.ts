/**
 * A corpus of hostile input across every CLI command: each hostile value in
 * each argument and option of each command, run through the CLI's own entry
 * point (`main`, in this process: the same code as `pggit` without a node
 * start per case). Each run must end in a documented exit status: 0, 3 (a
 * conflict at --fail-on), 2 (usage, touching no database) or 1 with
 * `error [CODE]:` where CODE is a documented SQLSTATE or client code; never an
 * unclassified error, a stack trace or a hang. A failure writes nothing, and
 * afterwards every invariant holds. (`watch` and `mcp` run until stopped: only
 * their refusals are here; they are run end to end in test/client.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, main } from '../../src/cli/main.js';
import { ERROR_CODES } from '../../src/client/errors.js';
import { counts, register } from '../registry/helpers.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { brokenInvariants } from '../support/invariants.js';
import { DOCUMENTED } from './sqlstates.js';

/** What `error [CODE]` may say in text mode: SQLSTATEs and the client's words. */
const CODES = new Set<string>([...DOCUMENTED, ...Object.values(ERROR_CODES)]);
/** Exit 2 is for usage, and for a missing or malformed URL (README). */
const USAGE_CODES = new Set<string>([ERROR_CODES.noDatabase, ERROR_CODES.badUrl]);

/** Values an agent, a script or an attacker may pass anywhere. */
const HOSTILE: readonly string[] = [
  '',
  ' ',
  '-',
  '--',
  '-1',
  '0',
  '1e400',
  'NaN',
  '9'.repeat(40),
  'null',
  '{"a":',
  '[]',
  "x'; DROP TABLE pggit.tb_pggit_intent; --",
  '$$; SELECT pg_sleep(30); $$',
  '\u001b[31mred\u001b[0m\r\nforged: line',
  '\u202Eevil',
  '😀'.repeat(300),
  '\uD800',
  '\uFFFF',
  'x'.repeat(70_000),
  '@/nonexistent/file.sql',
  '0000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'FFFFFFFF',
];

interface Slot {
  /** The command and its other arguments; `V` marks where the value goes. */
  argv: readonly string[];
}

const V = '\u0000V';
/** Filled in when the case runs (the intents exist only then). */
const ACTIVE = '\u0000active';
const MERGED = '\u0000merged';
const CONFLICTED = '\u0000conflicted';
const CONFLICT = '\u0000conflict';

let db: TestDatabase;
let active: string;
let conflicted: string;
let merged: string;
let conflictId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  const a = await register(db.pool, 'cli-a', 'cli base', 'ALTER TABLE cli_t ADD COLUMN a int');
  const b = await register(db.pool, 'cli-b', 'cli other', 'ALTER TABLE cli_t ADD COLUMN a int');
  const m = await register(db.pool, 'cli-m', 'cli merged', 'CREATE TABLE cli_m (id int)');
  for (const to of ['in_progress', 'completed', 'merged']) {
    await db.query(`SELECT pggit_mark_${to}($1)`, [m.intent.id]);
  }
  active = a.intent.id;
  conflicted = b.intent.id;
  merged = m.intent.id;
  conflictId = b.conflicts.find((c) => c.severity === 'error')!.id;
});
afterAll(async () => {
  await db?.close();
});

function slots(): Slot[] {
  const ddl = 'ALTER TABLE cli_h ADD COLUMN h int';
  const reg = ['-a', 'cli-h', '-n', 'hostile feature', '-s', ddl];
  const out: Slot[] = [];
  const add = (...argv: string[]) => out.push({ argv });
  const everyOption = (base: string[], options: Record<string, string>) => {
    for (const [flag] of Object.entries(options)) {
      const rest = Object.entries(options)
        .filter(([f]) => f !== flag)
        .flatMap(([f, v]) => (v === '' ? [] : [f, v]));
      add(...base, ...rest, flag, V);
    }
  };
  everyOption(['register'], {
    '-a': 'cli-h',
    '-n': 'hostile feature',
    '-s': ddl,
    '-t': '',
    '-r': '',
    '--estimated-duration-ms': '',
    '-m': '',
    '--lease-seconds': '',
    '--fail-on': '',
  });
  everyOption(['check'], {
    '-a': 'cli-h',
    '-n': 'hostile check',
    '-s': ddl,
    '-t': '',
    '--fail-on': '',
  });
  add('check', '--offline', '-s', V);
  add('check', '--offline', '-s', ddl, '--against', V);
  for (const o of ['--status', '-a', '-l', '--after']) add('list-intents', o, V);
  for (const c of ['status', 'conflicts', 'history', 'reviews']) add(c, V);
  add('resolve', V, '--notes', 'n');
  add('resolve', CONFLICT, '--notes', V);
  add('resolve', CONFLICT, '--severity', V);
  add('resolve', CONFLICT, '-a', V);
  add('reopen', V);
  add('reopen', CONFLICT, '--reason', V);
  add('reopen', CONFLICT, '-a', V);
  for (const c of ['start', 'complete', 'merge', 'abandon']) {
    add(c, V);
    // start: refused while the error conflict is open; the others: merged is final
    const id = c === 'start' ? CONFLICTED : MERGED;
    add(c, id, '--reason', V);
    add(c, id, '-a', V);
  }
  add('heartbeat', V);
  add('heartbeat', ACTIVE, '--lease-seconds', V);
  add('sweep', '-l', V);
  add('drift', '--since', V);
  add('drift', '-l', V);
  add('review', V, 'approve');
  add('review', MERGED, V);
  add('review', MERGED, 'approve', '--notes', V);
  add('review', MERGED, 'approve', '--rule', V);
  add('review', MERGED, 'approve', '--reviewer', V);
  add('rules', V);
  everyOption(['rules', 'add'], {
    '--kind': 'advice',
    '--pattern': 'public.cli_*',
    '--owner': '',
    '--severity': '',
    '--conflict-type': '',
    '--advice': 'hostile advice',
    '--metadata': '',
  });
  add('rules', 'remove', V);
  add('config', V);
  add('config', 'get', V);
  add('config', 'set', V, 'on');
  add('config', 'set', 'lease_seconds', V);
  add('config', 'set', 'drift_mode', V);
  add('parse', '-s', V);
  add('parse', '--offline', '-s', V);
  add('parse', '-s', ddl, '--default-schema', V);
  // global options, on a command that reads and one that writes
  for (const g of ['--api-schema', '--connect-timeout', '--format']) {
    add(g, V, 'list-intents', '-l', '1');
    add(g, V, ...['register', ...reg]);
  }
  add('--database-url', V, 'version');
  add('install', '--database-url', V, '--dry-run');
  add('install', '--schema', V, '--dry-run');
  // watch and mcp: only what they refuse before they start
  add('watch', '--webhook', V, '--webhook-attempts', '0');
  add('watch', '--webhook', 'http://127.0.0.1:9/', '--webhook-queue', V, '--webhook-attempts', '0');
  add('mcp', '--bogus', V);
  add(V);
  return out;
}

interface Case {
  name: string;
  argv: string[];
}

function cases(): Case[] {
  const out: Case[] = [];
  // Each slot takes PER_SLOT values, the next ones round the list each time,
  // so every value reaches many slots and every slot several values.
  const PER_SLOT = 4;
  let next = 0;
  for (const slot of slots()) {
    for (let i = 0; i < PER_SLOT; i++) {
      const value = HOSTILE[next++ % HOSTILE.length]!;
      const shown = JSON.stringify(
        value.length > 24 ? `${value.slice(0, 24)}…(${value.length})` : value,
      );
      out.push({
        name: slot.argv.map((a) => (a === V ? shown : a)).join(' '),
        argv: slot.argv.map((a) => (a === V ? value : a)),
      });
    }
  }
  return out;
}

const corpus = cases();

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    stderr: (t) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
    readStdin: async () => "ALTER TABLE cli_h ADD COLUMN h int; SELECT '\u0000'",
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env,
  };
  const started = Date.now();
  const code = await Promise.race([
    main(['node', 'pggit', ...argv], io),
    new Promise<string>((r) => setTimeout(() => r('hang'), 15_000)),
  ]);
  return { code, stdout, stderr, ms: Date.now() - started };
}

describe(`${corpus.length} hostile CLI invocations`, () => {
  it('are at least 300, across every command', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const commands = new Set(corpus.map((c) => c.argv.find((a) => /^[a-z]/.test(a))));
    for (const c of [
      'register',
      'check',
      'list-intents',
      'status',
      'conflicts',
      'resolve',
      'reopen',
      'start',
      'complete',
      'merge',
      'abandon',
      'history',
      'heartbeat',
      'sweep',
      'drift',
      'review',
      'reviews',
      'rules',
      'config',
      'parse',
      'watch',
      'install',
      'mcp',
      'version',
    ]) {
      expect(commands, c).toContain(c);
    }
  });

  it('each end in a documented exit status and code, and a failure writes nothing', {
    timeout: 300_000,
  }, async () => {
    const env = { PGGIT_DATABASE_URL: db.url, PGGIT_CONNECT_TIMEOUT: '5' };
    const wrong: string[] = [];
    const seen = new Map<string, number>();
    const t0 = Date.now();
    const fill = (argv: string[]) =>
      argv.map((a) =>
        a === ACTIVE
          ? active
          : a === MERGED
            ? merged
            : a === CONFLICTED
              ? conflicted
              : a === CONFLICT
                ? String(conflictId)
                : a,
      );
    for (const k of corpus) {
      // each case twice: in JSON mode (the code is machine-readable), then in text
      for (const json of [true, false]) {
        const before = await counts(db.pool);
        const r = await run(json ? ['--json', ...fill(k.argv)] : fill(k.argv), env);
        const fail = (why: string) =>
          wrong.push(
            `${k.name}${json ? ' --json' : ''}: ${why} (exit ${r.code}) ${r.stderr.slice(0, 200)}${r.stdout.slice(0, 200)}`,
          );
        if (r.code === 'hang') {
          fail('still running after 15 s');
          continue;
        }
        if (![0, 1, 2, 3].includes(r.code as number)) fail('an undocumented exit status');
        if (/\n\s+at .+:\d+:\d+/.test(r.stderr + r.stdout)) fail('a stack trace');
        let code = '';
        if (json) {
          let doc: unknown;
          try {
            doc = JSON.parse(r.stdout);
          } catch {
            fail('stdout is not one JSON document');
          }
          if (r.code === 1 || r.code === 2) {
            code = (doc as { error?: { code?: string } } | undefined)?.error?.code ?? '';
            if (!CODES.has(code) && code !== 'usage')
              fail(`code ${JSON.stringify(code)} is not documented`);
            if (r.code === 2 && code !== 'usage' && !USAGE_CODES.has(code))
              fail(`exit 2 with ${code}`);
          }
          if (r.stderr !== '') fail('JSON mode wrote to stderr');
        } else if (r.code === 1 || r.code === 2) {
          // `error [SQLSTATE]: …`, or `error: …` for usage and the client's words
          if (!/^error(?: \[[0-9A-Z]{5}\])?: \S/.test(r.stderr))
            fail('no `error [CODE]: message` line');
        }
        const key = `${r.code}${code === '' ? '' : `:${code}`}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (
          (r.code === 1 || r.code === 2) &&
          JSON.stringify(await counts(db.pool)) !== JSON.stringify(before)
        ) {
          fail('failed but wrote rows');
        }
        if (r.ms > 10_000) fail(`took ${r.ms} ms`);
      }
    }
    console.log(
      `${corpus.length} CLI runs in ${Date.now() - t0} ms: ${JSON.stringify(Object.fromEntries(seen))}`,
    );
    expect(wrong).toEqual([]);
    // the corpus reaches past the argument parser: SQL refusals and successes too
    expect([...seen.keys()]).toEqual(
      expect.arrayContaining(['0', '3', '1:22023', '1:P0002', '1:55000', '2:usage']),
    );
    expect(await brokenInvariants(db.pool)).toEqual({});
    // and nothing it passed reached the database as SQL
    const t = await db.query("SELECT to_regclass('pggit.tb_pggit_intent') IS NOT NULL AS there");
    expect(t.rows[0]!.there).toBe(true);
  });
});
