/**
 * The drift guard's cost per DDL command: the same kind of statement
 * (CREATE TABLE of a new table, then its DROP) run with the guard off for the
 * session (the owner's override), with the guard on for DDL an active intent
 * of the agent declared (no finding), and on for undeclared DDL (a finding
 * recorded, a WARNING). Interleaved, each on a connection that has already
 * started PLV8, against the largest workload database.
 */
import type pg from 'pg';
import type { Context } from '../context.js';
import { connect } from '../db.js';
import { interleave } from '../stats.js';
import { figure, type SectionResult } from '../types.js';

export async function measureDriftGuard(ctx: Context): Promise<SectionResult> {
  const { mode } = ctx;
  const n = Math.max(...mode.sizes);
  const { url } = await ctx.populated(n);
  const c = await connect(url, 'pggit bench drift');
  try {
    const guard = (await c.query("SELECT (pggit_version()->>'drift_guard')::boolean AS on")).rows[0]
      .on as boolean;
    if (!guard) {
      return {
        id: 'drift',
        title: 'Drift guard',
        status: 'not measured',
        reason:
          'not measured: the bench database has no drift guard (installed without a superuser)',
        figures: [],
        targets: [],
        notes: [],
      };
    }
    c.on('notice', () => {}); // the undeclared case raises a WARNING each time
    // start PLV8 and load the bundle in this backend first
    await c.query("SELECT pggit_parse('SELECT 1')");
    const set = (key: string, value: string) =>
      c.query('SELECT set_config($1, $2, false)', [key, value]);
    await set('pggit.agent_id', 'bench-drift');
    let k = 0;
    const ddl = async (
      name: string,
      rec: { time: <T>(n: string, f: () => Promise<T>) => Promise<T> },
      prepare?: (table: string) => Promise<unknown>,
    ) => {
      const table = `bench_drift_${k++}`;
      await prepare?.(table);
      await rec.time(`${name} create`, () => c.query(`CREATE TABLE ${table} (id int, note text)`));
      await rec.time(`${name} drop`, () => c.query(`DROP TABLE ${table}`));
    };
    const rec = await interleave(
      [
        {
          name: 'off',
          run: async (_, rec) => {
            await set('pggit.drift_mode', 'off');
            await ddl('off', rec);
            await set('pggit.drift_mode', '');
          },
        },
        {
          name: 'declared',
          run: async (_, rec) =>
            ddl('declared', rec, (table) =>
              c.query('SELECT pggit_register($1, $2, $3)', [
                'bench-drift',
                `declares ${table}`,
                `CREATE TABLE ${table} (id int, note text); DROP TABLE ${table}`,
              ]),
            ),
        },
        { name: 'undeclared', run: async (_, rec) => ddl('undeclared', rec) },
      ],
      mode.smoke ? 3 : 60,
      mode.smoke ? 1 : 5,
    );
    const figures = ['create', 'drop'].flatMap((what) => [
      figure(`${what.toUpperCase()} TABLE, guard off`, rec.stat(`off ${what}`)),
      figure(`${what.toUpperCase()} TABLE, guard on, declared`, rec.stat(`declared ${what}`)),
      figure(
        `${what.toUpperCase()} TABLE, guard on, undeclared (finding)`,
        rec.stat(`undeclared ${what}`),
      ),
    ]);
    const perCommand = (name: string) => {
      const on = rec.stat(`${name} create`).median - rec.stat('off create').median;
      const onDrop = rec.stat(`${name} drop`).median - rec.stat('off drop').median;
      return (on + onDrop) / 2;
    };
    return {
      id: 'drift',
      title: 'Drift guard',
      status: 'ok',
      method: `interleaved rounds on one connection with PLV8 started, against the ${n}-intent database; each round a new table (CREATE, then DROP), the guard off (owner override), on for declared DDL, on for undeclared DDL`,
      figures: [
        ...figures,
        {
          name: 'drift guard cost per DDL command, declared (median, guard on − off)',
          unit: 'ms',
          median: perCommand('declared'),
          p95: Number.NaN,
          n: rec.stat('declared create').n,
        },
        {
          name: 'drift guard cost per DDL command, undeclared (median, guard on − off)',
          unit: 'ms',
          median: perCommand('undeclared'),
          p95: Number.NaN,
          n: rec.stat('undeclared create').n,
        },
      ],
      targets: [],
      notes: [
        "the issue sets no target: these are the figures it asks for (the guard parses the statement with the detector and compares it with the agent's active intents)",
      ],
    };
  } finally {
    await (c as pg.Client).end();
  }
}
