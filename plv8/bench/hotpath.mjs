#!/usr/bin/env node
/**
 * Hot-path cost of the plv8 runtime in backend CPU time (utime + stime of
 * the backend, from /proc, so it holds up on a shared, loaded machine
 * better than wall time), per call, best of ROUNDS.
 *
 *   node plv8/bench/hotpath.mjs <database-url> [extension ...]
 *
 * Each extension (default: plv8 if available, else plv8_compat) gets a
 * scratch database; rounds alternate between them (A/B). The server must
 * run on this machine (it reads /proc/<backend pid>/stat).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

const url = process.argv[2];
if (!url) {
  console.error('usage: node plv8/bench/hotpath.mjs <database-url> [extension ...]');
  process.exit(2);
}
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const N = Number(process.env.N ?? 400000);
const M = N / 4;
const TICK = 1e6 / 100; // µs per clock tick (USER_HZ = 100)

const withDb = (u, db) => {
  const x = new URL(u);
  x.pathname = `/${db}`;
  return x.toString();
};

async function q(u, sql) {
  const c = new pg.Client({ connectionString: u });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

const SETUP = `
CREATE FUNCTION b_plpgsql(x int) RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN x; END';
CREATE FUNCTION b_id(x int) RETURNS int LANGUAGE plv8 AS 'return x';
CREATE FUNCTION b_jsonb(j jsonb) RETURNS int LANGUAGE plv8 AS 'return j.b.length';
CREATE FUNCTION b_jsonb_ret(x int) RETURNS jsonb LANGUAGE plv8 AS 'return {a: x, b: [1, 2, 3], c: "x"}';
CREATE FUNCTION b_jsonb_len(j jsonb) RETURNS int LANGUAGE plv8 AS 'return Object.keys(j).length';
CREATE FUNCTION b_jsonb_rows(x int) RETURNS jsonb LANGUAGE plv8 AS 'const a = []; for (let i = 0; i < 100; i++) a.push({id: x + i, name: "n" + i, ok: true, v: i / 8}); return a';
CREATE TABLE b_docs AS SELECT jsonb_object_agg('key' || i, i) AS ints, jsonb_object_agg('key' || i, 'value ' || i) AS strs FROM generate_series(1, 100) i;
CREATE FUNCTION b_exec(n int) RETURNS int LANGUAGE plv8 AS 'for (let i = 0; i < n; i++) plv8.execute("select 1"); return n';
CREATE FUNCTION b_exec_param(n int) RETURNS int LANGUAGE plv8 AS 'for (let i = 0; i < n; i++) plv8.execute("select $1::int + 1 AS v", [i]); return n';
CREATE FUNCTION b_prep(n int) RETURNS int LANGUAGE plv8 AS 'const p = plv8.prepare("select $1::int + 1 AS v", ["int"]); try { for (let i = 0; i < n; i++) p.execute([i]); } finally { p.free(); } return n';
`;
const JSONB = `'{"a": 1, "b": [1, 2, 3], "c": "x"}'::jsonb || jsonb_build_object('i', i)`;
const MEASURES = [
  [
    'plpgsql call, for scale',
    `SELECT count(b_plpgsql(i)) FROM generate_series(1, ${N}) i`,
    N,
    'empty',
  ],
  ['tiny plv8 call', `SELECT count(b_id(i)) FROM generate_series(1, ${N}) i`, N, 'empty'],
  [
    'small jsonb argument',
    `SELECT count(b_jsonb(${JSONB})) FROM generate_series(1, ${N}) i`,
    N,
    'jsonb',
  ],
  [
    'small jsonb result',
    `SELECT count(b_jsonb_ret(i)) FROM generate_series(1, ${N}) i`,
    N,
    'empty',
  ],
  [
    'jsonb argument, 100 integers',
    `SELECT count(b_jsonb_len(ints)) FROM b_docs, generate_series(1, ${M})`,
    M,
    'docs',
  ],
  [
    'jsonb argument, 100 strings',
    `SELECT count(b_jsonb_len(strs)) FROM b_docs, generate_series(1, ${M})`,
    M,
    'docs',
  ],
  [
    'jsonb result, 100 objects',
    `SELECT count(b_jsonb_rows(i)) FROM generate_series(1, ${N / 100}) i`,
    N / 100,
    'empty100',
  ],
  ["plv8.execute('select 1')", `SELECT b_exec(${M})`, M, null],
  ['plv8.execute, one parameter', `SELECT b_exec_param(${M})`, M, null],
  ['plv8.prepare plan.execute, one parameter', `SELECT b_prep(${M})`, M, null],
];
const BASELINES = {
  empty: `SELECT count(i) FROM generate_series(1, ${N}) i`,
  jsonb: `SELECT count(${JSONB}) FROM generate_series(1, ${N}) i`,
  docs: `SELECT count(ints) + count(strs) FROM b_docs, generate_series(1, ${M})`,
  empty100: `SELECT count(i) FROM generate_series(1, ${N / 100}) i`,
};

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime
}

/** CPU µs of one statement in a warmed-up backend; null if it fails. */
async function cpu(dburl, sql) {
  const c = new pg.Client({ connectionString: dburl });
  await c.connect();
  try {
    const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    await c.query('SELECT b_id(1)');
    const before = cpuTicks(pid);
    try {
      await c.query(sql);
    } catch {
      return null;
    }
    return (cpuTicks(pid) - before) * TICK;
  } finally {
    await c.end();
  }
}

const admin = withDb(url, 'postgres');
let exts = process.argv.slice(3);
if (exts.length === 0) {
  const r = await q(
    admin,
    "SELECT name FROM pg_available_extensions WHERE name IN ('plv8', 'plv8_compat') ORDER BY name",
  );
  exts = [r.rows[0]?.name ?? 'plv8_compat'];
}
const dbs = {};
try {
  for (const ext of exts) {
    const db = `plv8_bench_${ext}_${process.pid}`;
    await q(admin, `CREATE DATABASE ${db}`);
    dbs[ext] = withDb(url, db);
    await q(dbs[ext], `CREATE EXTENSION ${ext}; ${SETUP}`);
  }
  const best = {};
  const keep = (ext, name, v) => {
    best[ext] ??= {};
    if (v !== null && (best[ext][name] === undefined || v < best[ext][name])) best[ext][name] = v;
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (const ext of exts) {
      for (const [name, sql] of Object.entries(BASELINES))
        keep(ext, name, await cpu(dbs[ext], sql));
      for (const [name, sql] of MEASURES) keep(ext, name, await cpu(dbs[ext], sql));
    }
  }
  const pad = Math.max(...MEASURES.map(([n]) => n.length)) + 2;
  console.log(
    `µs per call (backend CPU, best of ${ROUNDS})`.padEnd(pad) +
      exts.map((e) => e.padStart(14)).join(''),
  );
  for (const [name, , calls, base] of MEASURES) {
    const cells = exts.map((ext) => {
      const v = best[ext][name];
      if (v === undefined) return 'n/a'.padStart(14);
      const b = base ? (best[ext][base] ?? 0) : 0;
      return ((v - b) / calls).toFixed(2).padStart(14);
    });
    console.log(name.padEnd(pad) + cells.join(''));
  }
} finally {
  for (const db of Object.values(dbs)) {
    await q(admin, `DROP DATABASE IF EXISTS ${new URL(db).pathname.slice(1)} WITH (FORCE)`).catch(
      () => {},
    );
  }
}
