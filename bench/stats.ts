/**
 * Medians, p95s and interleaved rounds: the only statistics the benchmark uses.
 *
 * Every figure is a set of samples taken in rounds that alternate the subject
 * with its baseline (rotating the order each round), so that load from other
 * processes on the machine falls on both alike; a target is the ratio of the
 * two medians (and, beside it, of the two p95s).
 */

export interface Stat {
  median: number;
  p95: number;
  n: number;
}

/** Nearest-rank quantile of unsorted samples (q in (0, 1]). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function stat(xs: readonly number[]): Stat {
  return { median: median(xs), p95: quantile(xs, 0.95), n: xs.length };
}

export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Records named samples; during warm-up rounds it times but keeps nothing. */
export class Recorder {
  readonly samples = new Map<string, number[]>();
  keep = true;

  async time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    const result = await fn();
    const ms = performance.now() - start;
    if (this.keep) this.add(name, ms);
    return result;
  }

  add(name: string, value: number): void {
    let xs = this.samples.get(name);
    if (xs === undefined) {
      xs = [];
      this.samples.set(name, xs);
    }
    xs.push(value);
  }

  get(name: string): number[] {
    const xs = this.samples.get(name);
    if (xs === undefined || xs.length === 0) throw new Error(`no samples for "${name}"`);
    return xs;
  }

  stat(name: string): Stat {
    return stat(this.get(name));
  }
}

/**
 * One operation of a round: it does its untimed preparation and clean-up
 * itself and times its measured part with `rec.time(name, ...)`.
 */
export interface Op {
  name: string;
  run: (round: number, rec: Recorder) => Promise<void>;
}

/**
 * Runs `warmup` rounds (kept nowhere), then `rounds` rounds of every op, the
 * order rotated by one each round so that no op always runs first or last.
 */
export async function interleave(
  ops: readonly Op[],
  rounds: number,
  warmup = 0,
  rec = new Recorder(),
): Promise<Recorder> {
  for (let r = 0; r < warmup + rounds; r++) {
    rec.keep = r >= warmup;
    for (let j = 0; j < ops.length; j++) {
      const op = ops[(r + j) % ops.length] as Op;
      await op.run(r, rec);
    }
  }
  rec.keep = true;
  return rec;
}

/** A seeded PRNG (mulberry32): the same workload every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
