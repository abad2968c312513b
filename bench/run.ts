/**
 * pggit's benchmark (issue 9): every target a ratio against a baseline
 * measured in the same run, interleaved, as medians with p95 beside them.
 *
 *   npm run bench                  the full run: bench/results/latest.{json,md}
 *   npm run bench -- --smoke       small N, few repeats, results in a temporary
 *                                  folder; fails only if something errors (CI)
 *   npm run bench -- --only register,hot   some sections only (development)
 *   npm run bench -- --out DIR     write the results elsewhere
 *
 * Sections (each a module with one function returning its figures):
 *   register     sections/register.ts   the workload at 100 / 1k / 10k vs the INSERT floor
 *   hot          sections/hot.ts        300 candidates on one table vs disjoint ones
 *   list         sections/list.ts       a page of pggit_list_intents, the view, at 10k
 *   concurrency  sections/concurrency.ts  pgbench at 1, 2, 4 connections
 *   cold         sections/coldstart.ts  a new connection's first calls
 *   parse-db     sections/parse-db.ts   pggit_parse statements/s
 *   parse-node   bench/parse.ts         (another module: measureParse())
 *   cli          bench/cli.ts           (another module: benchCli())
 *   drift        sections/drift.ts      hook: drift guard cost per DDL command
 *   loading      the populations the sections above used (real registrations)
 *
 * Not part of `npm test`. The databases are clones of a migrated template on
 * the project-local cluster (scripts/local-db.sh; PGGIT_PG_ROOT selects a
 * private PostgreSQL copy), dropped at the end.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Context } from './context.js';
import { BenchServer, root } from './db.js';
import { collectMeta } from './meta.js';
import { allTargets, markdown, type Results } from './report.js';
import { benchColdStart } from './sections/coldstart.js';
import { benchConcurrency } from './sections/concurrency.js';
import { measureDriftGuard } from './sections/drift.js';
import { benchCliSection, benchParseNodeSection } from './sections/external.js';
import { benchHot } from './sections/hot.js';
import { benchList } from './sections/list.js';
import { benchParseDb } from './sections/parse-db.js';
import { benchRegister, fmtN } from './sections/register.js';
import { stat } from './stats.js';
import { FULL, figure, type SectionResult, SMOKE } from './types.js';

const SECTIONS: [string, (ctx: Context) => Promise<SectionResult>][] = [
  ['register', benchRegister],
  ['hot', benchHot],
  ['list', benchList],
  ['concurrency', benchConcurrency],
  ['cold', benchColdStart],
  ['parse-db', benchParseDb],
  ['parse-node', benchParseNodeSection],
  ['cli', benchCliSection],
  ['drift', measureDriftGuard],
];

async function loadingSection(ctx: Context): Promise<SectionResult> {
  const pops = await ctx.populations();
  return {
    id: 'loading',
    title: 'Loading the populations',
    status: pops.length > 0 ? 'ok' : 'not measured',
    ...(pops.length > 0 ? {} : { reason: 'not measured: no section needed a population' }),
    method:
      'Every intent of every population is a real pggit_register call (no row made by SQL), spread over one connection per core, each registration its own transaction.',
    figures: pops.map((p) =>
      figure(
        `one registration while loading ${fmtN(p.n)} intents`,
        stat(p.loaded.each),
        'ms',
        `whole load ${(p.loaded.ms / 1000).toFixed(1)} s on ${p.loaded.connections} connections (${((p.n * 1000) / p.loaded.ms).toFixed(0)} registrations/s); ${p.loaded.conflicts} conflicts recorded`,
      ),
    ),
    targets: [],
    notes: [],
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const mode = values.smoke ? SMOKE : FULL;
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((x) => !SECTIONS.some(([id]) => id === x)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown section(s): ${unknown.join(', ')}`);
  const out =
    values.out ??
    (mode.smoke ? mkdtempSync(join(tmpdir(), 'pggit-bench-smoke-')) : join(root, 'bench/results'));
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

  const server = await BenchServer.start(
    mode.smoke ? 'pggit_bench_smoke_' : 'pggit_bench_full_',
    log,
  );
  const ctx = new Context(mode, server, log);
  const meta = await collectMeta(server.templateUrl, mode.smoke);
  const sections: SectionResult[] = [];
  try {
    for (const [id, fn] of SECTIONS) {
      if (only !== undefined && !only.includes(id)) continue;
      const s0 = performance.now();
      const load0 = loadavg()[0] as number;
      log(`section ${id}`);
      let result: SectionResult;
      try {
        result = await fn(ctx);
      } catch (err) {
        log(`section ${id} failed: ${(err as Error).stack ?? err}`);
        result = {
          id,
          title: id,
          status: 'error',
          reason: String((err as Error).message ?? err),
          figures: [],
          targets: [],
          notes: [],
        };
      }
      result.seconds = (performance.now() - s0) / 1000;
      result.load = [load0, loadavg()[0] as number];
      sections.push(result);
    }
    sections.push(await loadingSection(ctx));
  } finally {
    await server.dropAll();
  }
  meta.load_average_end = loadavg().map((x) => Math.round(x * 100) / 100);
  meta.seconds = (performance.now() - t0) / 1000;
  const results: Results = { meta, mode, sections };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  writeFileSync(join(out, 'latest.md'), md);
  process.stdout.write(md);
  const errors = sections.filter((s) => s.status === 'error');
  const failing = allTargets(results).filter((t) => t.pass === false).length;
  log(`results in ${out} (${meta.seconds.toFixed(0)} s); ${failing} target(s) failing`);
  if (errors.length > 0) {
    log(`error in: ${errors.map((s) => s.id).join(', ')}`);
    return 1;
  }
  // failing targets are figures, not errors: the run itself succeeded
  return 0;
}

process.exitCode = await main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  return 1;
});
