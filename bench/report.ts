/** latest.json and latest.md from the sections' results. */
import type { Meta } from './meta.js';
import type { Figure, SectionResult, Target } from './types.js';

export interface Results {
  meta: Meta;
  mode: unknown;
  sections: SectionResult[];
}

export function num(x: number | null | undefined, unit = ''): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (unit === '×') return `${x.toFixed(2)}×`;
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
  return unit === '' ? s : `${s} ${unit}`;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const bound = (t: Target) => (t.bound === null ? '—' : `${t.op === '<=' ? '≤' : '≥'} ${t.bound}×`);
const verdict = (t: Target) => (t.pass === null ? 'not measured' : t.pass ? 'pass' : '**FAIL**');

export const allTargets = (r: Results) => r.sections.flatMap((s) => s.targets);

function figureRow(f: Figure): string {
  return `| ${esc(f.name)} | ${num(f.median, f.unit)} | ${num(f.p95, f.unit)} | ${f.n ?? ''} | ${esc(f.note ?? '')} |`;
}

export function markdown(r: Results): string {
  const m = r.meta;
  const targets = allTargets(r);
  const count = (p: boolean | null) => targets.filter((t) => t.pass === p).length;
  const lines: string[] = [
    `# pggit benchmark (issue 9)${m.mode === 'smoke' ? ' — smoke pass (small N, few repeats: the figures mean nothing)' : ''}`,
    '',
    `${m.date} · commit \`${m.commit.slice(0, 12)}\`${m.dirty ? ' (with uncommitted changes)' : ''} on ${m.branch} · ${m.mode} run · ${num(m.seconds ?? null)} s`,
    '',
    '| machine | |',
    '|---|---|',
    `| cores | ${m.cores} (${esc(m.cpu)}) |`,
    `| memory | ${m.memory_gib} GiB |`,
    `| PostgreSQL | ${esc(m.postgres_version)} |`,
    `| PLV8 runtime | ${esc(m.runtime ?? 'none')}; plv8_version(): ${esc(m.plv8_version ?? 'not there')} |`,
    `| Node | ${m.node} (V8 ${m.node_v8}) |`,
    `| load average (1 min) | ${m.load_average_start[0]} at the start, ${m.load_average_end?.[0] ?? '—'} at the end |`,
    '',
    '## Targets',
    '',
    'Each target is a ratio of two figures of this run, measured in interleaved rounds (subject and baseline',
    'alternating, the order rotated every round): the ratio of the medians, and beside it the ratio of the p95s.',
    'Absolute times on this machine are noisy; the ratios are what is compared.',
    '',
    '| target | measured as | ratio (medians) | ratio (p95s) | target | today (as reported) | result |',
    '|---|---|---|---|---|---|---|',
    ...targets.map(
      (t) =>
        `| ${esc(t.name)} | ${t.subject ? esc(`${t.subject} ÷ ${t.baseline}`) : esc(t.note ?? '')} | ${num(t.value, '×')} | ${num(t.p95, '×')} | ${bound(t)} | ${esc(t.today ?? '')} | ${verdict(t)} |`,
    ),
    '',
    `${count(true)} pass, ${count(false)} fail, ${count(null)} not measured.`,
    '',
  ];
  const refs = r.sections.flatMap((s) => s.references ?? []);
  if (refs.length > 0) {
    lines.push(
      '## Beside the reference',
      '',
      "The reference's own figures (Confiture's Python module, same machine kind, PostgreSQL 15), as reported, beside",
      "pggit's absolute figures of this run (absolute: compare orders of magnitude, not digits).",
      '',
      '| figure | reference | pggit, this run: median | p95 |',
      '|---|---|---|---|',
      ...refs.map(
        (x) =>
          `| ${esc(x.name)} | ${esc(x.reference)} | ${x.ours ? num(x.ours.median, x.ours.unit) : 'not measured'} | ${x.ours ? num(x.ours.p95, x.ours.unit) : ''} |`,
      ),
      '',
    );
  }
  lines.push('## Sections', '');
  for (const s of r.sections) {
    const took = s.seconds !== undefined ? ` (${num(s.seconds)} s)` : '';
    lines.push(`### ${s.title}${took}`, '');
    if (s.load)
      lines.push(
        `Load average (1 min): ${num(s.load[0])} at the start, ${num(s.load[1])} at the end.`,
        '',
      );
    if (s.status !== 'ok')
      lines.push(`${s.status === 'error' ? '**error**: ' : ''}${esc(s.reason ?? s.status)}`, '');
    if (s.method) lines.push(s.method, '');
    if (s.figures.length > 0) {
      lines.push(
        '| figure | median | p95 | n | note |',
        '|---|---|---|---|---|',
        ...s.figures.map(figureRow),
        '',
      );
    }
    for (const n of s.notes) lines.push(`- ${n}`);
    if (s.notes.length > 0) lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
