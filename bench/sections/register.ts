/**
 * Registration on issue 9's workload, at each size (100 / 1k / 10k active
 * intents), against its floor: a bare INSERT (autocommit: INSERT + commit)
 * of a same-shaped row into a plain copy of tb_pggit_intent with no trigger,
 * holding the same rows. All sizes are measured in the same rounds, each
 * round one floor insert, one workload registration (a table drawn among the
 * n, so it meets the intents there) and one with no conflict possible (fresh
 * tables) per size, the order rotated. Each measured intent is abandoned
 * afterwards (untimed), so the number of active intents stays n.
 */
import type pg from 'pg';
import type { Context } from '../context.js';
import { connect } from '../db.js';
import { interleave, type Op, stat } from '../stats.js';
import { figure, type SectionResult, type Target, target } from '../types.js';
import { FLOOR_INSERT, floorRows, newcomers, type RegisterResult, register } from '../workload.js';

export const fmtN = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** The reference's register p50 (Confiture, same machine kind, PostgreSQL 15). */
const REFERENCE_REGISTER: Record<number, string> = {
  100: '5.8 ms',
  1000: '43 ms',
  10000: '544 ms',
};

export async function benchRegister(ctx: Context): Promise<SectionResult> {
  const { mode } = ctx;
  const total = mode.warmup + mode.registerRounds;
  const clients: pg.Client[] = [];
  const conflicts = new Map<number, number[]>();
  const fresh = new Map<number, number[]>();
  try {
    const ops: Op[] = [];
    for (const n of mode.sizes) {
      const db = await ctx.populated(n);
      const c = await connect(db.url);
      clients.push(c);
      await c.query("SELECT pggit_parse('SELECT 1')"); // PLV8 started, bundle loaded
      const rows = await floorRows(c, total);
      const workload = newcomers(n, total, 'workload');
      const none = newcomers(n, total, 'fresh');
      conflicts.set(n, []);
      fresh.set(n, []);
      const abandon = (r: RegisterResult) =>
        c.query("SELECT pggit_mark_abandoned(intent_id => $1, reason => 'bench: measured')", [
          r.intent.id,
        ]);
      ops.push(
        {
          name: `floor ${n}`,
          run: async (round, rec) => {
            await rec.time(`floor ${n}`, () => c.query(FLOOR_INSERT, rows[round]));
          },
        },
        {
          name: `register ${n}`,
          run: async (round, rec) => {
            const r = await rec.time(`register ${n}`, () => register(c, workload[round]!));
            if (rec.keep) conflicts.get(n)!.push(r.conflicts_recorded);
            await abandon(r);
          },
        },
        {
          name: `register fresh ${n}`,
          run: async (round, rec) => {
            const r = await rec.time(`register fresh ${n}`, () => register(c, none[round]!));
            if (rec.keep) fresh.get(n)!.push(r.conflicts_recorded);
            await abandon(r);
          },
        },
      );
    }
    ctx.log(`register: ${mode.registerRounds} rounds of ${ops.length} operations`);
    const rec = await interleave(ops, mode.registerRounds, mode.warmup);

    const figures = [];
    const targets: Target[] = [];
    for (const n of mode.sizes) {
      const floor = {
        label: `INSERT + commit, plain table (${fmtN(n)})`,
        stat: rec.stat(`floor ${n}`),
      };
      const reg = {
        label: `pggit_register, workload (${fmtN(n)})`,
        stat: rec.stat(`register ${n}`),
      };
      const none = {
        label: `pggit_register, no conflict (${fmtN(n)})`,
        stat: rec.stat(`register fresh ${n}`),
      };
      const cs = conflicts.get(n)!;
      const met = cs.filter((x) => x > 0).length;
      figures.push(
        figure(floor.label, floor.stat),
        figure(
          reg.label,
          reg.stat,
          'ms',
          `${met} of ${cs.length} met a conflict; conflicts per registration: median ${stat(cs).median}, p95 ${stat(cs).p95}`,
        ),
        figure(
          none.label,
          none.stat,
          'ms',
          `conflicts recorded: ${fresh.get(n)!.reduce((a, b) => a + b, 0)}`,
        ),
      );
      targets.push(
        target(`register p50 ≤ 3× floor, workload at ${fmtN(n)}`, reg, floor, '<=', 3, {
          today: '13–17×',
        }),
        target(`register p50, no conflict, ≤ 2× floor at ${fmtN(n)}`, none, floor, '<=', 2, {
          today: 'not measured',
        }),
      );
    }
    const lo = Math.min(...mode.sizes);
    const hi = Math.max(...mode.sizes);
    targets.push(
      target(
        `register p50 at ${fmtN(hi)} / at ${fmtN(lo)} ≤ 1.2×`,
        { label: `pggit_register, workload (${fmtN(hi)})`, stat: rec.stat(`register ${hi}`) },
        { label: `pggit_register, workload (${fmtN(lo)})`, stat: rec.stat(`register ${lo}`) },
        '<=',
        1.2,
        { today: '1.05×' },
      ),
    );
    return {
      id: 'register',
      title: 'Registration on the workload',
      status: 'ok',
      method: `${mode.registerRounds} interleaved rounds (after ${mode.warmup} warm-up rounds); each round, per size: one floor INSERT, one workload registration (a table among the n), one registration on fresh tables; each measured intent abandoned afterwards (untimed) so that n stay active.`,
      figures,
      targets,
      notes: [],
      references: mode.sizes.map((n) => ({
        name: `register p50 at ${fmtN(n)} active intents`,
        reference: REFERENCE_REGISTER[n] ?? '—',
        ours: figure(`pggit_register, workload (${fmtN(n)})`, rec.stat(`register ${n}`)),
      })),
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
