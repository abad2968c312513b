/**
 * Throughput of registrations on disjoint tables at 1, 2 and 4 connections,
 * measured with pgbench (a C client, which leaves the cores to the server).
 * Each pgbench client registers intents on tables of its own (its
 * :client_id and a random suffix), so no two registrations conflict.
 *
 * The runs alternate (1, 2, 4, then 2, 4, 1, ...). A new connection's first
 * call starts PLV8 and loads the bundle, so throughput is taken from
 * pgbench's per-transaction log over the steady window: from the moment every
 * client has finished its first transaction to the moment the first client
 * finished its last.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { findPgbench, once } from '../db.js';
import { median, Recorder, stat } from '../stats.js';
import { figure, type SectionResult, target } from '../types.js';

const SCRIPT = `\\set r random(1, 2000000000)
SELECT pggit_register(agent_id => 'pgbench-' || :client_id,
  feature_name => 'pgbench ' || :client_id || ' ' || :r,
  schema_changes => format('ALTER TABLE pgb_%s_%s ADD COLUMN c integer; CREATE INDEX pgb_%s_%s_c_idx ON pgb_%s_%s (c)',
                           :client_id, :r, :client_id, :r, :client_id, :r));
`;

interface Run {
  clients: number;
  /** Transactions per second over the steady window. */
  tps: number;
  /** pgbench's own figure (includes each connection's PLV8 start). */
  pgbenchTps: number;
  transactions: number;
  windowS: number;
  latenciesMs: number[];
}

function runPgbench(
  pgbench: string,
  url: string,
  dir: string,
  clients: number,
  seconds: number,
  warmupSeconds: number,
  tag: string,
): Run {
  const prefix = join(dir, tag);
  const r = spawnSync(
    pgbench,
    [
      '-n',
      '-f',
      join(dir, 'register.sql'),
      '-c',
      String(clients),
      '-j',
      String(clients),
      '-T',
      String(seconds),
      '-l',
      `--log-prefix=${prefix}`,
      url,
    ],
    { encoding: 'utf8', timeout: (seconds + 120) * 1000 },
  );
  if (r.status !== 0)
    throw new Error(`pgbench exited ${r.status}: ${r.stderr}${r.stdout}`.slice(0, 2000));
  const tpsMatch = /tps = ([0-9.]+)/.exec(r.stdout);
  // log lines: client_id transaction_no latency_us script_no epoch_s epoch_us ...
  const byClient = new Map<number, { end: number; latency: number }[]>();
  for (const f of readdirSync(dir).filter((x) => x.startsWith(`${tag}.`))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const p = line.trim().split(/\s+/);
      if (p.length < 6) continue;
      const client = Number(p[0]);
      const latency = Number(p[2]) / 1000;
      const end = Number(p[4]) * 1000 + Number(p[5]) / 1000;
      const xs = byClient.get(client) ?? [];
      xs.push({ end, latency });
      byClient.set(client, xs);
    }
    rmSync(join(dir, f));
  }
  if (byClient.size !== clients)
    throw new Error(`pgbench logged ${byClient.size} of ${clients} clients`);
  const all = [...byClient.values()];
  // the steady window starts once every client has run for warmupSeconds: a
  // connection's first calls start V8 and compile the hot code, which is the
  // cold-start section's business, not a question of serialisation
  const start =
    Math.max(...all.map((xs) => Math.min(...xs.map((x) => x.end)))) + warmupSeconds * 1000;
  const end = Math.min(...all.map((xs) => Math.max(...xs.map((x) => x.end))));
  const inWindow = all.flat().filter((x) => x.end > start && x.end <= end);
  const windowS = (end - start) / 1000;
  if (windowS <= 0 || inWindow.length === 0) {
    throw new Error(
      `pgbench at ${clients} clients: no steady window (run longer than ${seconds} s)`,
    );
  }
  return {
    clients,
    tps: inWindow.length / windowS,
    pgbenchTps: tpsMatch ? Number(tpsMatch[1]) : Number.NaN,
    transactions: all.flat().length,
    windowS,
    latenciesMs: inWindow.map((x) => x.latency),
  };
}

export async function benchConcurrency(ctx: Context): Promise<SectionResult> {
  const { mode, server } = ctx;
  const [{ v }] = (await once<{ v: number }>(
    server.templateUrl,
    "SELECT current_setting('server_version_num')::int AS v",
  )) as [{ v: number }];
  const major = Math.floor(v / 10000);
  const pgbench = findPgbench(major);
  if (pgbench === null) {
    return {
      id: 'concurrency',
      title: 'Concurrency (pgbench)',
      status: 'not measured',
      reason: `not measured: no pgbench for PostgreSQL ${major} (looked under $PGGIT_PG_ROOT, /usr/lib/postgresql/${major}/bin and PATH)`,
      figures: [],
      targets: [],
      notes: [],
    };
  }
  const url = await server.clone('concurrency');
  const dir = mkdtempSync(join(tmpdir(), 'pggit-bench-pgbench-'));
  try {
    writeFileSync(join(dir, 'register.sql'), SCRIPT);
    const counts = mode.pgbenchClients;
    const runs: Run[] = [];
    const latencies = new Recorder();
    for (let round = 0; round < mode.pgbenchRounds; round++) {
      for (let j = 0; j < counts.length; j++) {
        const clients = counts[(round + j) % counts.length]!;
        ctx.log(
          `pgbench: round ${round + 1} of ${mode.pgbenchRounds}, ${clients} connection(s), ${mode.pgbenchSeconds} s`,
        );
        const run = runPgbench(
          pgbench,
          url,
          dir,
          clients,
          mode.pgbenchSeconds,
          mode.pgbenchWarmupSeconds,
          `r${round}c${clients}`,
        );
        runs.push(run);
        for (const x of run.latenciesMs) latencies.add(`latency ${clients}`, x);
      }
    }
    const tps = (k: number) => stat(runs.filter((r) => r.clients === k).map((r) => r.tps));
    const label = (k: number) => `registrations/s, ${k} connection${k === 1 ? '' : 's'} (pgbench)`;
    const figures = counts.flatMap((k) => [
      figure(
        label(k),
        tps(k),
        'reg/s',
        `pgbench's own tps, with the PLV8 starts: ${median(runs.filter((r) => r.clients === k).map((r) => r.pgbenchTps)).toFixed(0)}`,
      ),
      figure(
        `one registration's latency at ${k} connection${k === 1 ? '' : 's'}`,
        latencies.stat(`latency ${k}`),
      ),
    ]);
    const targets = [];
    if (counts.includes(2) && counts.includes(1)) {
      targets.push(
        target(
          '2 connections on disjoint tables ≥ 1.6× the throughput of one',
          { label: label(2), stat: tps(2) },
          { label: label(1), stat: tps(1) },
          '>=',
          1.6,
          {
            today: '1.26×',
            note: 'ratio of the medians of throughput over the runs; p95 column: ratio of their p95s',
          },
        ),
      );
    }
    const notes = [
      'pgbench runs on the same cores as the server, and so do other processes of the machine (see the load average): a run with more connections also takes a larger share of a contended CPU.',
    ];
    if (counts.includes(4) && counts.includes(1)) {
      notes.push(`4 connections / 1: ${(tps(4).median / tps(1).median).toFixed(2)}× (no target).`);
    }
    return {
      id: 'concurrency',
      title: 'Concurrency (pgbench)',
      status: 'ok',
      method: `pgbench -n -c C -j C -T ${mode.pgbenchSeconds}, a custom script registering on tables of its own per client (:client_id and a random suffix); ${mode.pgbenchRounds} rounds of C = ${counts.join(', ')}, rotated; throughput over the steady window of the per-transaction log: from ${mode.pgbenchWarmupSeconds} s after every connection's first registration (V8's start and its compiles of the hot code left out) to the first connection's last. pgbench: ${pgbench}.`,
      figures,
      targets,
      notes,
      data: runs.map(({ latenciesMs, ...r }) => ({ ...r, latency_median_ms: median(latenciesMs) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.drop(`${server.prefix}concurrency`);
  }
}
