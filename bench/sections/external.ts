/**
 * Sections measured by modules of their own, included when they are there:
 *   bench/cli.ts    exports benchCli():     CLI start-up against `node -e 0`
 *   bench/parse.ts  exports measureParse(): parse speed of a corpus in Node
 * A module that is missing is reported as "not measured: module missing"; one
 * that is there but fails is an error like any other section's.
 *
 * Their figures come back in whatever shape the module chose: a SectionResult
 * (figures, targets) is taken as it is; anything else is read generically,
 * every { median_ms, p95_ms } object a figure (with its median_ratio /
 * p95_ratio beside it when there), every other number a figure of its own.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.js';
import type { Figure, Reference, SectionResult, Target } from '../types.js';

interface External {
  id: string;
  title: string;
  file: string;
  exportName: string;
  options: (ctx: Context) => Promise<Record<string, unknown>>;
  /** The reference's figures to show beside the module's own, when it gives them. */
  references?: (figures: Figure[]) => Reference[];
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const unitOf = (key: string) => (/_ms$|^ms$/.test(key) ? 'ms' : /ratio/.test(key) ? '×' : '');

/** Figures from a module's result, whatever its shape. */
export function readFigures(result: unknown): {
  figures: Figure[];
  targets: Target[];
  notes: string[];
} {
  if (isObject(result) && Array.isArray(result.figures)) {
    return {
      figures: result.figures as Figure[],
      targets: Array.isArray(result.targets) ? (result.targets as Target[]) : [],
      notes: Array.isArray(result.notes) ? (result.notes as string[]) : [],
    };
  }
  const figures: Figure[] = [];
  const notes: string[] = [];
  const walk = (x: unknown, path: string) => {
    if (typeof x === 'number') {
      figures.push({ name: path, unit: unitOf(path.split('.').pop() ?? ''), median: x, p95: null });
    } else if (isObject(x)) {
      const rest = { ...x };
      if (typeof x.median_ms === 'number') {
        figures.push({
          name: path,
          unit: 'ms',
          median: x.median_ms,
          p95: typeof x.p95_ms === 'number' ? x.p95_ms : null,
        });
        delete rest.median_ms;
        delete rest.p95_ms;
        if (typeof x.median_ratio === 'number') {
          figures.push({
            name: `${path} (ratio)`,
            unit: '×',
            median: x.median_ratio,
            p95: typeof x.p95_ratio === 'number' ? x.p95_ratio : null,
          });
          delete rest.median_ratio;
          delete rest.p95_ratio;
        }
      }
      for (const [k, v] of Object.entries(rest)) walk(v, path === '' ? k : `${path}.${k}`);
    } else if (x !== undefined && x !== null) {
      notes.push(`${path}: ${JSON.stringify(x).slice(0, 300)}`);
    }
  };
  walk(result, '');
  return { figures, targets: [], notes };
}

async function runExternal(ctx: Context, e: External): Promise<SectionResult> {
  const path = fileURLToPath(new URL(`../${e.file}`, import.meta.url));
  const base = { id: e.id, title: e.title, figures: [], targets: [], notes: [] };
  if (!existsSync(path)) {
    return {
      ...base,
      status: 'not measured',
      reason: `not measured: module missing (bench/${e.file})`,
    };
  }
  // a variable specifier: the module need not exist for the harness to type-check
  const specifier = `../${e.file.replace(/\.ts$/, '.js')}`;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const fn = mod[e.exportName];
  if (typeof fn !== 'function')
    throw new Error(`bench/${e.file} does not export ${e.exportName}()`);
  const result: unknown = await (fn as (o: unknown) => Promise<unknown>)(await e.options(ctx));
  return {
    ...base,
    status: 'ok',
    ...readFigures(result),
    data: result,
    method: `bench/${e.file}, ${e.exportName}()`,
  };
}

export const benchCliSection = (ctx: Context) =>
  runExternal(ctx, {
    id: 'cli',
    title: 'CLI (bench/cli.ts)',
    file: 'cli.ts',
    exportName: 'benchCli',
    options: async (c) => ({
      databaseUrl: await c.server.clone('cli'),
      runs: c.mode.cliRuns,
      smoke: c.mode.smoke,
      // the smoke pass only checks that it runs: a dist/ already built will do
      build:
        !c.mode.smoke ||
        !existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))),
    }),
  });

export const benchParseNodeSection = (ctx: Context) =>
  runExternal(ctx, {
    id: 'parse-node',
    title: 'Parsing in Node (bench/parse.ts)',
    file: 'parse.ts',
    exportName: 'measureParse',
    options: async (c) => ({ smoke: c.mode.smoke, repeats: c.mode.parseRounds }),
  });
