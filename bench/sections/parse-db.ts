/**
 * Parsing inside the database: pggit_parse of a realistic script (about 250
 * statements of Prisma, Drizzle, Django, pg_dump, Rails and hand-written
 * DDL), as statements per second, in rounds interleaved with two baselines:
 * shipping the same text to the server and back as a length (`SELECT
 * length($1)`: the round trip and the bytes), and parseScript in this Node
 * process (the same detector, without PLV8).
 */
import { parseScript } from '../../src/detector/index.js';
import type { Context } from '../context.js';
import { realisticScript } from '../corpus.js';
import { connect } from '../db.js';
import { interleave } from '../stats.js';
import { figure, type SectionResult } from '../types.js';

export async function benchParseDb(ctx: Context): Promise<SectionResult> {
  const { mode } = ctx;
  const script = realisticScript(250);
  const statements = parseScript(script).statements.length;
  const url = await ctx.server.clone('parse');
  const c = await connect(url);
  try {
    await c.query("SELECT pggit_parse('SELECT 1')");
    let inDb = 0;
    const rec = await interleave(
      [
        {
          name: 'pggit_parse',
          run: async (_, r) => {
            const res = await r.time('pggit_parse', () =>
              c.query<{ n: number }>(
                "SELECT jsonb_array_length(pggit_parse($1) -> 'statements') AS n",
                [script],
              ),
            );
            inDb = res.rows[0]!.n;
          },
        },
        {
          name: 'ship',
          run: async (_, r) =>
            void (await r.time('ship', () => c.query('SELECT length($1)', [script]))),
        },
        {
          name: 'node',
          run: async (_, r) => void (await r.time('node', () => parseScript(script))),
        },
      ],
      mode.parseRounds,
      mode.warmup,
    );
    if (inDb !== statements) {
      throw new Error(`pggit_parse found ${inDb} statements, parseScript in Node ${statements}`);
    }
    const parse = rec.stat('pggit_parse');
    const rate = (ms: number) => (statements * 1000) / ms;
    const ratio = (a: string, b: string, name: string) => {
      const x = rec.stat(a);
      const y = rec.stat(b);
      return { name, unit: '×', median: x.median / y.median, p95: x.p95 / y.p95, n: x.n };
    };
    return {
      id: 'parse-db',
      title: 'Parsing in the database',
      status: 'ok',
      method: `${mode.parseRounds} interleaved rounds on one warm connection; a script of ${statements} statements (${(script.length / 1024).toFixed(0)} KiB); the result's statement count is checked against parseScript's.`,
      figures: [
        figure(`pggit_parse of ${statements} statements`, parse),
        {
          name: 'pggit_parse, statements per second (p95 column: at the p95 time)',
          unit: 'stmt/s',
          median: rate(parse.median),
          p95: rate(parse.p95),
          n: parse.n,
        },
        figure('SELECT length($1) of the same text (round trip and bytes)', rec.stat('ship')),
        figure('parseScript of the same text in Node (no PLV8)', rec.stat('node')),
        ratio('pggit_parse', 'ship', 'pggit_parse / shipping the same text'),
        ratio('pggit_parse', 'node', 'pggit_parse / parseScript in Node'),
      ],
      targets: [],
      notes: [],
    };
  } finally {
    await c.end();
    await ctx.server.drop(`${ctx.server.prefix}parse`);
  }
}
