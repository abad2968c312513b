/**
 * Reading at the largest size (10k): one 100-row page of pggit_list_intents
 * (the first, and one from the middle through `after`) against a `SELECT 1`
 * round trip, interleaved; the whole list paged through (1000 a page); and
 * the view pggit_intents against a plain jsonb_agg(to_jsonb(i.*)) of the
 * table. Every result travels to the client; the view and the aggregate
 * arrive as text (no JSON.parse in Node on either side).
 */
import type pg from 'pg';
import type { Context } from '../context.js';
import { connect } from '../db.js';
import { interleave, type Recorder } from '../stats.js';
import { figure, type SectionResult, target } from '../types.js';
import { fmtN } from './register.js';

const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export async function benchList(ctx: Context): Promise<SectionResult> {
  const { mode } = ctx;
  const n = Math.max(...mode.sizes);
  const db = await ctx.populated(n);
  const c = await connect(db.url);
  try {
    const ids = (
      await c.query<{ id: string }>('SELECT id FROM pggit.tb_pggit_intent ORDER BY seq DESC')
    ).rows.map((r) => r.id);
    const middle = ids[Math.floor(ids.length / 2)]!;
    let pageRows = 0;
    let wholeRows = 0;
    const pages = await interleave(
      [
        {
          name: 'select 1',
          run: async (_, r) => void (await r.time('select 1', () => c.query('SELECT 1'))),
        },
        {
          name: 'first page',
          run: async (_, r) => {
            const res = await r.time('first page', () =>
              c.query<{ p: unknown[] }>('SELECT pggit_list_intents() AS p'),
            );
            pageRows = res.rows[0]!.p.length;
          },
        },
        {
          // what PostgreSQL alone spends on the same 100 rows' summary
          // columns as jsonb (no counts, no function): the floor of the page
          name: 'plain page',
          run: async (_, r) =>
            void (await r.time('plain page', () =>
              c.query(`SELECT jsonb_agg(to_jsonb(i.*) ORDER BY i.seq DESC) AS p
                         FROM (SELECT seq, id, agent_id, feature_name, feature_key, branch_name, status,
                                      risk_level, estimated_duration_ms, tables_affected, metadata,
                                      lease_seconds, lease_expires_at, applied_at, created_at, updated_at
                                 FROM pggit.tb_pggit_intent ORDER BY seq DESC LIMIT 100) i`),
            )),
        },
        {
          name: 'middle page',
          run: async (_, r) =>
            void (await r.time('middle page', () =>
              c.query('SELECT pggit_list_intents("limit" => 100, after => $1) AS p', [middle]),
            )),
        },
      ],
      mode.listRounds,
      mode.warmup,
    );
    const whole = async (r: Recorder) => {
      await r.time('whole list', async () => {
        let after: string | null = null;
        wholeRows = 0;
        for (;;) {
          const res: pg.QueryResult<{ p: { id: string }[] }> = await c.query(
            'SELECT pggit_list_intents("limit" => 1000, after => $1) AS p',
            [after],
          );
          const page: { id: string }[] = res.rows[0]!.p;
          wholeRows += page.length;
          if (page.length < 1000) break;
          after = page[page.length - 1]!.id;
        }
      });
    };
    let viewBytes = 0;
    let tableBytes = 0;
    const reads = await interleave(
      [
        {
          name: 'view',
          run: async (_, r) => {
            const res = await r.time('view', () =>
              c.query<{ j: string }>({
                text: 'SELECT jsonb_agg(to_jsonb(v.*)) AS j FROM pggit_intents v',
                types: RAW,
              }),
            );
            viewBytes = res.rows[0]!.j.length;
          },
        },
        {
          name: 'table',
          run: async (_, r) => {
            const res = await r.time('table', () =>
              c.query<{ j: string }>({
                text: 'SELECT jsonb_agg(to_jsonb(i.*)) AS j FROM pggit.tb_pggit_intent i',
                types: RAW,
              }),
            );
            tableBytes = res.rows[0]!.j.length;
          },
        },
        { name: 'whole list', run: async (_, r) => whole(r) },
      ],
      mode.viewRounds,
      1,
    );
    const rows = ids.length;
    const one = { label: 'SELECT 1 round trip', stat: pages.stat('select 1') };
    const first = {
      label: `pggit_list_intents(), first page of ${pageRows}`,
      stat: pages.stat('first page'),
    };
    const plain = {
      label: 'the same 100 rows’ summary columns as plain jsonb_agg(to_jsonb(…))',
      stat: pages.stat('plain page'),
    };
    const mid = {
      label: 'pggit_list_intents, a page of 100 from the middle (after)',
      stat: pages.stat('middle page'),
    };
    const view = {
      label: `pggit_intents (the view), jsonb_agg of ${rows} rows`,
      stat: reads.stat('view'),
    };
    const table = {
      label: `jsonb_agg(to_jsonb(i.*)) of tb_pggit_intent, ${rows} rows`,
      stat: reads.stat('table'),
    };
    const wholeList = {
      label: `the whole list, ${wholeRows} intents in pages of 1000`,
      stat: reads.stat('whole list'),
    };
    return {
      id: 'list',
      title: `Reading at ${fmtN(n)}`,
      status: 'ok',
      method: `${mode.listRounds} interleaved rounds of SELECT 1, two pages and the same first 100 rows' summary columns as plain jsonb; ${mode.viewRounds} rounds of the view, the plain aggregate and the whole list. The table holds ${rows} intents (${n} active, the rest the abandoned measured ones).`,
      figures: [
        figure(one.label, one.stat),
        figure(first.label, first.stat),
        figure(plain.label, plain.stat),
        {
          name: 'same run: first page / the same summary columns as plain jsonb',
          unit: '×',
          median: first.stat.median / plain.stat.median,
          p95: first.stat.p95 / plain.stat.p95,
          n: first.stat.n,
        },
        {
          name: 'same run: plain jsonb of 100 rows / SELECT 1',
          unit: '×',
          median: plain.stat.median / one.stat.median,
          p95: plain.stat.p95 / one.stat.p95,
          n: plain.stat.n,
        },
        figure(mid.label, mid.stat),
        figure(view.label, view.stat, 'ms', `${(viewBytes / 1e6).toFixed(1)} MB of JSON`),
        figure(table.label, table.stat, 'ms', `${(tableBytes / 1e6).toFixed(1)} MB of JSON`),
        figure(wholeList.label, wholeList.stat),
      ],
      targets: [
        target(
          `one 100-row page of pggit_list_intents at ${fmtN(n)} ≤ 10× SELECT 1`,
          first,
          one,
          '<=',
          10,
          {
            today: 'whole list 2.7 s',
          },
        ),
        target(
          `the view pggit_intents at ${fmtN(n)} ≤ 2× jsonb_agg of the table`,
          view,
          table,
          '<=',
          2,
        ),
      ],
      notes: [],
      references: [
        {
          name: `list at ${fmtN(n)}`,
          reference: n === 10_000 ? '318 ms (whole list)' : '318 ms (whole list at 10k)',
          ours: figure(wholeList.label, wholeList.stat),
        },
      ],
    };
  } finally {
    await c.end();
  }
}
