/**
 * The hot table: H intents of H agents on one table (each adds a column, an
 * index and a check constraint on `users`), against H alike on disjoint
 * tables (`users_0` .. `users_{H-1}`), in one database.
 *
 * Loading: the two sets are registered alternately on one connection (hot i,
 * then disjoint i, the order swapped every other i); the figure is each
 * set's total, over `hotLoads` loads into fresh databases. After each load
 * the conflicts it recorded are stored again by plain SQL: the floor below
 * which no implementation that keeps them as rows can go. Then pggit_check
 * of a newcomer of the same shape on `users` (H candidates) against one on
 * `users_0` (one candidate), interleaved.
 */
import type pg from 'pg';
import type { Context } from '../context.js';
import { connect } from '../db.js';
import { interleave, median, type Op, Recorder, type Stat, stat, sum } from '../stats.js';
import { type Figure, figure, type SectionResult, target } from '../types.js';
import { type Job, register } from '../workload.js';

const script = (table: string, col: string) =>
  `ALTER TABLE ${table} ADD COLUMN ${col} integer;
CREATE INDEX ${table}_${col}_idx ON ${table} (${col});
ALTER TABLE ${table} ADD CONSTRAINT ${table}_${col}_check CHECK (${col} > 0);`;

const hotJob = (i: number): Job => ({
  agent: `hot-agent-${i}`,
  feature: `hot users ${i}`,
  script: script('users', `c_${i}`),
});
const disjointJob = (i: number): Job => ({
  agent: `disjoint-agent-${i}`,
  feature: `disjoint users ${i}`,
  script: script(`users_${i}`, `c_${i}`),
});

/** pggit_check as called by default: it lists up to max_conflicts (100) conflicts and counts all. */
const CHECK_SQL = `SELECT (r ->> 'conflicts_detected')::int AS n, jsonb_array_length(r -> 'conflicts') AS listed
     FROM pggit_check(agent_id => $1, feature_name => $2, schema_changes => $3) AS r`;
/** The same, listing every conflict (max_conflicts => NULL): no target, beside it. */
const CHECK_ALL_SQL = `SELECT (r ->> 'conflicts_detected')::int AS n, jsonb_array_length(r -> 'conflicts') AS listed
     FROM pggit_check(agent_id => $1, feature_name => $2, schema_changes => $3, max_conflicts => NULL) AS r`;

/**
 * The hot check's floor: the conflicts of the last hot intent (one with every
 * other hot intent, as the newcomer's are), already stored with their advice,
 * read back as the check's result by plain SQL (the same keys, one jsonb), by
 * the same kind of statement. No parsing, detection, advice or JS: only what
 * returning that many conflicts as jsonb costs.
 */
const CHECK_FLOOR_SQL = `SELECT (jsonb_build_object('conflicts_detected', count(*),
          'conflicts', jsonb_agg(jsonb_build_object(
            'intent_a', NULL, 'intent_b', c.intent_b, 'conflict_type', c.conflict_type,
            'severity', c.severity, 'affected_objects', c.affected_objects,
            'resolution_suggestions', c.resolution_suggestions, 'with_agent', i.agent_id,
            'with_feature', i.feature_name, 'with_status', i.status) ORDER BY c.id))
          ->> 'conflicts_detected')::int AS n
     FROM pggit.tb_pggit_conflict c JOIN pggit.tb_pggit_intent i ON i.id = c.intent_b
    WHERE c.intent_a = $1::text`;

/**
 * The hot check's other floor: the check's own result, built once and kept
 * in the backend's JS context, returned again as jsonb by a plv8 function of
 * the same kind of statement. No SPI, detection or advice: only what handing
 * that many conflicts from JS to PostgreSQL costs (on this machine's PLV8
 * runtime). Created in the bench's database only, with the drift guard off.
 */
async function createReturnedFloor(c: pg.Client, result: string): Promise<void> {
  await c.query("SET pggit.drift_mode = 'off'");
  await c.query(`CREATE FUNCTION public.bench_check_returned(result text) RETURNS jsonb
      LANGUAGE plv8 VOLATILE AS $js$
        if (result === null) return globalThis.benchCheckResult;
        const parsed = JSON.parse(result);
        if (parsed.conflicts_detected > 0) globalThis.benchCheckResult = parsed;
        return parsed;
      $js$`);
  await c.query(`CREATE FUNCTION public.bench_heap() RETURNS jsonb
      LANGUAGE plv8 VOLATILE AS $js$ return plv8.memory_usage(); $js$`);
  await c.query('RESET pggit.drift_mode');
  await c.query('SELECT public.bench_check_returned($1::text) IS NOT NULL', [result]);
}

/**
 * A larger young generation: the same checks on a connection whose V8
 * starts with plv8.memory_limit = 512MB (a superuser setting, as in real
 * PLV8, which sizes its heap from it as plv8_compat does). V8 gives a heap of
 * 256 MB (the default) a semi-space of about 1 MB and one of 512 MB four
 * times that: a hot check builds a result of hundreds of KB, which every
 * scavenge copies while it is being built.
 */
export const TUNED_MEMORY_LIMIT = '512MB';

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

/** The JS heap of a backend (plv8.memory_usage()), in bytes. */
const HEAP_SQL = `SELECT (public.bench_heap() ->> 'total_heap_size')::float8 AS b`;

const RETURNED_FLOOR_SQL = `SELECT (public.bench_check_returned(NULL) ->> 'conflicts_detected')::int AS n`;
/** The same call returning a small object: what the call itself costs, beside the hand-over. */
const RETURNED_SMALL_SQL = `SELECT (public.bench_check_returned('{"conflicts_detected": 0}') ->> 'conflicts_detected')::int AS n`;

/** a ÷ b, median by median and p95 by p95, as a figure (the caller names it). */
const ratioOf = (a: Stat, b: Stat) => ({
  unit: '×',
  median: a.median / b.median,
  p95: a.p95 / b.p95,
  n: a.n,
});

/** (hot − disjoint) / extra conflicts, in µs: what one more conflict costs. */
function perConflict(name: string, hot: Stat, disjoint: Stat, extra: number): Figure {
  const each = (a: number, b: number) => (extra > 0 ? ((a - b) * 1000) / extra : Number.NaN);
  return {
    name,
    unit: 'µs',
    median: each(hot.median, disjoint.median),
    p95: each(hot.p95, disjoint.p95),
    n: hot.n,
    note: `(hot − disjoint) ÷ ${extra} conflicts`,
  };
}

/**
 * The storage floor of the hot load: the conflict rows it recorded, copied
 * by plain SQL into a table of the same columns, constraints, indexes and
 * foreign keys, one INSERT ... SELECT per hot intent in registration order
 * (as the load wrote them: one statement per registration, each its own
 * transaction). No detection, advice, JS or API: only what storing the
 * rows costs. `recorded` is how many conflicts the hot registrations
 * returned; the copy must hold exactly those. Returns the total in ms.
 */
async function storeRowsAlone(c: pg.Client, recorded: number): Promise<number> {
  // the drift guard would report the scratch table: it is no one's change
  await c.query("SET pggit.drift_mode = 'off'");
  await c.query(`CREATE TABLE bench_conflict_rows
      (LIKE pggit.tb_pggit_conflict INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
  await c.query(`ALTER TABLE bench_conflict_rows
      ADD FOREIGN KEY (intent_a) REFERENCES pggit.tb_pggit_intent (id),
      ADD FOREIGN KEY (intent_b) REFERENCES pggit.tb_pggit_intent (id),
      ADD FOREIGN KEY (severity_rule) REFERENCES pggit.tb_pggit_rule (id)`);
  const ids = await c.query<{ id: string }>(
    "SELECT id FROM pggit.tb_pggit_intent WHERE agent_id LIKE 'hot-agent-%' ORDER BY seq",
  );
  let total = 0;
  for (const { id } of ids.rows) {
    const t0 = performance.now();
    await c.query(
      'INSERT INTO bench_conflict_rows SELECT * FROM pggit.tb_pggit_conflict WHERE intent_a = $1 ORDER BY id',
      [id],
    );
    total += performance.now() - t0;
  }
  // every conflict the hot registrations returned, no more and no fewer
  const copied = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_conflict_rows');
  if (copied.rows[0]!.n !== recorded) {
    throw new Error(`storage floor copied ${copied.rows[0]!.n} rows of ${recorded}`);
  }
  await c.query('DROP TABLE bench_conflict_rows');
  await c.query('RESET pggit.drift_mode');
  return total;
}

export async function benchHot(ctx: Context): Promise<SectionResult> {
  const { mode, server } = ctx;
  const h = mode.hotIntents;
  const per = new Recorder();
  const totals = { hot: [] as number[], disjoint: [] as number[], rows: [] as number[] };
  let c: pg.Client | undefined;
  let tuned: pg.Client | undefined;
  let lastUrl = '';
  let conflictsHot = 0;
  try {
    for (let load = 0; load < mode.hotLoads; load++) {
      if (c !== undefined) {
        await c.end();
        c = undefined;
        await server.drop(`${server.prefix}hot${load - 1}`);
      }
      const url = await server.clone(`hot${load}`);
      lastUrl = url;
      c = await connect(url);
      const cc = c;
      await cc.query("SELECT pggit_parse('SELECT 1')");
      ctx.log(`hot table: load ${load + 1} of ${mode.hotLoads} (${h} + ${h} intents)`);
      const hot: number[] = [];
      const disjoint: number[] = [];
      conflictsHot = 0;
      for (let i = 0; i < h; i++) {
        const pair = [
          async () => {
            const t0 = performance.now();
            conflictsHot += (await register(cc, hotJob(i))).conflicts_recorded;
            hot.push(performance.now() - t0);
          },
          async () => {
            const t0 = performance.now();
            await register(cc, disjointJob(i));
            disjoint.push(performance.now() - t0);
          },
        ];
        if (i % 2 === 1) pair.reverse();
        for (const f of pair) await f();
      }
      for (const x of hot) per.add('load hot', x);
      for (const x of disjoint) per.add('load disjoint', x);
      totals.hot.push(sum(hot));
      totals.disjoint.push(sum(disjoint));
      totals.rows.push(await storeRowsAlone(cc, conflictsHot));
    }
    const cc = c!;
    await cc.query('VACUUM ANALYZE');
    const counts = {
      hot: 0,
      hotListed: 0,
      hotAll: 0,
      hotTuned: 0,
      disjoint: 0,
      floor: 0,
      returned: 0,
    };
    const lastHot = (
      await cc.query<{ id: string }>('SELECT id FROM pggit.tb_pggit_intent WHERE agent_id = $1', [
        hotJob(h - 1).agent,
      ])
    ).rows[0]!.id;
    const newcomer = (table: string, round: number) => [
      'hot-checker',
      `hot check ${round}`,
      script(table, `new_${round}`),
    ];
    // the JS floor's result: a hot check's own, every conflict listed, once, untimed
    const hotResult = await cc.query<{ r: string }>(
      'SELECT pggit_check(agent_id => $1, feature_name => $2, schema_changes => $3, max_conflicts => NULL)::text AS r',
      newcomer('users', -1),
    );
    await createReturnedFloor(cc, hotResult.rows[0]!.r);
    tuned = await connect(
      lastUrl,
      'pggit bench (tuned heap)',
      `-c plv8.memory_limit=${TUNED_MEMORY_LIMIT}`,
    );
    const tc = tuned;
    const limits = await tc.query<{ l: string }>(
      "SELECT current_setting('plv8.memory_limit') AS l",
    );
    if (limits.rows[0]!.l !== TUNED_MEMORY_LIMIT)
      throw new Error(`the tuned connection has plv8.memory_limit ${limits.rows[0]!.l}`);
    /** One newcomer's pggit_check on table, on connection k; `keep` gets the counts it reports. */
    const checkOp = (
      name: string,
      k: pg.Client,
      table: string,
      keep: (n: number, listed: number) => void = () => {},
      statement = CHECK_SQL,
    ): Op => ({
      name,
      run: async (round, r) => {
        const res = await r.time(name, () => k.query(statement, newcomer(table, round)));
        keep(res.rows[0].n, res.rows[0].listed);
      },
    });
    const rec = await interleave(
      [
        checkOp('check hot', cc, 'users', (n, listed) => {
          counts.hot = n;
          counts.hotListed = listed;
        }),
        checkOp(
          'check hot all',
          cc,
          'users',
          (n, listed) => {
            if (listed !== n) throw new Error(`max_conflicts => NULL listed ${listed} of ${n}`);
            counts.hotAll = n;
          },
          CHECK_ALL_SQL,
        ),
        checkOp('check disjoint', cc, 'users_0', (n) => {
          counts.disjoint = n;
        }),
        checkOp('check hot tuned', tc, 'users', (n) => {
          counts.hotTuned = n;
        }),
        checkOp('check disjoint tuned', tc, 'users_0'),
        {
          name: 'check floor',
          run: async (_, r) => {
            const res = await r.time('check floor', () => cc.query(CHECK_FLOOR_SQL, [lastHot]));
            counts.floor = res.rows[0].n;
          },
        },
        {
          name: 'check returned',
          run: async (_, r) => {
            const res = await r.time('check returned', () => cc.query(RETURNED_FLOOR_SQL));
            counts.returned = res.rows[0].n;
          },
        },
        {
          name: 'check returned small',
          run: async (_, r) => {
            await r.time('check returned small', () => cc.query(RETURNED_SMALL_SQL));
          },
        },
      ],
      mode.hotCheckRounds,
      mode.warmup,
    );
    if (counts.hotAll !== counts.hot)
      throw new Error(
        `the check listing all reported ${counts.hotAll} conflicts, the other ${counts.hot}`,
      );
    if (counts.hotTuned !== counts.hot)
      throw new Error(
        `the tuned check reported ${counts.hotTuned} conflicts, the other ${counts.hot}`,
      );
    const heap = async (k: pg.Client) => (await k.query<{ b: number }>(HEAP_SQL)).rows[0]!.b;
    const heaps = { plain: await heap(cc), tuned: await heap(tc) };
    // the size of each check's result, once, outside the timed rounds
    const bytes = async (table: string, max = '100') =>
      (
        await cc.query<{ b: number }>(
          `SELECT length(pggit_check(agent_id => $1, feature_name => $2, schema_changes => $3, max_conflicts => ${max})::text) AS b`,
          newcomer(table, mode.hotCheckRounds),
        )
      ).rows[0]!.b;
    const size = {
      hot: await bytes('users'),
      hotAll: await bytes('users', 'NULL'),
      disjoint: await bytes('users_0'),
    };
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
    const checkHot = {
      label: `pggit_check vs ${h} candidates on users`,
      stat: rec.stat('check hot'),
    };
    const checkDisjoint = {
      label: `pggit_check vs ${h} intents on disjoint tables`,
      stat: rec.stat('check disjoint'),
    };
    const checkAll = {
      label: `pggit_check vs ${h} candidates on users, every conflict listed (max_conflicts => NULL)`,
      stat: rec.stat('check hot all'),
    };
    // the disjoint check's work, plus handing over the hot result, minus the
    // call the two share: what a check with free comparisons would cost
    const jsFloorOf = (d: number, full: number, small: number) => (d + full - small) / d;
    const returned = rec.stat('check returned');
    const small = rec.stat('check returned small');
    const jsFloor = {
      unit: '×',
      median: jsFloorOf(checkDisjoint.stat.median, returned.median, small.median),
      p95: jsFloorOf(checkDisjoint.stat.p95, returned.p95, small.p95),
      n: returned.n,
    };
    const loadHot = { label: `loading ${h} hot-table intents (total)`, stat: stat(totals.hot) };
    const floors = totals.rows.map((x, i) => (totals.disjoint[i]! + x) / totals.disjoint[i]!);
    const loadDisjoint = {
      label: `loading ${h} disjoint intents (total)`,
      stat: stat(totals.disjoint),
    };
    return {
      id: 'hot',
      title: 'Hot table',
      status: 'ok',
      method: `${h} intents on users and ${h} on disjoint tables in one database, registered alternately on one connection (${mode.hotLoads} loads, each into a fresh database), after each load the conflicts it recorded stored again by plain SQL (the storage floor); then ${mode.hotCheckRounds} interleaved rounds of pggit_check of a newcomer of the same shape, on that connection and on a second one started with plv8.memory_limit = ${TUNED_MEMORY_LIMIT}.`,
      figures: [
        figure(
          checkHot.label,
          checkHot.stat,
          'ms',
          `as called by default: it counts ${counts.hot} conflicts and lists ${counts.hotListed} (max_conflicts, errors first); result ${kb(size.hot)}`,
        ),
        figure(
          checkDisjoint.label,
          checkDisjoint.stat,
          'ms',
          `conflicts it reports: ${counts.disjoint}; result ${kb(size.disjoint)}`,
        ),
        figure(
          checkAll.label,
          checkAll.stat,
          'ms',
          `all ${counts.hotAll} listed; result ${kb(size.hotAll)}`,
        ),
        {
          ...ratioOf(checkAll.stat, checkDisjoint.stat),
          name: 'every conflict listed: hot ÷ disjoint',
          note: 'no target: what a caller that asks for every conflict in one result pays',
        },
        figure(
          `reading the ${counts.floor} stored conflicts of one hot intent as the check's jsonb (plain SQL)`,
          rec.stat('check floor'),
          'ms',
          'its conflicts with every other hot intent, with their advice, as one jsonb of the same keys: no parsing, detection or JS',
        ),
        {
          ...ratioOf(rec.stat('check floor'), checkDisjoint.stat),
          name: 'floor of every conflict listed, by SQL: the stored conflicts read as jsonb ÷ the disjoint check',
          note: 'what listing them all would cost if pggit only read back conflicts it had already stored, by plain SQL',
        },
        figure(
          `returning a hot check's own result, every conflict listed (${counts.returned}), already built in the backend's JS, as jsonb`,
          rec.stat('check returned'),
          'ms',
          'a plv8 function that returns the object it keeps: no SPI, detection or advice, only the hand-over from JS to jsonb',
        ),
        figure(
          'the same function returning a small object',
          rec.stat('check returned small'),
          'ms',
          'the call alone, beside the hand-over',
        ),
        {
          ...jsFloor,
          name: 'floor of every conflict listed, from JS: (disjoint check + result returned − small object returned) ÷ disjoint check',
          note: 'what listing them all would cost if comparing the candidates and writing their advice cost nothing',
        },
        figure(
          `the same hot check, plv8.memory_limit = ${TUNED_MEMORY_LIMIT}`,
          rec.stat('check hot tuned'),
          'ms',
          `another connection, its V8 started with the larger heap (a young generation four times the default's); its JS heap after the rounds: ${mb(heaps.tuned)}, against ${mb(heaps.plain)} at the default`,
        ),
        figure(
          `the same disjoint check, plv8.memory_limit = ${TUNED_MEMORY_LIMIT}`,
          rec.stat('check disjoint tuned'),
        ),
        {
          ...ratioOf(rec.stat('check hot tuned'), rec.stat('check disjoint tuned')),
          name: `the check target's ratio at plv8.memory_limit = ${TUNED_MEMORY_LIMIT}: hot ÷ disjoint`,
          note: 'a setting of the database server (superuser), not of pggit: what a DBA who raises it gets',
        },
        perConflict(
          'pggit_check, every conflict listed: each further conflict',
          checkAll.stat,
          checkDisjoint.stat,
          counts.hotAll - counts.disjoint,
        ),
        figure(loadHot.label, loadHot.stat, 'ms', `conflicts recorded: ${conflictsHot}`),
        figure(loadDisjoint.label, loadDisjoint.stat),
        figure(
          `storing the ${conflictsHot} conflict rows alone (plain SQL, total)`,
          stat(totals.rows),
          'ms',
          'one INSERT … SELECT per hot intent into a copy of the conflict table: same constraints, indexes and foreign keys',
        ),
        figure(
          'floor of the loading target: (disjoint load + rows alone) ÷ disjoint load',
          stat(floors),
          '×',
          'what the ratio would be if pggit did nothing on the hot table but store its conflicts',
        ),
        perConflict(
          'loading: each conflict recorded',
          loadHot.stat,
          loadDisjoint.stat,
          conflictsHot,
        ),
        figure(`one hot-table registration (during the load)`, per.stat('load hot')),
        figure(`one disjoint registration (during the load)`, per.stat('load disjoint')),
      ],
      targets: [
        target(
          `hot table: pggit_check vs ${h} candidates on one table ≤ 3× disjoint`,
          checkHot,
          checkDisjoint,
          '<=',
          3,
          {
            today: '18×',
          },
        ),
        target(
          `loading ${h} hot-table intents ≤ 3× ${h} disjoint`,
          loadHot,
          loadDisjoint,
          '<=',
          3,
          {
            today: '29×',
          },
        ),
      ],
      notes: [
        `By default pggit_check lists at most ${counts.hotListed} conflicts (max_conflicts), errors first, and counts all ${counts.hot}: the target's figure. Listing every one costs ${ratioOf(checkAll.stat, checkDisjoint.stat).median.toFixed(2)}× the disjoint check; its floors: reading ${counts.floor} conflicts already stored, with their advice, as one jsonb by plain SQL takes ${rec.stat('check floor').median.toFixed(2)} ms; handing a hot check's own result, already built, from JS to jsonb takes ${rec.stat('check returned').median.toFixed(2)} ms; the same call returning a small object ${small.median.toFixed(2)} ms; the whole disjoint check ${checkDisjoint.stat.median.toFixed(2)} ms. A check listing them all does the disjoint check's work and hands over the larger result: ${jsFloor.median.toFixed(2)}× before it reads, compares or advises on a single one of the ${h} candidates.`,
        `The loading target's floor: the ${conflictsHot} conflicts the hot load records (every pair of the ${h} intents conflicts twice, on the table and on its constraints) cost, stored by plain SQL with nothing else, ${(median(totals.rows) / 1000).toFixed(2)} s; the ${h} disjoint registrations take ${(median(totals.disjoint) / 1000).toFixed(2)} s in all. Where the floor is above 3×, no implementation that records every conflict as a row of this table meets the target.`,
      ],
    };
  } finally {
    await tuned?.end();
    await c?.end();
  }
}
