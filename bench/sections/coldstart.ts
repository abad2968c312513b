/**
 * A new connection's first calls, each on a connection of its own (the
 * connect itself is not timed), in interleaved rounds:
 *   - SELECT 1;
 *   - the first plv8 call of any kind (DO $$ 1 $$ LANGUAGE plv8): V8's start;
 *     then, on the same connection, pggit_parse: the bundle load alone;
 *   - the first pggit_parse: V8's start and the bundle load; then a second one;
 *   - the first pggit_list_intents (plain SQL, no PLV8).
 */
import type { Context } from '../context.js';
import { connect } from '../db.js';
import { interleave, type Op, type Recorder } from '../stats.js';
import { figure, type SectionResult, type Target, target } from '../types.js';

/** "first pggit call on a new connection: about 110 ms of bundle load" (issue 9's report). */
export const REPORTED_BUNDLE_LOAD_MS = 110;

const PARSE = "SELECT pggit_parse('ALTER TABLE users ADD COLUMN c integer')";

export async function benchColdStart(ctx: Context): Promise<SectionResult> {
  const { mode } = ctx;
  const n = Math.max(...mode.sizes);
  const { url } = await ctx.populated(n);
  // scripts/local-db.sh preloads plv8_compat into the postmaster: a backend
  // then inherits the library linked, and its V8 start is V8's own.
  const probe = await connect(url, 'pggit bench cold probe');
  const preload = await probe
    .query<{ p: string }>("SELECT current_setting('shared_preload_libraries') AS p")
    .then((r) => r.rows[0]!.p)
    .finally(() => probe.end());
  const preloaded = /\bplv8(_compat)?\b/.test(preload);
  const fresh = (
    name: string,
    body: (c: import('pg').Client, rec: Recorder) => Promise<void>,
  ): Op => ({
    name,
    run: async (_, rec) => {
      const c = await connect(url, `pggit bench cold ${name}`);
      try {
        await body(c, rec);
      } finally {
        await c.end();
      }
    },
  });
  const rec = await interleave(
    [
      fresh(
        'select 1',
        async (c, rec) => void (await rec.time('select 1', () => c.query('SELECT 1'))),
      ),
      fresh('plv8', async (c, rec) => {
        await rec.time('first plv8', () => c.query('DO $$ 1 $$ LANGUAGE plv8'));
        await rec.time('bundle after plv8', () => c.query(PARSE));
      }),
      fresh('parse', async (c, rec) => {
        await rec.time('first parse', () => c.query(PARSE));
        await rec.time('second parse', () => c.query(PARSE));
      }),
      fresh(
        'list',
        async (c, rec) =>
          void (await rec.time('first list', () => c.query('SELECT pggit_list_intents() AS p'))),
      ),
    ],
    mode.coldRounds,
    1,
  );
  const one = { label: 'new connection: SELECT 1', stat: rec.stat('select 1') };
  const first = {
    label: 'new connection: first pggit_parse (V8 start + bundle load)',
    stat: rec.stat('first parse'),
  };
  const list = {
    label: 'new connection: first pggit_list_intents (no PLV8)',
    stat: rec.stat('first list'),
  };
  const reported = {
    label: `${REPORTED_BUNDLE_LOAD_MS} ms: the bundle load as first measured (a figure from the report, not this run)`,
    stat: { median: REPORTED_BUNDLE_LOAD_MS, p95: REPORTED_BUNDLE_LOAD_MS, n: 1 },
  };
  const targets: Target[] = [
    target(
      `new-connection first call ≤ 0.5× the bundle load as first measured (${REPORTED_BUNDLE_LOAD_MS} ms, from the report)`,
      first,
      reported,
      '<=',
      0.5,
      {
        today: `about ${REPORTED_BUNDLE_LOAD_MS} ms of bundle load`,
        note: 'the one target against a fixed figure from the report rather than one of this run',
      },
    ),
  ];
  const ratio = (a: string, b: string) => {
    const x = rec.stat(a);
    const y = rec.stat(b);
    return {
      name: `${a} / ${b}`,
      unit: '×',
      median: x.median / y.median,
      p95: x.p95 / y.p95,
      n: x.n,
    };
  };
  return {
    id: 'cold',
    title: 'Cold start',
    status: 'ok',
    method: `${mode.coldRounds} interleaved rounds; each figure on a new connection of its own (connect not timed), against the ${n}-intent database. The PLV8 library ${preloaded ? `is preloaded into the postmaster (shared_preload_libraries = '${preload}')` : 'is not preloaded: each new backend loads and links it at its first PLV8 call'}.`,
    figures: [
      figure(one.label, one.stat),
      figure(
        'new connection: first plv8 call (DO $$ 1 $$ LANGUAGE plv8): V8 start',
        rec.stat('first plv8'),
      ),
      figure(
        'then the first pggit_parse on it: the bundle load alone',
        rec.stat('bundle after plv8'),
      ),
      figure(first.label, first.stat),
      figure('then a second pggit_parse (warm)', rec.stat('second parse')),
      figure(list.label, list.stat),
      {
        ...ratio('first parse', 'select 1'),
        name: 'same run: first pggit_parse / SELECT 1 (new connections)',
      },
      {
        ...ratio('first list', 'select 1'),
        name: 'same run: first pggit_list_intents / SELECT 1 (new connections)',
      },
      {
        name: `first pggit_list_intents / ${REPORTED_BUNDLE_LOAD_MS} ms (figure from the report)`,
        unit: '×',
        median: list.stat.median / REPORTED_BUNDLE_LOAD_MS,
        p95: list.stat.p95 / REPORTED_BUNDLE_LOAD_MS,
        n: list.stat.n,
      },
    ],
    targets,
    notes: [],
  };
}
