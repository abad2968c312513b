/**
 * Parse benchmark: parseScript over the detector's corpus (test/detector/corpus:
 * the hand-written histories in every ORM style and the generated ones, about
 * 4,300 statements), each history parsed on its own as the registry parses one
 * intent, repeated. Returns plain figures for `npm run bench`:
 *
 *   import { measureParse } from './parse.js';
 *   const r = await measureParse();   // { medianStatementsPerSecond, p95StatementsPerSecond, msPerMiB, ... }
 *
 * `parse` may be another parseScript (an older build) to compare on the same input.
 */
import { parseScript } from '../src/detector/index.js';
import { corpus } from '../test/detector/corpus/index.js';

export interface ParseFigures {
  /** Statements in one pass over the corpus, and its size. */
  statements: number;
  bytes: number;
  rounds: number;
  /** Throughput of the median round. */
  medianStatementsPerSecond: number;
  /** Throughput that 95% of the rounds reached (the 95th percentile of round times). */
  p95StatementsPerSecond: number;
  /** Median milliseconds per MiB of SQL. */
  msPerMiB: number;
  medianRoundMs: number;
}

export interface MeasureOptions {
  /** Timed rounds (each one pass over the corpus); 30 unless told. */
  rounds?: number;
  /** Untimed rounds first; 5 unless told. */
  warmup?: number;
  parse?: (sql: string) => { statements: unknown[] };
}

export async function measureParse(options: MeasureOptions = {}): Promise<ParseFigures> {
  const parse = options.parse ?? ((sql: string) => parseScript(sql));
  const rounds = options.rounds ?? 30;
  const scripts = corpus().map((h) => h.sql);
  let statements = 0;
  let bytes = 0;
  for (const s of scripts) {
    statements += parse(s).statements.length;
    bytes += new TextEncoder().encode(s).length;
  }
  const pass = () => {
    for (const s of scripts) parse(s);
  };
  for (let i = 0; i < (options.warmup ?? 5); i++) pass();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    pass();
    times.push(performance.now() - t0);
    // let the event loop (and a concurrent benchmark's I/O) breathe
    await new Promise((r) => setTimeout(r, 0));
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  const median = at(0.5);
  const p95 = at(0.95);
  return {
    statements,
    bytes,
    rounds,
    medianStatementsPerSecond: Math.round(statements / (median / 1000)),
    p95StatementsPerSecond: Math.round(statements / (p95 / 1000)),
    msPerMiB: Number((median / (bytes / (1 << 20))).toFixed(1)),
    medianRoundMs: Number(median.toFixed(2)),
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(`${JSON.stringify(await measureParse(), null, 2)}\n`);
}
