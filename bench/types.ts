/**
 * What every section of the benchmark returns, and what run.ts writes to
 * bench/results/latest.json and renders into latest.md.
 */
import type { Stat } from './stats.js';

/** One measured figure: a median of repeats with its p95 (ms unless `unit` says otherwise). */
export interface Figure {
  name: string;
  unit: string;
  median: number | null;
  p95: number | null;
  n?: number;
  note?: string;
}

/** A target: a ratio of two figures taken in the same run (interleaved), with its bound. */
export interface Target {
  name: string;
  /** What is measured, and what it is divided by. */
  subject: string;
  baseline: string;
  /** median(subject) / median(baseline); null when not measured. */
  value: number | null;
  /** p95(subject) / p95(baseline), beside it. */
  p95: number | null;
  op: '<=' | '>=';
  /** null: no bound set yet (a hook). */
  bound: number | null;
  /** null: not measured. */
  pass: boolean | null;
  /** The figure the issue reported for today, for the record. */
  today?: string;
  note?: string;
}

/** A figure the issue reported for the reference (same machine kind, PostgreSQL 15), beside ours. */
export interface Reference {
  name: string;
  reference: string;
  /** Ours, absolute, from this run (absolute times are noisy: compare orders of magnitude). */
  ours: Figure | null;
}

export interface SectionResult {
  id: string;
  title: string;
  status: 'ok' | 'not measured' | 'error';
  /** Why not measured, or the error. */
  reason?: string;
  /** How it was measured, in a sentence or two (goes into the markdown). */
  method?: string;
  figures: Figure[];
  targets: Target[];
  notes: string[];
  /** Figures of the reference (Confiture's Python module) to show beside ours. */
  references?: Reference[];
  /** Whatever the section wants kept in latest.json beyond the figures. */
  data?: unknown;
  seconds?: number;
  /** The machine's 1-minute load average when the section started and ended (others share it). */
  load?: [number, number];
}

export interface Mode {
  smoke: boolean;
  /** Sizes of the workload (active intents). */
  sizes: number[];
  registerRounds: number;
  warmup: number;
  hotIntents: number;
  hotLoads: number;
  hotCheckRounds: number;
  listRounds: number;
  viewRounds: number;
  pgbenchSeconds: number;
  /** Seconds left out at the start of each pgbench run (V8's start, JIT warm-up). */
  pgbenchWarmupSeconds: number;
  pgbenchRounds: number;
  pgbenchClients: number[];
  coldRounds: number;
  parseRounds: number;
  cliRuns: number;
}

export const FULL: Mode = {
  smoke: false,
  sizes: [100, 1000, 10_000],
  registerRounds: 100,
  warmup: 5,
  hotIntents: 300,
  hotLoads: 3,
  hotCheckRounds: 50,
  listRounds: 100,
  viewRounds: 10,
  pgbenchSeconds: 8,
  pgbenchWarmupSeconds: 2,
  pgbenchRounds: 3,
  pgbenchClients: [1, 2, 4],
  coldRounds: 20,
  parseRounds: 50,
  cliRuns: 20,
};

export const SMOKE: Mode = {
  smoke: true,
  sizes: [10, 50],
  registerRounds: 3,
  warmup: 1,
  hotIntents: 20,
  hotLoads: 1,
  hotCheckRounds: 3,
  listRounds: 3,
  viewRounds: 2,
  pgbenchSeconds: 2,
  pgbenchWarmupSeconds: 0.5,
  pgbenchRounds: 1,
  pgbenchClients: [1, 2],
  coldRounds: 2,
  parseRounds: 3,
  cliRuns: 1,
};

export function figure(name: string, s: Stat, unit = 'ms', note?: string): Figure {
  return { name, unit, median: s.median, p95: s.p95, n: s.n, ...(note ? { note } : {}) };
}

/** A target from two stats of the same run. */
export function target(
  name: string,
  subject: { label: string; stat: Stat },
  baseline: { label: string; stat: Stat },
  op: '<=' | '>=',
  bound: number,
  extra: { today?: string; note?: string } = {},
): Target {
  const value = subject.stat.median / baseline.stat.median;
  const p95 = subject.stat.p95 / baseline.stat.p95;
  const ok = Number.isFinite(value);
  return {
    name,
    subject: subject.label,
    baseline: baseline.label,
    value: ok ? value : null,
    p95: Number.isFinite(p95) ? p95 : null,
    op,
    bound,
    pass: ok ? (op === '<=' ? value <= bound : value >= bound) : null,
    ...extra,
  };
}

/** A target that this run did not measure (a missing module, a hook not filled in yet). */
export function unmeasured(
  name: string,
  op: '<=' | '>=',
  bound: number | null,
  note: string,
  today?: string,
): Target {
  return {
    name,
    subject: '',
    baseline: '',
    value: null,
    p95: null,
    op,
    bound,
    pass: null,
    note,
    ...(today ? { today } : {}),
  };
}
