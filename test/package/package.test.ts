/**
 * pggit as a new user gets it: `npm pack` in the checkout, `npm i` of the
 * tarball into an empty project (from the npm cache), then plain Node — no
 * tsx, no checkout — against a real database: the client (ESM import,
 * require, and its types under tsc), the detector entry point, the CLI from
 * the installed bin, and the MCP server started from that bin through the
 * SDK's client.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry, Intent, RegisterResult } from '../../src/client/index.js';
import { cleanEnv, root, runNode } from '../client/support.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { withDatabase } from '../support/server.js';

const run = promisify(execFile);

let db: TestDatabase;
let work: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };
const version = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
).version;

/** The environment of a user's shell: none of npm's or vitest's variables, no tsx loader. */
function userEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  for (const k of Object.keys(env))
    if (k.startsWith('npm_') || k.startsWith('VITEST')) delete env[k];
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return env;
}

const bin = () => join(project, 'node_modules/.bin/pggit');

/** The installed CLI, run as a user runs it (its shebang picks node), in the project. */
function installed(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (resolve) => {
      const started = performance.now();
      execFile(bin(), args, { cwd: project, env: userEnv(env) }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({
          code: typeof code === 'number' ? code : 1,
          stdout,
          stderr,
          ms: performance.now() - started,
        });
      });
    },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  work = mkdtempSync(join(tmpdir(), 'pggit-package-'));
  // npm pack runs `prepare`, which builds dist/ from src/.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    env: userEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0] as typeof packed;
  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  await run(
    'npm',
    [
      'i',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      join(work, packed.filename),
    ],
    { cwd: project, env: userEnv(), maxBuffer: 16 * 1024 * 1024 },
  );
}, 300_000);

afterAll(async () => {
  await db?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('ships built JavaScript with declarations, the bin, the migrations and the LICENSE; no sources, tests or tooling', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const f of [
      'package.json',
      'LICENSE',
      'README.md',
      'bin/pggit.mjs',
      'dist/client/index.js',
      'dist/client/index.d.ts',
      'dist/detector/index.js',
      'dist/detector/index.d.ts',
      'dist/mcp/server.js',
      'dist/mcp/server.d.ts',
      'dist/cli/bin.js',
      // imported lazily, by watch --webhook only
      'dist/cli/webhook.js',
      'migrations/committed/000001-pggit-in-its-own-schema.sql',
      'migrations/generated/pggit-functions.sql',
    ]) {
      expect(files).toContain(f);
    }
    const unwanted = files.filter(
      (f) =>
        /^(src|test|bench|scripts|plv8|\.ci)\//.test(f) ||
        /^dist\/(dev|demo|plv8)\//.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        f.endsWith('.tsbuildinfo'),
    );
    expect(unwanted).toEqual([]);
    // every committed migration, since the installer applies them from the package
    const committed = readdirSync(join(root, 'migrations/committed')).filter((f) =>
      f.endsWith('.sql'),
    );
    expect(files.filter((f) => f.startsWith('migrations/committed/'))).toEqual(
      committed.map((f) => `migrations/committed/${f}`).sort(),
    );
    expect(readFileSync(join(project, 'node_modules/pggit/LICENSE'), 'utf8')).toContain(
      'Copyright (c) 2026 the pggit authors',
    );
  });

  it('needs no TypeScript at run time: tsx is no dependency, and none was installed', () => {
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules/pggit/package.json'), 'utf8'),
    );
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('tsx');
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/typescript'))).toBe(false);
  });
});

describe('the client from plain Node', () => {
  it('imports as ESM (pggit and pggit/detector) and works against the database', async () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { PggitClient, PggitError } from 'pggit';
import { parseScript } from 'pggit/detector';
const client = new PggitClient(process.env.PGGIT_DATABASE_URL);
const { intent } = await client.register({ agentId: 'pkg-a', featureName: 'packaged', schemaChanges: 'CREATE TABLE pkg_t (id int)' });
const again = await client.getIntent(intent.id);
const missing = await client.history('no-such-intent').catch((e) => e instanceof PggitError && e.code);
await client.close();
const parsed = parseScript('ALTER TABLE users ADD COLUMN email text');
console.log(JSON.stringify({ id: again.id, status: again.status, missing, objects: parsed.objects.map((o) => o.qualified) }));
`,
    );
    const r = await runNode(['use.mjs'], { cwd: project, env: { PGGIT_DATABASE_URL: db.url } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: 'registered', missing: 'P0002' });
    expect(out.objects).toContain('public.users.email');
  });

  it('require()s too', async () => {
    writeFileSync(
      join(project, 'use.cjs'),
      `const { PggitClient, packageVersion } = require('pggit');
const { parseScript } = require('pggit/detector');
console.log(typeof PggitClient, packageVersion(), parseScript('CREATE TABLE x (id int)').statements.length);
`,
    );
    const r = await runNode(['use.cjs'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`function ${version} 1\n`);
  });

  // The types are real, not `any`: were any of them `any` (a declaration file
  // missing, or pg's types not installed), its @ts-expect-error line would be
  // an error itself (TS2578). skipLibCheck as `tsc --init` sets it.
  it('has types: a consumer file type-checks under strict tsc, and wrong calls are caught', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { type Intent, PggitClient, PggitError, type RegisterResult } from 'pggit';
import { detectConflicts, type ParseResult, parseScript } from 'pggit/detector';
import { createServer } from 'pggit/mcp';

export async function use(url: string): Promise<Intent | null> {
  const client = new PggitClient(url, { connectTimeoutMs: 1000 });
  const r: RegisterResult = await client.register({ agentId: 'a', featureName: 'f', schemaChanges: 'CREATE TABLE t (id int)', riskLevel: 'high' });
  // @ts-expect-error riskLevel is 'low' | 'medium' | 'high'
  await client.register({ agentId: 'a', featureName: 'f', schemaChanges: 'x', riskLevel: 'extreme' });
  // @ts-expect-error the pool is a pg.Pool: totalCount is a number
  const count: string = client.pool.totalCount;
  const parsed: ParseResult = parseScript('CREATE TABLE t (id int)');
  // @ts-expect-error statements are objects
  const first: number = parsed.statements[0];
  const reports = detectConflicts({ agent_id: 'a', feature_name: 'f', schema_changes: 'x' }, { agent_id: 'b', feature_name: 'g', schema_changes: 'y' });
  // @ts-expect-error createServer takes a client factory
  createServer(42);
  void count; void first; void reports;
  try { return await client.getIntent(r.intent.id); }
  catch (e) { if (e instanceof PggitError) console.log(e.code); throw e; }
  finally { await client.close(); }
}
`,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const ok = await runNode([tsc, '-p', project], { cwd: project, timeoutMs: 110_000 });
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  }, 120_000);
});

describe('the installed CLI', () => {
  it('--version and --help, without a database', async () => {
    const v = await installed(['--version']);
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    const h = await installed(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: pggit');
  });

  it('without a database URL: one line, exit 2, and no database started inside node_modules', async () => {
    for (const args of [
      ['list-intents'],
      ['check', '-a', 'x', '-n', 'y', '-s', 'CREATE TABLE t (id int)'],
      ['mcp'],
    ]) {
      const r = await installed(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(
        'error: no database: give --database-url <postgres://…>, or set PGGIT_DATABASE_URL or DATABASE_URL',
      );
    }
    // nothing kept running from inside the project (the old fallback left a postgres there)
    const { stdout: ps } = await run('ps', ['-eo', 'args']);
    expect(ps.split('\n').filter((l) => l.includes(project))).toEqual([]);
    const pkg = join(project, 'node_modules/pggit');
    expect(readdirSync(pkg).sort()).toEqual([
      'LICENSE',
      'README.md',
      'bin',
      'dist',
      'migrations',
      'package.json',
    ]);
    expect(existsSync(join(pkg, 'scripts'))).toBe(false);
  });

  it('registers and checks against the database; check is a CI gate (exit 3)', async () => {
    const env = { PGGIT_DATABASE_URL: db.url, PGGIT_AGENT_ID: 'pkg-cli' };
    const reg = await installed(
      [
        'register',
        '-n',
        'pkg phone',
        '-s',
        'ALTER TABLE pkg_u ADD COLUMN phone text',
        '--format',
        'json',
      ],
      env,
    );
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    const r = JSON.parse(reg.stdout) as RegisterResult;
    expect(r.intent).toMatchObject({ agent_id: 'pkg-cli', status: 'registered' });
    writeFileSync(join(project, '001.sql'), 'ALTER TABLE pkg_u ADD COLUMN phone varchar(20);');
    const check = await installed(
      ['check', '-a', 'ci', '-n', 'pkg pr', '--file', '*.sql', '--format', 'json'],
      env,
    );
    expect(check.code).toBe(3);
    expect(JSON.parse(check.stdout).conflicts).toContainEqual(
      expect.objectContaining({
        conflict_type: 'column',
        severity: 'error',
        intent_b: r.intent.id,
      }),
    );
    const status = await installed(['status', r.intent.id, '--json'], env);
    expect((JSON.parse(status.stdout) as Intent).id).toBe(r.intent.id);
  });

  it('npx pggit install --database-url … installs pggit into an empty database, which the CLI then uses', async () => {
    const name = `${db.name}_fresh`;
    await db.admin(`CREATE DATABASE ${name}`);
    try {
      const url = withDatabase(db.url, name);
      const r = await installed(['install', '--database-url', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `^pggit ${version.replace(/\./g, '\\.')} installed: tables in schema pggit, API in schema public`,
        ),
      );
      const env = { PGGIT_DATABASE_URL: url };
      const list = await installed(['list-intents', '--json'], env);
      expect(list).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
      const npx = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(
          'npx',
          ['--no-install', 'pggit', 'version', '--json'],
          { cwd: project, env: userEnv(env) },
          (err, stdout) => resolve({ code: err ? 1 : 0, stdout }),
        );
      });
      expect(npx.code).toBe(0);
      expect(JSON.parse(npx.stdout)).toMatchObject({
        client: version,
        server: { version, schema: 'pggit' },
      });
    } finally {
      await db.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});

describe('the MCP server from the installed bin', () => {
  it('serves its tools over stdio; a register → start → complete → merge round trip records PGGIT_AGENT_ID', async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(
      userEnv({ PGGIT_DATABASE_URL: db.url, PGGIT_AGENT_ID: 'pkg-mcp' }),
    )) {
      if (v !== undefined) env[k] = v;
    }
    const client = new Client({ name: 'pkg-test', version: '0' });
    await client.connect(
      new StdioClientTransport({
        command: bin(),
        args: ['mcp'],
        cwd: project,
        env,
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'register_intent',
          'start_intent',
          'complete_intent',
          'merge_intent',
          'history',
        ]),
      );
      expect(
        tools.every(
          (t) => t.outputSchema?.type === 'object' && t.annotations?.openWorldHint === false,
        ),
      ).toBe(true);
      const structured = async <T>(name: string, args: Record<string, unknown>) => {
        const res = await client.callTool({ name, arguments: args });
        expect(res.isError ?? false, JSON.stringify(res.content)).toBe(false);
        return res.structuredContent as T;
      };
      const { intent } = await structured<RegisterResult>('register_intent', {
        feature_name: 'pkg mcp',
        schema_changes: 'CREATE TABLE pkg_mcp (id int)',
      });
      expect(intent.agent_id).toBe('pkg-mcp');
      for (const tool of ['start_intent', 'complete_intent', 'merge_intent']) {
        await structured(tool, { intent_id: intent.id });
      }
      const { history } = await structured<{ history: HistoryEntry[] }>('history', {
        intent_id: intent.id,
      });
      expect(history.map((h) => [h.new_status, h.changed_by])).toEqual([
        ['registered', 'pkg-mcp'],
        ['in_progress', 'pkg-mcp'],
        ['completed', 'pkg-mcp'],
        ['merged', 'pkg-mcp'],
      ]);
    } finally {
      await client.close();
    }
  });
});
