/**
 * CLI start-up and a CI check, as a user runs them: `node bin/pggit.mjs`
 * (the built dist/), each run a new process, against `node -e 0` measured in
 * the same rounds (interleaved, so load on the machine hits all alike).
 *
 *   import { benchCli } from './cli.js'; const figures = await benchCli();
 *   npx tsx bench/cli.ts            (prints the figures)
 *
 * Targets: `pggit --help` ≤ 2× `node -e 0`; `pggit check --format json`
 * against the local database ≤ 3×. `phases` says where a check's time goes,
 * measured inside one process per run: node's start, loading the CLI,
 * loading the client (pg), connecting, the client's version check
 * (pggit_version(), plain SQL), and pggit_check, which starts PLV8 in the new
 * backend before it checks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { freshLocalDatabase } from '../src/dev/local-db.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/pggit.mjs');

export interface Timing {
  median_ms: number;
  p95_ms: number;
}
export interface Ratio extends Timing {
  /** median / median of `node -e 0` */
  median_ratio: number;
  /** p95 / p95 of `node -e 0` */
  p95_ratio: number;
}
export interface CliFigures {
  runs: number;
  node: Timing;
  help: Ratio;
  check: Ratio;
  /** Medians, in ms, of the phases of one check run. */
  phases: {
    node_start: number;
    load_cli: number;
    load_client: number;
    connect: number;
    first_call: number;
    check_call: number;
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
const timing = (xs: number[]): Timing => ({
  median_ms: round(quantile(xs, 0.5)),
  p95_ms: round(quantile(xs, 0.95)),
});
const round = (x: number) => Math.round(x * 100) / 100;

function wall(args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - start;
  if (r.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`.slice(0, 2000));
  }
  return ms;
}

/** A database with some active intents, so the check compares with something. */
async function prepare(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = 0; i < 20; i++) {
      await c.query(
        'SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3)',
        [`bench-agent-${i % 4}`, `bench cli ${i}`, `ALTER TABLE cli_t${i} ADD COLUMN c int`],
      );
    }
  } finally {
    await c.end();
  }
}

const PHASES = `
const t0 = performance.now();
const { buildProgram } = await import(process.env.CLI_MAIN);
const t1 = performance.now();
globalThis.navigator ??= { userAgent: 'Node.js' };
const { PggitClient } = await import(process.env.CLI_CLIENT);
const t2 = performance.now();
const c = new PggitClient(process.env.PGGIT_DATABASE_URL, { max: 1 });
(await c.pool.connect()).release();
const t3 = performance.now();
await c.version();
const t4 = performance.now();
await c.check({ agentId: 'bench-ci', featureName: 'bench check', schemaChanges: 'ALTER TABLE cli_t3 ADD COLUMN c bigint' });
const t5 = performance.now();
c.close();
process.stdout.write(JSON.stringify([t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]));
void buildProgram;
`;

export async function benchCli(
  options: { databaseUrl?: string; runs?: number; build?: boolean } = {},
): Promise<CliFigures> {
  const runs = options.runs ?? 20;
  if (options.build ?? true) {
    execFileSync('npm', ['run', '--silent', 'build:dist'], { cwd: root, stdio: 'inherit' });
  }
  const url = options.databaseUrl ?? (await freshLocalDatabase('pggit_bench_cli'));
  await prepare(url);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  delete env.PGGIT_DATABASE_URL;
  const check = [
    bin,
    'check',
    '--agent-id',
    'bench-ci',
    '--feature-name',
    'bench check',
    '--schema-changes',
    'ALTER TABLE cli_t3 ADD COLUMN c bigint',
    '--fail-on',
    'never',
    '--format',
    'json',
    '--database-url',
    url,
  ];
  const phasesFile = join(tmpdir(), `pggit-bench-phases-${process.pid}.mjs`);
  const phaseEnv = {
    ...env,
    PGGIT_DATABASE_URL: url,
    CLI_MAIN: pathToFileURL(join(root, 'dist/cli/main.js')).href,
    CLI_CLIENT: pathToFileURL(join(root, 'dist/client/index.js')).href,
  };

  // warm the file cache and the server
  wall(['-e', '0'], env);
  wall([bin, '--help'], env);
  wall(check, env);

  const node: number[] = [];
  const help: number[] = [];
  const checks: number[] = [];
  const phases: number[][] = [];
  writeFileSync(phasesFile, PHASES);
  try {
    for (let i = 0; i < runs; i++) {
      node.push(wall(['-e', '0'], env));
      help.push(wall([bin, '--help'], env));
      checks.push(wall(check, env));
      const r = spawnSync(process.execPath, [phasesFile], { env: phaseEnv, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`phases: ${r.stderr}`);
      phases.push(JSON.parse(r.stdout) as number[]);
    }
  } finally {
    rmSync(phasesFile, { force: true });
  }
  const base = timing(node);
  const ratio = (xs: number[]): Ratio => {
    const t = timing(xs);
    return {
      ...t,
      median_ratio: round(t.median_ms / base.median_ms),
      p95_ratio: round(t.p95_ms / base.p95_ms),
    };
  };
  const phase = (k: number) =>
    round(
      quantile(
        phases.map((p) => p[k] as number),
        0.5,
      ),
    );
  return {
    runs,
    node: base,
    help: ratio(help),
    check: ratio(checks),
    phases: {
      node_start: phase(0),
      load_cli: phase(1),
      load_client: phase(2),
      connect: phase(3),
      first_call: phase(4),
      check_call: phase(5),
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const f = await benchCli({
    databaseUrl: process.env.PGGIT_DATABASE_URL,
    runs: Number(process.env.RUNS ?? 20),
  });
  const row = (name: string, r: Ratio) =>
    `${name.padEnd(34)} median ${r.median_ms.toFixed(0).padStart(4)} ms = ${r.median_ratio.toFixed(2)}x   p95 ${r.p95_ms.toFixed(0).padStart(4)} ms = ${r.p95_ratio.toFixed(2)}x`;
  process.stdout.write(
    [
      `node -e 0                          median ${f.node.median_ms.toFixed(0).padStart(4)} ms          p95 ${f.node.p95_ms.toFixed(0).padStart(4)} ms   (${f.runs} runs)`,
      row('pggit --help', f.help),
      row('pggit check --format json', f.check),
      `check phases (median ms): ${Object.entries(f.phases)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
      '',
    ].join('\n'),
  );
}
