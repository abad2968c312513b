/**
 * The CLI commands of leases, the drift guard, reviews, rules and settings,
 * as users run them (a subprocess, against a real database): text and JSON,
 * exit statuses, and the permission error of a role that is not pggit_admin.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DriftFinding,
  type Intent,
  PggitClient,
  type RegisterResult,
  type ReviewState,
  type Rule,
  type SweepResult,
} from '../../src/client/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { closedPort, pggit, type Run, type RunOptions } from './support.js';

let db: TestDatabase;
const agentRole = `cli_agent_${randomBytes(3).toString('hex')}`;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.admin(`CREATE ROLE ${agentRole} LOGIN IN ROLE pggit_agent`);
});
afterAll(async () => {
  await db?.close();
  await db?.admin(`DROP ROLE IF EXISTS ${agentRole}`);
});

/** The CLI against this file's database, as its superuser (or `url`). */
const cli = (args: string[], options: RunOptions & { url?: string } = {}): Promise<Run> =>
  pggit([...args, '--database-url', options.url ?? db.url], options);

const ok = (r: Run, code = 0) => {
  expect(r.stderr, r.stdout).toBe('');
  expect(r.code, r.stderr || r.stdout).toBe(code);
  return r;
};
const json = <T>(r: Run, code = 0): T => JSON.parse(ok(r, code).stdout) as T;
function jsonError(r: Run, code: number) {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(code);
  return (JSON.parse(r.stdout) as { error: { code: string; message: string; hint?: string } })
    .error;
}
function textError(r: Run, code: number) {
  expect(r.stdout).toBe('');
  expect(r.code).toBe(code);
  return r.stderr;
}

const register = async (agent: string, feature: string, ddl: string, extra: string[] = []) =>
  json<RegisterResult>(
    await cli(['register', '-a', agent, '-n', feature, '-s', ddl, '--json', ...extra]),
  );

/** Usage errors: exit 2, before any connection (the URL goes nowhere). */
async function usage(args: string[], message: RegExp) {
  const r = await pggit([
    ...args,
    '--database-url',
    `postgres://x@127.0.0.1:${await closedPort()}/x`,
  ]);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(r.stderr).toMatch(message);
}

describe('leases: register --lease-seconds, heartbeat, sweep', () => {
  it('register --lease-seconds sets the lease; status shows it; heartbeat renews it (text and JSON)', async () => {
    const r = await register('cl-a', 'cl lease', 'CREATE TABLE cl_lease (id int)', [
      '--lease-seconds',
      '3600',
    ]);
    expect(r.intent).toMatchObject({ lease_seconds: 3600, expired: false });
    const shown = ok(await cli(['status', r.intent.id]));
    expect(shown.stdout).toMatch(/\nlease:\s+expires at \S+ \(3600 s, renewed by heartbeat\)\n/);

    const text = ok(await cli(['heartbeat', r.intent.id.slice(0, 8), '--lease-seconds', '90']));
    expect(text.stdout).toMatch(
      new RegExp(
        `^intent ${r.intent.id.slice(0, 8)} lease renewed: expires at \\S+ \\(90 s\\)\\n$`,
      ),
    );
    const renewed = json<Intent>(await cli(['heartbeat', r.intent.id, '--json']));
    expect(renewed).toMatchObject({ id: r.intent.id, lease_seconds: 90, expired: false });
    const left = (Date.parse(renewed.lease_expires_at) - Date.now()) / 1000;
    expect(left).toBeGreaterThan(30);
    expect(left).toBeLessThanOrEqual(90);
  });

  it('an expired intent: heartbeat exits 1 with 55000 and says to register again; sweep abandons it', async () => {
    const r = await register('cl-b', 'cl short', 'CREATE TABLE cl_short (id int)', [
      '--lease-seconds',
      '1',
    ]);
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.query<{ expired: boolean }>(
        "SELECT (pggit_get_intent($1) ->> 'expired')::boolean AS expired",
        [r.intent.id],
      );
      if (rows[0]?.expired) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const err = textError(await cli(['heartbeat', r.intent.id]), 1);
    expect(err).toMatch(/^error \[55000\]: the lease of intent \S+ expired at /);
    expect(err).toContain(
      '\nhint: intents registered since did not see it: register the change again',
    );
    expect(jsonError(await cli(['heartbeat', r.intent.id, '--json']), 1).code).toBe('55000');

    const swept = json<SweepResult>(await cli(['sweep', '--json']));
    expect(swept.intents).toContain(r.intent.id);
    expect(swept.swept).toBe(swept.intents.length);
    expect(ok(await cli(['sweep', '--limit', '5'])).stdout).toBe('no expired intents\n');
    const history = await db.query<{ last: unknown }>('SELECT pggit_history($1) -> -1 AS last', [
      r.intent.id,
    ]);
    expect(history.rows[0]?.last).toMatchObject({
      new_status: 'abandoned',
      reason: 'lease expired',
    });
  });

  it('sweep in text names what it abandoned', async () => {
    const r = await register('cl-c', 'cl short2', 'CREATE TABLE cl_short2 (id int)', [
      '--lease-seconds',
      '1',
    ]);
    await db.query('SELECT pg_sleep(1.1)');
    const out = ok(await cli(['sweep']));
    expect(out.stdout).toMatch(
      new RegExp(
        `^swept 1 expired intent\\(s\\) \\(abandoned, their conflicts released\\): ${r.intent.id.slice(0, 8)}\\n$`,
      ),
    );
  });

  it('bad leases and limits are usage errors (exit 2)', async () => {
    await usage(
      ['heartbeat', 'abcd', '--lease-seconds', '0'],
      /--lease-seconds must be a positive integer, not "0"/,
    );
    await usage(
      ['register', '-a', 'a', '-n', 'f', '-s', 'x', '--lease-seconds', '31536001'],
      /--lease-seconds must be at most 31536000/,
    );
    await usage(['sweep', '--limit', '1001'], /--limit must be at most 1000/);
    await usage(['heartbeat'], /missing required argument 'intent-id'/);
  });
});

describe('drift', () => {
  const agent = `drift "o'neil" the agent`;
  let since: string;

  it('DDL run through a client with agentId shows up in `pggit drift` under that agent', async () => {
    since = new Date(Date.now() - 1000).toISOString();
    const owner = await register('cl-owner', 'cl owned', 'CREATE TABLE cl_owned (id int)');
    const client = new PggitClient(db.url, { agentId: agent });
    try {
      await client.pool.query('CREATE TABLE cl_drifted (id int)');
      await client.pool.query('CREATE TABLE cl_owned (id int)');
    } finally {
      await client.close();
    }
    const findings = json<DriftFinding[]>(await cli(['drift', '--since', since, '--json']));
    expect(findings.map((f) => [f.agent_id, f.finding, f.command_tag])).toEqual([
      [agent, 'foreign', 'CREATE TABLE'],
      [agent, 'undeclared', 'CREATE TABLE'],
    ]);
    expect(findings[0]?.other_intents).toEqual([owner.intent.id]);
    const text = ok(await cli(['drift', '--since', '10m']));
    const blocks = text.stdout.trim().split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(
      new RegExp(
        `^drift #\\d+ {2}foreign {2}CREATE TABLE by ${agent.replace(/"/g, '"')} \\(database user postgres\\) {2}\\S+\\n {2}on table public\\.cl_owned, column public\\.cl_owned\\.id\\n {2}declared by other intents: ${owner.intent.id.slice(0, 8)}\\n {2}CREATE TABLE cl_owned \\(id int\\)$`,
      ),
    );
    expect(blocks[1]).toMatch(/^drift #\d+ {2}undeclared {2}CREATE TABLE by /);
  });

  it('--limit, and --since in the future, narrow it; a bad --since is a usage error', async () => {
    const one = json<DriftFinding[]>(await cli(['drift', '--limit', '1', '--json']));
    expect(one.map((f) => f.command_tag)).toEqual(['CREATE TABLE']);
    expect(one[0]?.finding).toBe('foreign'); // newest first
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(ok(await cli(['drift', '--since', future])).stdout).toBe('no drift\n');
    expect(json<DriftFinding[]>(await cli(['drift', '--since', future, '--json']))).toEqual([]);
    await usage(
      ['drift', '--since', 'yesterday'],
      /--since must be an ISO 8601 time .* not "yesterday"/,
    );
    await usage(['drift', '--limit', '0'], /--limit must be a positive integer/);
  });
});

describe('rules, reviews and settings', () => {
  let owner: Rule;
  let intent: Intent;

  it('rules add (owner and advice, --metadata key=value), rules list, text and JSON', async () => {
    const added = ok(
      await cli([
        'rules',
        'add',
        '--kind',
        'owner',
        '--pattern',
        'public.cl_pay*',
        '--owner',
        'cl-team',
      ]),
    );
    expect(added.stdout).toMatch(
      /^added rule #\d+ \(owner\): cl-team owns public\.cl_pay\*: others' intents need its review\n$/,
    );
    const advice = json<Rule>(
      await cli([
        'rules',
        'add',
        '--kind',
        'advice',
        '--metadata',
        'org=fin=ance',
        '--advice',
        'ask compliance',
        '--json',
      ]),
    );
    expect(advice).toMatchObject({
      kind: 'advice',
      metadata_key: 'org',
      metadata_value: 'fin=ance',
      advice: 'ask compliance',
      removed_at: null,
    });
    const rules = json<Rule[]>(await cli(['rules', 'list', '--json']));
    owner = rules.find((r) => r.kind === 'owner') as Rule;
    expect(rules.map((r) => r.kind)).toEqual(['owner', 'advice']);
    // `rules` alone lists them
    const text = ok(await cli(['rules']));
    expect(text.stdout).toBe(
      `rule #${owner.id}  owner  cl-team owns public.cl_pay*: others' intents need its review\nrule #${advice.id}  advice  metadata org=fin=ance: advice "ask compliance"\n`,
    );
  });

  it('register says which reviews it needs and the advice; start waits; reviews and review follow', async () => {
    const r = ok(
      await cli([
        'register',
        '-a',
        'cl-outsider',
        '-n',
        'cl refunds',
        '-s',
        'ALTER TABLE cl_payments ADD COLUMN refunded_at timestamptz',
        '-m',
        '{"org": "fin=ance"}',
      ]),
    );
    const id = /intent:\s+(\S+)/.exec(r.stdout)?.[1] as string;
    expect(r.stdout).toContain(
      `\nreviews required before it may start:\n  rule #${owner.id}: cl-team reviews public.cl_payments, public.cl_payments.refunded_at (pggit review ${id.slice(0, 8)} approve --rule ${owner.id})\nadvice: ask compliance\n`,
    );
    intent = json<Intent>(await cli(['status', id, '--json']));
    expect(textError(await cli(['start', id]), 1)).toMatch(/^error \[55000\]: .*owner review/);

    const pending = ok(await cli(['reviews', id]));
    expect(pending.stdout).toBe(
      `reviews of intent ${id.slice(0, 8)}\n  rule #${owner.id}  cl-team  pending  on public.cl_payments, public.cl_payments.refunded_at\n  review gate: off\n`,
    );
    // not the owner: 42501, exit 1
    const refused = jsonError(
      await cli([
        'review',
        id,
        'approve',
        '--rule',
        String(owner.id),
        '--reviewer',
        'cl-outsider',
        '--json',
      ]),
      1,
    );
    expect(refused.code).toBe('42501');
    const done = ok(
      await cli(['review', id, 'approve', '--rule', String(owner.id), '--notes', 'fine'], {
        env: { PGGIT_AGENT_ID: 'cl-team' },
      }),
    );
    expect(done.stdout).toMatch(
      new RegExp(
        `^reviews of intent ${id.slice(0, 8)}\\n {2}rule #${owner.id} {2}cl-team {2}approved {2}on .*\\n {2}review gate: off\\ndecisions:\\n {2}\\S+ {2}approved by cl-team \\(rule #${owner.id}\\): fine\\n$`,
      ),
    );
    const state = json<ReviewState>(await cli(['reviews', id, '--json']));
    expect(state.required).toEqual([
      expect.objectContaining({ rule_id: owner.id, decision: 'approved' }),
    ]);
    expect(state.reviews.map((x) => [x.decision, x.reviewer, x.notes])).toEqual([
      ['approved', 'cl-team', 'fine'],
    ]);
    ok(await cli(['start', id, '-a', 'cl-outsider']));
  });

  it('config: get (all, or one key), set, in text and JSON; the review gate refuses the agent’s own decision', async () => {
    const all = ok(await cli(['config']));
    expect(all.stdout).toMatch(/^agent_isolation +off\n/);
    expect(all.stdout).toMatch(/\ndrift_mode +warn\n/);
    expect(json<Record<string, string>>(await cli(['settings', 'get', '--json']))).toMatchObject({
      review_gate: 'off',
      lease_seconds: '86400',
    });
    expect(ok(await cli(['config', 'get', 'drift_mode'])).stdout).toBe('warn\n');
    expect(json(await cli(['config', 'get', 'lease_seconds', '--json']))).toEqual({
      lease_seconds: '86400',
    });
    const none = jsonError(await cli(['config', 'get', 'colour', '--json']), 1);
    expect(none.code).toBe('P0002');
    expect(none.message).toMatch(/^no setting "colour": the settings are agent_isolation, /);

    expect(ok(await cli(['config', 'set', 'review_gate', 'on'])).stdout).toBe('review_gate = on\n');
    try {
      const own = textError(
        await cli(['review', intent.id, 'approve', '--reviewer', 'cl-outsider']),
        1,
      );
      expect(own).toMatch(/^error \[42501\]: cl-outsider wrote intent .* someone else/);
      const rejected = json<ReviewState>(
        await cli([
          'review',
          intent.id,
          'reject',
          '--reviewer',
          'cl-lead',
          '--notes',
          'index?',
          '--json',
        ]),
      );
      expect(rejected.gate).toEqual({ enabled: true, decision: 'rejected' });
    } finally {
      expect(json(await cli(['config', 'set', 'review_gate', 'off', '--json']))).toEqual({
        review_gate: 'off',
      });
    }
    const bad = textError(await cli(['config', 'set', 'drift_mode', 'loud']), 1);
    expect(bad).toMatch(/^error \[22023\]: "loud" is not a value for drift_mode\n$/);
  });

  it('rules remove retires a rule; removing it again, or a rule SQL refuses, is 22023 (exit 1)', async () => {
    const removed = ok(await cli(['rules', 'remove', String(owner.id)]));
    expect(removed.stdout).toMatch(new RegExp(`^removed rule #${owner.id} \\(owner\\): `));
    expect(json<Rule[]>(await cli(['rules', '--json'])).map((r) => r.id)).not.toContain(owner.id);
    expect(jsonError(await cli(['rules', 'remove', String(owner.id), '--json']), 1).code).toBe(
      '22023',
    );
    const sev = textError(
      await cli(['rules', 'add', '--kind', 'severity', '--severity', 'error']),
      1,
    );
    expect(sev).toBe('error [22023]: a severity rule needs a pattern or a conflict_type\n');
  });

  it('usage errors: exit 2, nothing sent', async () => {
    await usage(
      ['rules', 'add', '--pattern', 'x'],
      /required option '--kind <kind>' not specified/,
    );
    await usage(['rules', 'add', '--kind', 'owners'], /argument 'owners' is invalid/);
    await usage(
      ['rules', 'add', '--kind', 'advice', '--metadata', 'org'],
      /--metadata must be key=value, not "org"/,
    );
    await usage(
      ['rules', 'add', '--kind', 'severity', '--severity', 'fatal'],
      /argument 'fatal' is invalid/,
    );
    await usage(['rules', 'remove', 'one'], /rule-id must be a positive integer, not "one"/);
    await usage(['review', 'abcd', 'maybe'], /<decision> must be approve or reject, not "maybe"/);
    await usage(['review', 'abcd', 'approve', '--rule', 'x'], /--rule must be a positive integer/);
    await usage(['config', 'set', 'review_gate'], /missing required argument 'value'/);
  });
});

describe('who may manage rules and settings', () => {
  it('a role with pggit_agent only reads them, and gets a clear 42501 from rules add and config set', async () => {
    const url = db.urlFor(agentRole);
    expect(Array.isArray(json<Rule[]>(await cli(['rules', 'list', '--json'], { url })))).toBe(true);
    expect(ok(await cli(['config', 'get', 'drift_mode'], { url })).stdout).toBe('warn\n');
    const text = textError(
      await cli(['rules', 'add', '--kind', 'advice', '--pattern', 'public.x*', '--advice', 'x'], {
        url,
      }),
      1,
    );
    expect(text).toBe(
      'error [42501]: permission denied for function pggit_add_rule\nhint: `pggit rules add --kind <kind>` is for members of pggit_admin: the database owner can GRANT pggit_admin TO your database user\n',
    );
    const j = jsonError(await cli(['config', 'set', 'drift_mode', 'off', '--json'], { url }), 1);
    expect(j).toEqual({
      code: '42501',
      message: 'permission denied for function pggit_set_setting',
      hint: '`pggit config set <key> <value>` is for members of pggit_admin: the database owner can GRANT pggit_admin TO your database user',
    });
    expect(jsonError(await cli(['rules', 'remove', '1', '--json'], { url }), 1).code).toBe('42501');
  });

  it('--help lists the new commands', async () => {
    const r = ok(await pggit(['--help']));
    for (const c of [
      'heartbeat',
      'sweep',
      'drift',
      'review',
      'reviews',
      'rules',
      'config|settings',
    ]) {
      expect(r.stdout).toContain(`  ${c} `);
    }
  });
});
