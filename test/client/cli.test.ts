/**
 * The CLI as users run it, in a subprocess, against a real database: the
 * reference's commands and options, text and JSON output, every exit status
 * (0 ok, 1 error, 2 usage, 3 conflicts at or above --fail-on), JSON errors,
 * input from text, @file, stdin and globs, colour, and the clear one-line
 * errors for a missing, malformed or unreachable database, a database without
 * pggit, and one with another pggit version.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CheckResult,
  Conflict,
  HistoryEntry,
  Intent,
  IntentSummary,
  OpenConflict,
  ParseResult,
  RegisterResult,
} from '../../src/client/index.js';
import { packageVersion } from '../../src/client/version.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { withDatabase } from '../support/server.js';
import {
  acceptsIdPrefixes,
  closedPort,
  intentCount,
  PENDING,
  pggit,
  pggitOnTty,
  qualified,
  type Run,
  type RunOptions,
  type SqlApi,
  silentServer,
  sqlApi,
  startPggit,
  until,
} from './support.js';

const VERSION = packageVersion();
let db: TestDatabase;
let api: SqlApi;
beforeAll(async () => {
  db = await createTestDatabase();
  api = await sqlApi(db);
});
afterAll(async () => {
  await db?.close();
});

/** The CLI against this file's database (given as --database-url, unless `db: false`). */
function cli(args: string[], options: RunOptions & { db?: boolean } = {}): Promise<Run> {
  return pggit(options.db === false ? args : [...args, '--database-url', db.url], options);
}

const ok = (r: Run, code = 0) => {
  expect(r.stderr, r.stdout).toBe('');
  expect(r.code, r.stderr || r.stdout).toBe(code);
  return r;
};
const json = <T>(r: Run, code = 0): T => JSON.parse(ok(r, code).stdout) as T;

/** A JSON error: on stdout, nothing on stderr. */
function jsonError(r: Run, code: number) {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(code);
  const parsed = JSON.parse(r.stdout) as {
    error: { code: string; message: string; detail?: string; hint?: string };
  };
  expect(Object.keys(parsed)).toEqual(['error']);
  return parsed.error;
}

/** A one-line text error on stderr, nothing on stdout. */
function textError(r: Run, code: number) {
  expect(r.stdout).toBe('');
  expect(r.code).toBe(code);
  return r.stderr;
}

function tempDir(prefix: string) {
  return mkdtempSync(join(tmpdir(), prefix));
}

describe('register, status, list-intents', () => {
  let a: Intent;
  let b: Intent;

  it('register takes the reference’s long options and prints the intent, its status and branch', async () => {
    const r = ok(
      await cli([
        'register',
        '--agent-id',
        'cli-a',
        '--feature-name',
        'cli email',
        '--schema-changes',
        'ALTER TABLE cli_users ADD COLUMN email text',
        '--tables-affected',
        'cli_users, cli_accounts',
      ]),
    );
    expect(r.stdout).toMatch(/status:\s+registered/);
    expect(r.stdout).toMatch(/branch:\s+feature\/cli_email/);
    expect(r.stdout).toContain('no conflicts');
    const id = /intent:\s+(\S+)/.exec(r.stdout)?.[1] ?? '';
    a = json<Intent>(await cli(['status', id, '--format', 'json']));
    expect(a.tables_affected).toEqual(['cli_users', 'cli_accounts']);
    expect(a.agent_id).toBe('cli-a');
  });

  it('register reads the DDL from stdin (-s -), takes short forms and every option, and exits 3 on an error conflict', async () => {
    const r = json<RegisterResult>(
      await cli(
        [
          'register',
          '-a',
          'cli-b',
          '-n',
          'cli verify',
          '-s',
          '-',
          '-r',
          'high',
          '--estimated-duration-ms',
          '1500',
          '-m',
          '{"ticket":"CLI-7"}',
          '--json',
        ],
        { input: 'ALTER TABLE cli_users ADD COLUMN email varchar(255);\n' },
      ),
      3,
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

  it('--agent-id defaults to PGGIT_AGENT_ID; register reads @file; text output lists conflicts; --fail-on never exits 0', async () => {
    const dir = tempDir('pggit-cli-');
    const file = join(dir, 'change.sql');
    writeFileSync(file, 'ALTER TABLE cli_users DROP COLUMN email;');
    const r = await cli(
      ['register', '-n', 'cli drop', '--schema-changes', `@${file}`, '--fail-on', 'never'],
      { env: { PGGIT_AGENT_ID: 'cli-c' } },
    );
    ok(r);
    expect(r.stdout).toMatch(/agent:\s+cli-c/);
    expect(r.stdout).toMatch(/status:\s+conflicted/);
    expect(r.stdout).toMatch(/conflict #\d+\s+error\s+column\s+on public\.cli_users\.email/);
    expect(r.stdout).toContain('suggestion: ');
  });

  it('register in text mode exits 3 and says why on stderr, after printing the intent', async () => {
    const r = await cli([
      'register',
      '-a',
      'cli-c2',
      '-n',
      'cli again',
      '-s',
      'ALTER TABLE cli_users ALTER COLUMN email TYPE text',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/status:\s+conflicted/);
    expect(r.stderr.trim()).toMatch(
      /^pggit: \d+ conflict\(s\) at or above error \(--fail-on error\): exit 3$/,
    );
  });

  it('status (alias show) prints one intent; JSON is the intent; short ids in text', async () => {
    const human = ok(await cli(['status', b.id]));
    expect(human.stdout).toContain(b.id);
    expect(human.stdout).toMatch(/status:\s+conflicted/);
    // later newcomers conflict with b too: the list starts with a, in short ids
    expect(human.stdout).toMatch(
      new RegExp(`conflicts with:\\s+${a.id.slice(0, 8)}(, [0-9a-f]{8})*\\n`),
    );
    expect(human.stdout).toContain(`conflicts: pggit conflicts ${b.id.slice(0, 8)}`);
    const shown = json<Intent>(await cli(['show', b.id, '--format', 'json']));
    expect(shown).toMatchObject({ id: b.id, branch_name: 'feature/cli_verify' });
  });

  it('status of an unknown intent exits 1 with P0002', async () => {
    const r = await cli(['status', '00000000-0000-0000-0000-000000000000']);
    expect(textError(r, 1)).toMatch(/^error \[P0002\]: intent 0{8}-.* does not exist\n$/);
    const j = jsonError(await cli(['status', 'no-such-intent', '--json']), 1);
    expect(j).toEqual({ code: 'P0002', message: 'intent no-such-intent does not exist' });
  });

  it('list-intents (alias list) shows summaries with open conflicts; conflicts_with is in status; JSON carries the counts', async (ctx) => {
    ctx.skip(!api.paging, PENDING);
    // x and y conflict (a table warning), then it is resolved: y still lists x
    // in conflicts_with, but has no open conflict.
    const x = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'list-x',
        '-n',
        'list x',
        '-s',
        'ALTER TABLE list_t ADD COLUMN x int',
        '--json',
      ]),
    );
    const y = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'list-y',
        '-n',
        'list y',
        '-s',
        'ALTER TABLE list_t ADD COLUMN y int',
        '--json',
      ]),
    );
    expect(y.conflicts.map((c) => c.conflict_type)).toEqual(['table']);
    ok(await cli(['resolve', String(y.conflicts[0]?.id), '--notes', 'different columns']));

    const listed = json<IntentSummary[]>(await cli(['list', '--json']));
    const view = await db.query<{ id: string; open_conflicts: number; open_errors: number }>(
      `SELECT id, open_conflicts, open_errors FROM ${await qualified(db, 'pggit_intents')}`,
    );
    const counts = new Map(view.rows.map((r) => [r.id, [r.open_conflicts, r.open_errors]]));
    for (const i of listed) expect([i.open_conflicts, i.open_errors]).toEqual(counts.get(i.id));
    const ly = listed.find((i) => i.id === y.intent.id) as IntentSummary;
    expect(ly).toMatchObject({ open_conflicts: 0, open_errors: 0, status: 'registered' });
    // a list holds summaries: the script and conflicts_with are status's
    expect(ly).not.toHaveProperty('schema_changes');
    expect(ly).not.toHaveProperty('conflicts_with');
    const shown = json<Intent>(await cli(['status', y.intent.id, '--json']));
    expect(shown.conflicts_with).toEqual([x.intent.id]);

    const r = ok(await cli(['list-intents']));
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+AGENT\s+FEATURE\s+BRANCH\s+OPEN CONFLICTS$/);
    expect(lines.find((l) => l.startsWith(y.intent.id.slice(0, 8)))).toMatch(/\s0$/);
    const [open, errors] = counts.get(b.id) as [number, number];
    expect(lines.find((l) => l.startsWith(b.id.slice(0, 8)))).toMatch(
      new RegExp(`\\s${open} \\(${errors} errors?\\)$`),
    );
    const filtered = json<IntentSummary[]>(
      await cli(['list', '--status', 'conflicted', '--agent-id', 'cli-b', '--json']),
    );
    expect(filtered.map((i) => i.id)).toEqual([b.id]);
  });

  it('list-intents pages: --limit, --after, and --all', async (ctx) => {
    ctx.skip(!api.paging, PENDING);
    const all = json<IntentSummary[]>(await cli(['list-intents', '--all', '--json']));
    expect(all.length).toBeGreaterThanOrEqual(4);
    const first = json<IntentSummary[]>(await cli(['list-intents', '--limit', '2', '--json']));
    expect(first.map((i) => i.id)).toEqual(all.slice(0, 2).map((i) => i.id));
    const last = first[1] as IntentSummary;
    const next = json<IntentSummary[]>(
      await cli(['list-intents', '--limit', '2', '--after', last.id, '--json']),
    );
    expect(next.map((i) => i.id)).toEqual(all.slice(2, 4).map((i) => i.id));
    const text = ok(await cli(['list-intents', '--limit', '2']));
    expect(text.stdout).toContain(`more: pggit list-intents --after ${last.id} --limit 2`);
    expect(
      (await cli(['list-intents', '--all', '--limit', '2'])).code,
      '--all with --limit is a usage error',
    ).toBe(2);
  });
});

describe('check: the CI gate', () => {
  let dir: string;
  beforeAll(async () => {
    ok(
      await cli([
        'register',
        '-a',
        'gate-owner',
        '-n',
        'gate orders',
        '-s',
        'ALTER TABLE gate_orders ADD COLUMN total numeric; CREATE INDEX gate_orders_total_idx ON gate_orders (total)',
      ]),
    );
    dir = tempDir('pggit-gate-');
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations/001-total.sql'),
      'ALTER TABLE gate_orders ADD COLUMN total integer',
    );
    writeFileSync(
      join(dir, 'migrations/002-note.sql'),
      'ALTER TABLE gate_orders ADD COLUMN note text -- trailing comment',
    );
    writeFileSync(join(dir, 'migrations/003-other.sql'), 'CREATE TABLE gate_other (id int);');
    writeFileSync(join(dir, 'table-only.sql'), 'ALTER TABLE gate_orders ADD COLUMN note text');
  });

  it('exits 0 with no conflicts, and writes nothing', async () => {
    const before = await intentCount(db);
    const r = json<CheckResult>(
      await cli([
        'check',
        '-a',
        'ci',
        '-n',
        'gate other',
        '-s',
        'CREATE TABLE gate_free (id int)',
        '--format',
        'json',
      ]),
    );
    expect(r.conflicts_detected).toBe(0);
    expect(await intentCount(db)).toBe(before);
  });

  it('exits 3 on an error conflict (default --fail-on error), with the result on stdout', async () => {
    const r = await cli([
      'check',
      '-a',
      'ci',
      '-n',
      'gate pr',
      '--file',
      join(dir, 'migrations/001-total.sql'),
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/error\s+column\s+on public\.gate_orders\.total/);
    expect(r.stdout).toContain('with gate-owner ("gate orders"');
    expect(r.stderr).toMatch(/at or above error \(--fail-on error\): exit 3/);
    const j = json<CheckResult>(
      await cli([
        'check',
        '-a',
        'ci',
        '-n',
        'gate pr',
        '--file',
        join(dir, 'migrations/001-total.sql'),
        '--json',
      ]),
      3,
    );
    expect(j.conflicts.some((c) => c.severity === 'error')).toBe(true);
  });

  it('--fail-on: warning fails on a table warning, error does not, never never fails', async () => {
    const args = [
      'check',
      '-a',
      'ci',
      '-n',
      'gate note',
      '--file',
      join(dir, 'table-only.sql'),
      '--json',
    ];
    const warnOnly = json<CheckResult>(await cli(args));
    expect(warnOnly.conflicts.map((c) => c.severity)).toEqual(['warning']);
    expect((await cli([...args, '--fail-on', 'warning'])).code).toBe(3);
    expect((await cli([...args, '--fail-on', 'error'])).code).toBe(0);
    const err = [
      'check',
      '-a',
      'ci',
      '-n',
      'gate x',
      '-s',
      'ALTER TABLE gate_orders DROP COLUMN total',
    ];
    expect((await cli([...err, '--fail-on', 'never'])).code).toBe(0);
    expect((await cli([...err, '--fail-on', 'bogus'])).code).toBe(2);
  });

  it('--file takes several files and globs as one change, in order, globs sorted', async () => {
    const r = json<CheckResult>(
      await cli(
        [
          'check',
          '-a',
          'ci',
          '-n',
          'gate pr',
          '--file',
          'migrations/00*.sql',
          'table-only.sql',
          '--json',
        ],
        { cwd: dir },
      ),
      3,
    );
    expect(r.statements?.map((s) => s.text)).toEqual([
      'ALTER TABLE gate_orders ADD COLUMN total integer',
      'ALTER TABLE gate_orders ADD COLUMN note text', // its trailing comment ended by the join
      'CREATE TABLE gate_other (id int)',
      // table-only.sql: its own statement, not glued to the comment above
      'ALTER TABLE gate_orders ADD COLUMN note text',
    ]);
    const text = await cli(['check', '-a', 'ci', '-n', 'gate pr', '-f', 'migrations/*.sql'], {
      cwd: dir,
    });
    expect(text.stdout).toContain(
      'files: migrations/001-total.sql, migrations/002-note.sql, migrations/003-other.sql',
    );
  });

  it('a glob that matches nothing, or a missing file, is a usage error (exit 2) that touches nothing', async () => {
    const none = await cli(['check', '-a', 'ci', '-n', 'x', '--file', 'nothing/*.sql'], {
      cwd: dir,
    });
    expect(textError(none, 2)).toMatch(/^error: --file nothing\/\*\.sql matches no file\n/);
    const missing = await cli(['check', '-a', 'ci', '-n', 'x', '--file', 'gone.sql'], { cwd: dir });
    expect(textError(missing, 2)).toMatch(/^error: cannot read --file gone\.sql: no such file\n/);
    const atMissing = await cli(['check', '-a', 'ci', '-n', 'x', '-s', '@gone.sql'], { cwd: dir });
    expect(textError(atMissing, 2)).toContain('cannot read --schema-changes gone.sql');
    const j = jsonError(
      await cli(['check', '-a', 'ci', '-n', 'x', '-f', 'no/*.sql', '--json'], { cwd: dir }),
      2,
    );
    expect(j).toEqual({ code: 'usage', message: '--file no/*.sql matches no file' });
  });
});

describe('conflicts, resolve, the lifecycle, history', () => {
  let a: Intent;
  let b: Intent;
  beforeAll(async () => {
    a = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'life-a',
        '-n',
        'life phone',
        '-s',
        'ALTER TABLE life_u ADD COLUMN phone text',
        '--json',
      ]),
    ).intent;
    b = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'life-b',
        '-n',
        'life phone2',
        '-s',
        'ALTER TABLE life_u ADD COLUMN phone varchar(20)',
        '--json',
      ]),
      3,
    ).intent;
  });

  it('start of a blocked intent: exit 1, `error [55000]`, the detail, and a hint that names CLI commands', async () => {
    const r = await cli(['start', b.id]);
    const err = textError(r, 1);
    expect(err).toMatch(/^error \[55000\]: cannot move intent/);
    expect(err).toMatch(/\ndetail: conflict \d+: error column on public\.life_u\.phone/);
    expect(err).toContain('hint: resolve them with `pggit resolve <conflict-id> --notes <text>`');
    expect(err).not.toContain('pggit_resolve_conflict');
    const j = jsonError(await cli(['start', b.id, '--format', 'json']), 1);
    expect(j.code).toBe('55000');
    expect(j.hint).toContain('`pggit resolve <conflict-id> --notes <text>`');
    expect(j.detail).toMatch(/^conflict \d+: error column/);
  });

  it('conflicts <id> lists both; conflicts alone lists the open ones (the view)', async () => {
    const mine = json<Conflict[]>(await cli(['conflicts', b.id, '--json']));
    expect(mine.map((c) => c.conflict_type).sort()).toEqual(['column', 'table']);
    const open = json<OpenConflict[]>(await cli(['conflicts', '--json']));
    expect(open.filter((c) => c.intent_a === b.id).map((c) => c.agent_b)).toEqual([
      'life-a',
      'life-a',
    ]);
    const text = ok(await cli(['conflicts']));
    expect(text.stdout).toMatch(
      new RegExp(`${b.id.slice(0, 8)} life-b "life phone2" \\(conflicted\\)`),
    );
  });

  it('conflicts pages with --limit and --after, in id order, and says where the next page starts', async () => {
    const all = json<Conflict[]>(await cli(['conflicts', b.id, '--json']));
    expect(all).toHaveLength(2);
    const first = json<Conflict[]>(await cli(['conflicts', b.id, '--limit', '1', '--json']));
    expect(first).toEqual([all[0]]);
    const text = ok(await cli(['conflicts', b.id, '--limit', '1']));
    expect(text.stdout).toContain(`more: pggit conflicts ${b.id} --after ${all[0]?.id} --limit 1`);
    const rest = json<Conflict[]>(
      await cli(['conflicts', b.id, '--after', String(all[0]?.id), '--json']),
    );
    expect(rest).toEqual([all[1]]);
    expect(ok(await cli(['conflicts', b.id, '--after', String(all[1]?.id)])).stdout).toContain(
      'no conflicts',
    );
    // every open conflict of the database, a page at a time, in SQL
    const open = json<OpenConflict[]>(await cli(['conflicts', '--json']));
    const pages: number[] = [];
    let after: number | undefined;
    for (let n = 0; n < open.length + 1; n++) {
      const args = [
        'conflicts',
        '--limit',
        '1',
        '--json',
        ...(after ? ['--after', String(after)] : []),
      ];
      const page = json<OpenConflict[]>(await cli(args));
      if (page.length === 0) break;
      pages.push(...page.map((x) => x.id));
      after = page[0]?.id;
    }
    expect(pages).toEqual(open.map((x) => x.id));
    for (const bad of [
      ['--limit', '0'],
      ['--limit', '1001'],
      ['--after', 'x'],
    ]) {
      expect((await cli(['conflicts', b.id, ...bad])).code, bad.join(' ')).toBe(2);
    }
  });

  it('check --max-conflicts lists that many, errors first, counts the rest, and still exits 3', async () => {
    const args = [
      'check',
      '-a',
      'life-c',
      '-n',
      'life phone3',
      '-s',
      'ALTER TABLE life_u ADD COLUMN phone text',
    ];
    const all = json<CheckResult>(await cli([...args, '--max-conflicts', 'all', '--json']), 3);
    expect(all.conflicts_detected).toBe(4);
    expect(all.conflicts).toHaveLength(4);
    const one = json<CheckResult>(await cli([...args, '--max-conflicts', '1', '--json']), 3);
    expect(one.conflicts.map((c) => c.severity)).toEqual(['error']);
    expect(one.conflicts_detected).toBe(4);
    expect(one.conflicts_omitted).toBe(3);
    const text = await cli([...args, '--max-conflicts', '1']);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('4 conflict(s) would be recorded');
    expect(text.stdout).toContain(
      '… and 3 more, not listed here (--max-conflicts all lists every one)',
    );
    // the gate's message counts the conflicts not listed too, or says it
    // cannot: with only errors listed, more may be among the rest
    const errors = all.conflicts.filter((c) => c.severity === 'error').length;
    expect(errors).toBe(2);
    expect(text.stderr).toBe(
      'pggit: at least 1 conflict(s) at or above error (--fail-on error): exit 3\n',
    );
    const three = await cli([...args, '--max-conflicts', '3']);
    expect(three.code).toBe(3);
    expect(three.stderr).toBe('pggit: 2 conflict(s) at or above error (--fail-on error): exit 3\n');
    const warn = await cli([...args, '--max-conflicts', '1', '--fail-on', 'warning']);
    expect(warn.code).toBe(3);
    expect(warn.stderr).toBe(
      'pggit: 4 conflict(s) at or above warning (--fail-on warning): exit 3\n',
    );
    const zero = await cli([...args, '--max-conflicts', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--max-conflicts must be a positive integer');
  });

  it('resolve records the reviewer (--agent-id), then start, complete, merge record who and why', async () => {
    const conflicts = json<Conflict[]>(await cli(['conflicts', b.id, '--json']));
    for (const c of conflicts) {
      const r = ok(
        await cli(['resolve', String(c.id), '--notes', 'one phone column', '-a', 'lead']),
      );
      expect(r.stdout).toContain(`conflict #${c.id} resolved by lead`);
    }
    const started = ok(
      await cli(['start', b.id, '--reason', 'coding'], { env: { PGGIT_AGENT_ID: 'life-b' } }),
    );
    expect(started.stdout).toBe(
      `intent ${b.id.slice(0, 8)} is now in_progress (branch feature/life_phone2)\n`,
    );
    ok(await cli(['complete', b.id, '-a', 'life-b']));
    expect(json<Intent>(await cli(['merge', b.id, '--json', '-a', 'life-b'])).status).toBe(
      'merged',
    );

    const history = json<HistoryEntry[]>(await cli(['history', b.id, '--json']));
    expect(history.map((h) => [h.new_status, h.changed_by])).toEqual([
      ['conflicted', 'life-b'],
      ['registered', expect.any(String)],
      ['in_progress', 'life-b'],
      ['completed', 'life-b'],
      ['merged', 'life-b'],
    ]);
    expect(history[2]?.reason).toBe('coding');
    const human = ok(await cli(['history', b.id]));
    expect(human.stdout).toMatch(/registered -> in_progress\s+by life-b: coding/);
  });

  it('resolve --severity re-rates; resolving twice is 55000; reopen opens it again', async (ctx) => {
    ctx.skip(!api.resolveSeverity || !api.reopen, PENDING);
    const c1 = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'sev-a',
        '-n',
        'sev one',
        '-s',
        'ALTER TABLE sev_t ADD COLUMN x int',
        '--json',
      ]),
    );
    const c2 = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'sev-b',
        '-n',
        'sev two',
        '-s',
        'ALTER TABLE sev_t ADD COLUMN x text',
        '--json',
      ]),
      3,
    );
    void c1;
    const col = c2.conflicts.find((c) => c.conflict_type === 'column') as Conflict;
    const resolved = json<Conflict>(
      await cli([
        'resolve',
        String(col.id),
        '--notes',
        'not really',
        '--severity',
        'warning',
        '--json',
      ]),
    );
    expect(resolved).toMatchObject({ id: col.id, reviewed: true, severity: 'warning' });
    const again = jsonError(
      await cli(['resolve', String(col.id), '--notes', 'again', '--json']),
      1,
    );
    expect(again.code).toBe('55000');
    expect(again.hint ?? again.message).toContain('pggit reopen');
    const reopened = json<Conflict>(
      await cli(['reopen', String(col.id), '--reason', 'it was', '-a', 'sev-lead', '--json']),
    );
    expect(reopened).toMatchObject({ id: col.id, reviewed: false });
    const log = json<Conflict[]>(await cli(['conflicts', c2.intent.id, '--json'])).find(
      (c) => c.id === col.id,
    )?.events;
    expect(log?.map((e) => [e.event, e.actor, e.notes])).toEqual([
      ['resolved', expect.any(String), 'not really'],
      ['reopened', 'sev-lead', 'it was'],
    ]);
    expect(
      (await cli(['resolve', String(col.id), '--notes', 'now', '--severity', 'bogus'])).code,
    ).toBe(2);
  });

  it('abandon releases; a finished intent cannot move: 55000', async () => {
    expect(json<Intent>(await cli(['abandon', a.id, '--reason', 'dropped', '--json'])).status).toBe(
      'abandoned',
    );
    const r = await cli(['abandon', a.id]);
    expect(textError(r, 1)).toMatch(/^error \[55000\]: /);
  });

  it('verify: exit 0 while the audit trail is intact, 1 with the broken link once a history row is changed', async () => {
    const good = json<{ ok: boolean; intents: number }>(await cli(['verify', '--json']));
    expect(good.ok).toBe(true);
    expect(ok(await cli(['verify'])).stdout).toMatch(/^audit trail intact: \d+ intents, /);
    const other = await createTestDatabase();
    try {
      ok(
        await pggit([
          'register',
          '-a',
          'v',
          '-n',
          'v',
          '-s',
          'CREATE TABLE v (id int)',
          '--database-url',
          other.url,
        ]),
      );
      const table = await qualified(other, 'tb_pggit_intent_history');
      await other.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      await other.query(`UPDATE ${table} SET reason = 'rewritten'`);
      const r = await pggit(['verify', '--database-url', other.url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /^audit trail broken: 1 problem\(s\) in 1 intents, .*\n {2}intent [0-9a-f]{8} row \d+: the row was changed\n$/,
      );
    } finally {
      await other.close();
    }
  });

  it('intents are named by a unique id prefix, as git names commits', async (ctx) => {
    ctx.skip(!(await acceptsIdPrefixes(db, b.id)), PENDING);
    const shown = json<Intent>(await cli(['status', b.id.slice(0, 8), '--json']));
    expect(shown.id).toBe(b.id);
    expect(json<Intent>(await cli(['status', b.id.slice(0, 6).toUpperCase(), '--json'])).id).toBe(
      b.id,
    );
    expect(json<HistoryEntry[]>(await cli(['history', b.id.slice(0, 8), '--json'])).length).toBe(5);
    // An intent whose id shares b's first 6 characters (a fixture row, written
    // directly): 6 characters are ambiguous, 8 are not.
    const twin = `${b.id.slice(0, 6)}${b.id[6] === '0' ? '1' : '0'}${b.id.slice(7)}`;
    await db.query(
      `INSERT INTO ${await qualified(db, 'tb_pggit_intent')}
         (id, agent_id, feature_name, feature_key, branch_name, schema_changes)
       VALUES ($1, 'twin', 'twin', 'twin', 'feature/twin', '[]')`,
      [twin],
    );
    const amb = jsonError(await cli(['status', b.id.slice(0, 6), '--json']), 1);
    expect(amb.code).toBe('22023');
    expect(amb.detail).toContain(b.id);
    expect(amb.detail).toContain(twin);
    const text = await cli(['start', b.id.slice(0, 6)]);
    expect(textError(text, 1)).toMatch(/^error \[22023\]: .*\ndetail: /);
    expect(json<Intent>(await cli(['status', b.id.slice(0, 8), '--json'])).id).toBe(b.id);
    const none = jsonError(await cli(['status', 'ffff0000ffff', '--json']), 1);
    expect(none.code).toBe('P0002');
  });
});

describe('errors', () => {
  it('SQL errors exit 1 with the SQLSTATE (22023 from SQL)', async () => {
    const bad = await cli(['register', '-a', '', '-n', 'y', '-s', 'CREATE TABLE z (id int)'], {
      env: { PGGIT_AGENT_ID: undefined },
    });
    expect(bad.code).toBe(2); // an empty agent id never reaches SQL
    const tooLong = await cli([
      'register',
      '-a',
      'x'.repeat(201),
      '-n',
      'y',
      '-s',
      'CREATE TABLE z (id int)',
    ]);
    expect(textError(tooLong, 1)).toMatch(/^error \[22023\]: .*agent_id/);
  });

  it('usage errors exit 2 and touch no database', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['register', '-n', 'f', '-s', 'CREATE TABLE q (id int)'],
        /missing --agent-id <id> \(or set PGGIT_AGENT_ID\)/,
      ],
      [['register', '-a', 'a', '-s', 'CREATE TABLE q (id int)'], /missing --feature-name/],
      [['check', '-a', 'a', '-n', 'f'], /give the planned DDL/],
      [['check', '-a', 'a', '-n', 'f', '-s', 'x', '-f', 'y.sql'], /not both/],
      [['resolve', 'abc', '--notes', 'n'], /conflict-id must be a positive integer, not "abc"/],
      [
        ['register', '-a', 'a', '-n', 'f', '-s', 'x', '--metadata', '[1]'],
        /--metadata must be a JSON object/,
      ],
      [
        ['register', '-a', 'a', '-n', 'f', '-s', 'x', '--risk-level', 'extreme'],
        /argument 'extreme' is invalid/,
      ],
      [
        ['register', '-a', 'a', '-n', 'f', '-s', 'x', '--estimated-duration-ms', '-5'],
        /non-negative integer/,
      ],
      [['list-intents', '--status', 'sleeping'], /argument 'sleeping' is invalid/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['status'], /missing required argument 'intent-id'/],
      [['list', '--format', 'yaml'], /argument 'yaml' is invalid/],
      [['list', '--limit', '1001'], /--limit must be at most 1000, not 1001/],
      [['list', '--limit', '0'], /--limit must be a positive integer, not "0"/],
      // beyond 2^31 ms a Node timer fires at once: it would time out every connect
      [['list', '--connect-timeout', '1e10'], /--connect-timeout must be .* at most 86400/],
    ];
    for (const [args, message] of cases) {
      // An unreachable URL: any attempt to connect would be exit 1, not 2.
      const r = await pggit([
        ...args,
        '--database-url',
        `postgres://x@127.0.0.1:${await closedPort()}/x`,
      ]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
  });

  it('in JSON mode, usage errors are JSON on stdout too', async () => {
    const unknown = jsonError(await cli(['frobnicate', '--json'], { db: false }), 2);
    expect(unknown).toEqual({ code: 'usage', message: "unknown command 'frobnicate'" });
    const badOpt = jsonError(await cli(['list', '--format', 'json', '--bogus'], { db: false }), 2);
    expect(badOpt.message).toBe("unknown option '--bogus'");
  });

  it('no database URL: exit 2, one line, nothing started', async () => {
    for (const args of [['list-intents'], ['status', 'abcd'], ['mcp']]) {
      const r = await cli(args, { db: false });
      expect(textError(r, 2)).toBe(
        'error: no database: give --database-url <postgres://…>, or set PGGIT_DATABASE_URL or DATABASE_URL\n(run pggit --help for usage)\n',
      );
    }
    const j = jsonError(await cli(['list', '--json'], { db: false }), 2);
    expect(j.code).toBe('no_database');
  });

  it('a malformed URL is refused before connecting (exit 2), with its source named and no password shown', async () => {
    const r = await cli(['list', '--database-url', 'not-a-url'], { db: false });
    expect(textError(r, 2)).toMatch(
      /^error: --database-url must be a postgres:\/\/ URL \(postgres:\/\/user:password@host:5432\/database\), not "not-a-url"\n/,
    );
    const env = await cli(['list'], {
      db: false,
      env: { PGGIT_DATABASE_URL: 'mysql://u:secret@h/db' },
    });
    expect(textError(env, 2)).toMatch(
      /PGGIT_DATABASE_URL must be a postgres:\/\/ URL .*mysql:\/\/u:\*\*\*@h\/db/,
    );
    expect(env.stderr).not.toContain('secret');
    const fromDbUrl = await cli(['list', '--json'], { db: false, env: { DATABASE_URL: 'base' } });
    expect(jsonError(fromDbUrl, 2)).toMatchObject({
      code: 'bad_url',
      message: expect.stringContaining('DATABASE_URL must be'),
    });
  });

  it('an unreachable server: refused at once, a silent one after --connect-timeout (exit 1, one line)', async () => {
    const port = await closedPort();
    const refused = await cli(['list', '--database-url', `postgres://u:pw@127.0.0.1:${port}/x`], {
      db: false,
    });
    expect(textError(refused, 1)).toMatch(
      new RegExp(
        `^error: cannot connect to postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x: connection refused \\(ECONNREFUSED\\)\\n$`,
      ),
    );
    const silent = await silentServer();
    try {
      const r = await cli(
        [
          'check',
          '-a',
          'a',
          '-n',
          'f',
          '-s',
          'CREATE TABLE t (id int)',
          '--connect-timeout',
          '0.5',
          '--database-url',
          `postgres://u@127.0.0.1:${silent.port}/x`,
        ],
        { db: false },
      );
      expect(textError(r, 1)).toBe(
        `error: cannot connect to postgres://u@127.0.0.1:${silent.port}/x: timed out\n`,
      );
      // the client hung up after --connect-timeout, not the default 5 s (nor never)
      await until(() => silent.held().length === 1);
      expect(silent.held()[0]).toBeGreaterThan(400);
      expect(silent.held()[0]).toBeLessThan(4_000);
      const env = await cli(
        ['list', '--json', '--database-url', `postgres://u@127.0.0.1:${silent.port}/x`],
        {
          db: false,
          env: { PGGIT_CONNECT_TIMEOUT: '0.3' },
        },
      );
      expect(jsonError(env, 1).code).toBe('unreachable');
      await until(() => silent.held().length === 2);
      expect(silent.held()[1]).toBeGreaterThan(200);
      expect(silent.held()[1]).toBeLessThan(4_000);
    } finally {
      await silent.close();
    }
  });

  it('a database without pggit: one line saying to run pggit install', async () => {
    const name = `${db.name}_empty`;
    await db.admin(`CREATE DATABASE ${name}`);
    try {
      const url = withDatabase(db.url, name);
      for (const args of [
        ['list-intents'],
        ['check', '-a', 'a', '-n', 'f', '-s', 'CREATE TABLE t (id int)'],
        ['version'],
      ]) {
        const r = await pggit([...args, '--database-url', url]);
        expect(textError(r, 1)).toBe(
          `error: pggit is not installed in this database (database "${name}" on ${new URL(url).host}): run \`pggit install --database-url …\`\n`,
        );
      }
      const j = jsonError(await pggit(['status', 'abcd', '--json', '--database-url', url]), 1);
      expect(j.code).toBe('not_installed');
    } finally {
      await db.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('another pggit version in the database: one line, before any other call', async () => {
    const other = await createTestDatabase();
    try {
      const fn = await qualified(other, 'pggit_version');
      const fake = (v: string) =>
        other.query(
          `CREATE OR REPLACE FUNCTION ${fn}() RETURNS jsonb LANGUAGE sql
             AS $$ SELECT jsonb_build_object('version', '${v}', 'bundle_hash', NULL, 'runtime', NULL) $$`,
        );
      await fake('0.0.1');
      const older = await pggit([
        'register',
        '-a',
        'v',
        '-n',
        'v',
        '-s',
        'CREATE TABLE v (id int)',
        '--database-url',
        other.url,
      ]);
      expect(textError(older, 1)).toBe(
        `error: pggit 0.0.1 is installed here, this is ${VERSION}: run pggit install\n`,
      );
      expect(await intentCount(other)).toBe(0); // nothing was registered
      await fake('9.9.9');
      const newer = jsonError(await pggit(['list', '--json', '--database-url', other.url]), 1);
      expect(newer).toEqual({
        code: 'version_mismatch',
        message: `pggit 9.9.9 is installed here, this is ${VERSION}: upgrade this client (npm i pggit@9.9.9)`,
      });
      // `version` reports both instead of failing
      const v = json<{ client: string; server: { version: string } }>(
        await pggit(['version', '--json', '--database-url', other.url]),
      );
      expect(v).toMatchObject({ client: VERSION, server: { version: '9.9.9' } });
    } finally {
      await other.close();
    }
  });
});

describe('version, help, colour', () => {
  it('--version prints the package version without a database', async () => {
    const r = ok(await pggit(['--version']));
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(ok(await pggit(['-V'])).stdout).toBe(`${VERSION}\n`);
  });

  it('version reports client and server; without a database, the client only', async () => {
    const v = json<{ client: string; server: { version: string; runtime: string } }>(
      await cli(['version', '--json']),
    );
    expect(v.client).toBe(VERSION);
    expect(v.server.version).toBe(VERSION);
    expect(json<{ server: null }>(await pggit(['version', '--format', 'json'])).server).toBeNull();
  });

  it('--help lists the reference’s commands and exits 0; no command is usage (exit 2)', async () => {
    const r = ok(await pggit(['--help']));
    for (const c of [
      'register',
      'list-intents|list',
      'check',
      'status|show',
      'conflicts',
      'resolve',
      'abandon',
      'start',
      'complete',
      'merge',
      'history',
      'watch',
      'parse',
      'install',
      'mcp',
      'version',
      'reopen',
    ]) {
      expect(r.stdout).toContain(`  ${c} `);
    }
    expect(r.stdout).toContain('Exit status: 0 ok, 1 error, 2 usage, 3');
    const none = await pggit([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: pggit');
  });

  it('colour: none when piped, FORCE_COLOR forces it, NO_COLOR and --no-color turn it off, a TTY gets it', async () => {
    const args = [
      'check',
      '-a',
      'ci',
      '-n',
      'colour',
      '-s',
      'ALTER TABLE cli_users ADD COLUMN email text',
      '--fail-on',
      'never',
    ];
    const ESC = '\x1b[';
    expect(ok(await cli(args)).stdout).not.toContain(ESC);
    const forced = ok(await cli(args, { env: { FORCE_COLOR: '1' } }));
    expect(forced.stdout).toContain(`${ESC}31merror${ESC}39m`);
    expect(ok(await cli(args, { env: { FORCE_COLOR: '0' } })).stdout).not.toContain(ESC);
    expect(
      ok(await cli([...args, '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout,
    ).not.toContain(ESC);
    expect(ok(await cli([...args, '--json'], { env: { FORCE_COLOR: '1' } })).stdout).not.toContain(
      ESC,
    );

    const tty = await pggitOnTty([...args, '--database-url', db.url]);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toContain(`${ESC}31merror${ESC}39m`);
    const ttyNoColor = await pggitOnTty([...args, '--database-url', db.url], { NO_COLOR: '1' });
    expect(ttyNoColor.code).toBe(0);
    expect(ttyNoColor.stdout).toContain('error');
    expect(ttyNoColor.stdout).not.toContain(ESC);
  });
});

describe('parse and check --offline (no database)', () => {
  it('list-intents --full prints whole intents, which check --offline --against takes as they are', async () => {
    const theirs = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'full-other',
        '-n',
        'full phone',
        '-s',
        'ALTER TABLE full_u ADD COLUMN phone text',
        '--json',
      ]),
    );
    const summaries = json<IntentSummary[]>(await cli(['list', '-a', 'full-other', '--json']));
    expect(summaries[0]).not.toHaveProperty('schema_changes');
    const full = json<(Intent & IntentSummary)[]>(
      await cli(['list', '-a', 'full-other', '--full', '--json']),
    );
    expect(full).toEqual([
      {
        ...(json<Intent>(await cli(['status', theirs.intent.id, '--json'])) as object),
        open_conflicts: 0,
        open_errors: 0,
      },
    ]);
    const file = join(tempDir('pggit-full-'), 'intents.json');
    writeFileSync(file, JSON.stringify(full));
    const out = json<
      CheckResult & { conflicts: { intent_b: string | null; conflict_type: string }[] }
    >(
      await cli(
        [
          'check',
          '--offline',
          '--against',
          file,
          '-a',
          'full-me',
          '-n',
          'full phone 2',
          '-s',
          'ALTER TABLE full_u ADD COLUMN phone varchar(20)',
          '--json',
        ],
        { db: false },
      ),
      3,
    );
    expect(out.conflicts.map((c) => [c.intent_b, c.conflict_type]).sort()).toEqual([
      [theirs.intent.id, 'column'],
      [theirs.intent.id, 'table'],
    ]);
    // summaries are refused there, saying what to print instead
    writeFileSync(file, JSON.stringify(summaries));
    const refused = await cli(
      ['check', '--offline', '--against', file, '-a', 'full-me', '-n', 'x', '-s', 'SELECT 1'],
      { db: false },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pggit list-intents --full --format json');
  });

  it('parse asks the database; parse --offline needs none', async () => {
    const sql = 'CREATE TABLE off_t (id int); CREATE INDEX ON off_t (id)';
    const online = json<ParseResult>(await cli(['parse', '-s', sql, '--json']));
    const offline = json<ParseResult>(
      await cli(['parse', '-s', sql, '--offline', '--json'], { db: false }),
    );
    expect(offline.statements.map((s) => s.kind)).toEqual(['CREATE TABLE', 'CREATE INDEX']);
    expect(online.objects).toEqual(offline.objects);
    const text = ok(await cli(['parse', '-s', sql, '--offline'], { db: false }));
    expect(text.stdout).toMatch(
      /^1\. CREATE TABLE {2}CREATE TABLE off_t \(id int\)\n {3}create table public\.off_t/,
    );
  });

  it('check --offline parses a script', async () => {
    const out = json<CheckResult>(
      await cli(
        [
          'check',
          '--offline',
          '-s',
          'CREATE TABLE off_t (id int); CREATE INDEX ON off_t (id)',
          '--json',
        ],
        { db: false },
      ),
    );
    expect(out.conflicts_detected).toBe(0);
    expect(out.statements?.map((s) => s.kind)).toEqual(['CREATE TABLE', 'CREATE INDEX']);
  });

  it('check --offline --against detects conflicts, skipping the same agent and finished intents, and gates', async () => {
    const dir = tempDir('pggit-offline-');
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
    const args = [
      'check',
      '--offline',
      '--against',
      file,
      '-a',
      'me',
      '-n',
      'phone2',
      '-s',
      'ALTER TABLE off_u ADD COLUMN phone varchar(20)',
    ];
    const out = json<CheckResult & { conflicts: { intent_b: string | null }[] }>(
      await cli([...args, '--json'], { db: false }),
      3,
    );
    expect(new Set(out.conflicts.map((c) => c.intent_b))).toEqual(new Set(['i-1']));
    const human = await cli([...args, '--fail-on', 'never'], { db: false });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/error\s+column\s+on public\.off_u\.phone/);
    expect(human.stdout).toContain('with other ("phone", intent i-1, in_progress)');
  });
});

describe('install', () => {
  it('needs an explicit --database-url (exit 2), never DATABASE_URL alone', async () => {
    const r = await pggit(['install'], { env: { DATABASE_URL: db.url } });
    expect(textError(r, 2)).toMatch(
      /^error: pggit install needs --database-url <postgres:\/\/…>\n/,
    );
  });

  /** A new, empty database on the test cluster (no pggit), dropped after the file. */
  const made: string[] = [];
  const emptyDatabase = async (suffix: string) => {
    const name = `${db.name}_${suffix}`;
    await db.admin(`CREATE DATABASE ${name}`);
    made.push(name);
    return withDatabase(db.url, name);
  };
  afterAll(async () => {
    for (const name of made) await db.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('installs into an empty database; then the other commands work there; a second run reinstalls', async () => {
    const url = await emptyDatabase('inst');
    const r = await pggit(['install', '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^pggit ${VERSION.replace(/\./g, '\\.')} installed: tables in schema pggit, API in schema public \\(applied 000001`,
      ),
    );
    const v = json<{ server: { version: string; schema: string; api_schema: string } }>(
      await pggit(['version', '--json', '--database-url', url]),
    );
    expect(v.server).toMatchObject({ version: VERSION, schema: 'pggit', api_schema: 'public' });
    const reg = json<RegisterResult>(
      await pggit([
        'register',
        '-a',
        'inst',
        '-n',
        'inst',
        '-s',
        'CREATE TABLE inst (id int)',
        '--json',
        '--database-url',
        url,
      ]),
    );
    expect(reg.intent.status).toBe('registered');
    const again = json<{ applied: string[]; previousVersion: string }>(
      await pggit(['install', '--database-url', url, '--json']),
    );
    expect(again).toMatchObject({ applied: [], previousVersion: VERSION });
  });

  it('--dry-run prints the SQL and changes nothing', async () => {
    const url = await emptyDatabase('dry');
    const r = ok(await pggit(['install', '--database-url', url, '--dry-run']));
    expect(r.stdout).toMatch(/^-- migration 000001/);
    expect(r.stdout).toContain('pggit_register');
    const after = await pggit(['list-intents', '--database-url', url]);
    expect(textError(after, 1)).toMatch(/^error: pggit is not installed in this database/);
  });

  it('refusals and an unreachable server are one line, exit 1', async () => {
    const url = await emptyDatabase('refuse');
    const r = jsonError(
      await pggit(['install', '--database-url', url, '--schema', 'public', '--json']),
      1,
    );
    expect(r).toEqual({
      code: 'install_refused',
      message: "--schema must be a schema of pggit's own, not public",
    });
    const port = await closedPort();
    const down = await pggit(['install', '--database-url', `postgres://u@127.0.0.1:${port}/x`]);
    expect(textError(down, 1)).toBe(
      `error: cannot connect to postgres://u@127.0.0.1:${port}/x: connection refused (ECONNREFUSED)\n`,
    );
  });
});

describe('watch', () => {
  it('prints notifications as JSON lines and exits 0 on SIGINT', async () => {
    const w = startPggit(['watch', '--json', '--database-url', db.url]);
    await w.watching();
    expect(w.stderr()).toContain('watching pggit notifications');
    const r = json<RegisterResult>(
      await cli([
        'register',
        '-a',
        'cli-w',
        '-n',
        'cli watched',
        '-s',
        'CREATE TABLE cli_watched (id int)',
        '--json',
      ]),
    );
    await until(() => w.stdout().includes('\n'));
    expect(await w.stop()).toBe(0);
    const events = w
      .stdout()
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
    const w = startPggit(['watch', '--database-url', db.url]);
    await w.watching();
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN pggit' AND pid <> pg_backend_pid()`,
    );
    expect(await w.exited).toBe(1);
    expect(w.stderr()).toMatch(/\nerror \[57P01\]: terminating connection/);
  });
});
