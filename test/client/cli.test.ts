/**
 * The CLI as users run it: `node bin/pggit.mjs ... --database-url <url>` in a
 * subprocess, against a real database. Output, --json, and exit statuses
 * (0 ok, 1 error with `error [SQLSTATE]`, 2 usage).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CheckResult,
  Conflict,
  HistoryEntry,
  Intent,
  RegisterResult,
} from '../../src/client/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/pggit.mjs');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from a neutral cwd, without database variables in the environment. */
function pggit(args: string[], options: { input?: string; db?: boolean } = {}): Promise<Run> {
  const full = options.db === false ? args : [...args, '--database-url', db.url];
  const env = { ...process.env };
  delete env.PGGIT_DATABASE_URL;
  delete env.DATABASE_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...full], { cwd: tmpdir(), env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const json = <T>(r: Run): T => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};

describe('pggit CLI', () => {
  let a: Intent;
  let b: Intent;

  it('register prints the intent: status and branch', async () => {
    const r = await pggit([
      'register',
      '--agent',
      'cli-a',
      '--feature',
      'cli email',
      '--sql',
      'ALTER TABLE cli_users ADD COLUMN email text',
      '--tables',
      'cli_users, cli_accounts',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status:\s+registered/);
    expect(r.stdout).toMatch(/branch:\s+feature\/cli_email/);
    expect(r.stdout).toContain('no conflicts');
    const listed = json<Intent[]>(await pggit(['list', '--agent', 'cli-a', '--json']));
    expect(listed).toHaveLength(1);
    a = listed[0] as Intent;
    expect(a.tables_affected).toEqual(['cli_users', 'cli_accounts']);
  });

  it('register --json reads the DDL from stdin and passes every option', async () => {
    const r = json<RegisterResult>(
      await pggit(
        [
          'register',
          '-',
          '--agent',
          'cli-b',
          '--feature',
          'cli verify',
          '--risk',
          'high',
          '--duration-ms',
          '1500',
          '--metadata',
          '{"ticket":"CLI-7"}',
          '--json',
        ],
        { input: 'ALTER TABLE cli_users ADD COLUMN email varchar(255);\n' },
      ),
    );
    b = r.intent;
    expect(b).toMatchObject({
      agent_id: 'cli-b',
      status: 'conflicted',
      risk_level: 'high',
      estimated_duration_ms: 1500,
      metadata: { ticket: 'CLI-7' },
      conflicts_with: [a.id],
    });
    expect(r.conflicts.map((c) => c.conflict_type).sort()).toEqual(['column', 'table']);
  });

  it('register from --file, human output lists conflicts with severity, type, objects, suggestions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pggit-cli-'));
    const file = join(dir, 'change.sql');
    writeFileSync(file, 'ALTER TABLE cli_users DROP COLUMN email;');
    const r = await pggit([
      'register',
      '--agent',
      'cli-c',
      '--feature',
      'cli drop',
      '--file',
      file,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status:\s+conflicted/);
    expect(r.stdout).toMatch(/conflict #\d+\s+error\s+column\s+on public\.cli_users\.email/);
    expect(r.stdout).toContain('suggestion: ');
  });

  it('show prints the intent and its conflicts; --json prints the intent', async () => {
    const human = await pggit(['show', b.id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(b.id);
    expect(human.stdout).toMatch(/status:\s+conflicted/);
    expect(human.stdout).toContain('conflicts:');
    expect(human.stdout).toMatch(/warning\s+table\s+on public\.cli_users/);
    const shown = json<Intent>(await pggit(['show', b.id, '--json']));
    expect(shown.id).toBe(b.id);
    expect(shown.branch_name).toBe('feature/cli_verify');
  });

  it('list shows a table and filters by status', async () => {
    const r = await pggit(['list', '--status', 'conflicted']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+AGENT\s+FEATURE\s+BRANCH/);
    expect(lines).toHaveLength(3);
    expect(r.stdout).toContain(b.id);
    expect(r.stdout).not.toContain(a.id);
  });

  it('check (online) reports what would conflict and writes nothing', async () => {
    const before = json<Intent[]>(await pggit(['list', '--json']));
    const r = json<CheckResult>(
      await pggit([
        'check',
        '--agent',
        'cli-d',
        '--feature',
        'cli peek',
        '--sql',
        'ALTER TABLE cli_users RENAME COLUMN email TO mail',
        '--json',
      ]),
    );
    expect(r.conflicts_detected).toBeGreaterThan(0);
    expect(r.conflicts.map((c) => c.with_agent)).toContain('cli-a');
    expect(json<Intent[]>(await pggit(['list', '--json']))).toEqual(before);
  });

  it('start of a blocked intent: exit 1, `error [55000]` with hint on stderr', async () => {
    const r = await pggit(['start', b.id]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error \[55000\]: cannot move intent/);
    expect(r.stderr).toMatch(/\nhint: /);
  });

  it('conflicts, resolve, then start, complete, merge and history', async () => {
    const conflicts = json<Conflict[]>(await pggit(['conflicts', b.id, '--json']));
    expect(conflicts.length).toBeGreaterThanOrEqual(2);
    for (const c of conflicts.filter(
      (x) => !x.reviewed && [x.intent_a, x.intent_b].includes(a.id),
    )) {
      const r = await pggit([
        'resolve',
        String(c.id),
        '--notes',
        'use one email column',
        '--by',
        'lead',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`conflict #${c.id} resolved by lead`);
    }
    const started = await pggit(['start', a.id, '--reason', 'coding', '--by', 'cli-a']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`intent ${a.id} is now in_progress`);
    expect((await pggit(['complete', a.id])).code).toBe(0);
    expect(json<Intent>(await pggit(['merge', a.id, '--json'])).status).toBe('merged');

    const history = json<HistoryEntry[]>(await pggit(['history', a.id, '--json']));
    expect(history.map((h) => h.new_status)).toEqual([
      'registered',
      'in_progress',
      'completed',
      'merged',
    ]);
    expect(history[1]).toMatchObject({ reason: 'coding', changed_by: 'cli-a' });
    const human = await pggit(['history', a.id]);
    expect(human.stdout).toMatch(/registered -> in_progress\s+by cli-a: coding/);
  });

  it('SQL errors exit 1 with the SQLSTATE: 22023, P0002, 55000', async () => {
    const bad = await pggit([
      'register',
      '--agent',
      'x',
      '--feature',
      'y',
      '--sql',
      'CREATE TABLE z (id int)',
      '--risk',
      'extreme',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error \[22023\]: .*risk_level/);
    const missing = await pggit(['history', 'no-such-intent']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error \[P0002\]: intent no-such-intent does not exist/);
    const final = await pggit(['abandon', a.id]);
    expect(final.code).toBe(1);
    expect(final.stderr).toMatch(/^error \[55000\]: /);
  });

  it('show of an unknown intent exits 1', async () => {
    const r = await pggit(['show', 'no-such-intent']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('intent no-such-intent does not exist');
  });

  it('usage errors exit 2 and touch no database', async () => {
    const noAgent = await pggit(['register', '--feature', 'f', '--sql', 'CREATE TABLE q (id int)']);
    expect(noAgent.code).toBe(2);
    expect(noAgent.stderr).toContain('--agent');
    const twoSources = await pggit(['check', '--agent', 'a', '--feature', 'f', '--sql', 'x', '-']);
    expect(twoSources.code).toBe(2);
    const badId = await pggit(['resolve', 'abc', '--notes', 'n']);
    expect(badId.code).toBe(2);
    const unknown = await pggit(['frobnicate'], { db: false });
    expect(unknown.code).toBe(2);
    const badMeta = await pggit([
      'register',
      '--agent',
      'a',
      '--feature',
      'f',
      '--sql',
      'x',
      '--metadata',
      '[1]',
    ]);
    expect(badMeta.code).toBe(2);
    expect(badMeta.stderr).toContain('--metadata');
  });

  it('an unreachable database is an error (exit 1), not a crash', async () => {
    const r = await pggit(['list', '--database-url', 'postgres://postgres@127.0.0.1:1/none'], {
      db: false,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
  });

  it('version --json reports client and server', async () => {
    const v = json<{ client: string; server: { version: string } }>(
      await pggit(['version', '--json']),
    );
    expect(v.client).toBe('0.1.0');
    expect(v.server.version).toBe('0.1.0');
  });
});

describe('pggit check --offline (no database)', () => {
  it('parses a script', async () => {
    const r = await pggit(
      [
        'check',
        '--offline',
        '--sql',
        'CREATE TABLE off_t (id int); CREATE INDEX ON off_t (id)',
        '--json',
      ],
      { db: false },
    );
    const out = json<CheckResult>(r);
    expect(out.conflicts_detected).toBe(0);
    expect(out.statements?.map((s) => s.kind)).toEqual(['CREATE TABLE', 'CREATE INDEX']);
    expect(out.objects.map((o) => o.qualified)).toContain('public.off_t');
  });

  it('detects conflicts against intents from a file, skipping the same agent and finished intents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pggit-offline-'));
    const file = join(dir, 'intents.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          id: 'i-1',
          agent_id: 'other',
          feature_name: 'phone',
          schema_changes: ['ALTER TABLE off_u ADD COLUMN phone text'],
          status: 'in_progress',
        },
        {
          id: 'i-2',
          agent_id: 'me',
          feature_name: 'mine',
          schema_changes: 'ALTER TABLE off_u ADD COLUMN phone text',
        },
        {
          id: 'i-3',
          agent_id: 'gone',
          feature_name: 'old',
          schema_changes: 'ALTER TABLE off_u ADD COLUMN phone text',
          status: 'merged',
        },
      ]),
    );
    const args = ['check', '--offline', '--against', file, '--agent', 'me', '--feature', 'phone2'];
    const r = await pggit(
      [...args, '--sql', 'ALTER TABLE off_u ADD COLUMN phone varchar(20)', '--json'],
      {
        db: false,
      },
    );
    const out = json<CheckResult & { conflicts: { intent_b: string | null }[] }>(r);
    expect(out.conflicts_detected).toBeGreaterThan(0);
    expect(new Set(out.conflicts.map((c) => c.intent_b))).toEqual(new Set(['i-1']));
    expect(out.conflicts).toContainEqual(
      expect.objectContaining({ conflict_type: 'column', severity: 'error', with_agent: 'other' }),
    );
    const human = await pggit(
      [...args, '--sql', 'ALTER TABLE off_u ADD COLUMN phone varchar(20)'],
      { db: false },
    );
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/error\s+column\s+on public\.off_u\.phone/);
    expect(human.stdout).toContain('with other ("phone", intent i-1, in_progress)');
  });
});

describe('pggit watch', () => {
  it('prints notifications as JSON lines and exits 0 on SIGINT', async () => {
    const env = { ...process.env };
    delete env.PGGIT_DATABASE_URL;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [bin, 'watch', '--json', '--database-url', db.url], {
      cwd: tmpdir(),
      env,
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
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    await until(() => stderr.includes('watching'));
    expect(stderr).toContain('watching pggit notifications');

    const r = json<RegisterResult>(
      await pggit([
        'register',
        '--agent',
        'cli-w',
        '--feature',
        'cli watched',
        '--sql',
        'CREATE TABLE cli_watched (id int)',
        '--json',
      ]),
    );
    await until(() => stdout.includes('\n'));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toEqual([
      expect.objectContaining({
        event: 'registered',
        intent_id: r.intent.id,
        status: 'registered',
      }),
    ]);
  });

  it('exits 1 with the SQLSTATE when its connection is lost', async () => {
    const env = { ...process.env };
    delete env.PGGIT_DATABASE_URL;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [bin, 'watch', '--database-url', db.url], {
      cwd: tmpdir(),
      env,
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 400 && !stderr.includes('watching'); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN pggit' AND pid <> pg_backend_pid()`,
    );
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/\nerror \[57P01\]: terminating connection/);
  });
});
