/**
 * This package's version, and how it compares with the pggit installed in a
 * database. No dependency.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, from package.json (src/client and dist/client are both two levels down). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
      cached = (JSON.parse(text) as { version: string }).version;
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

const parse = (v: string): number[] | null => {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
};

/**
 * -1 when a is older than b, 1 when newer, 0 when equal; null when either is
 * not a version (then only equal strings are compatible).
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | null {
  if (a === b) return 0;
  const pa = parse(a);
  const pb = parse(b);
  if (pa === null || pb === null) return null;
  for (let i = 0; i < 3; i++) {
    const x = pa[i] as number;
    const y = pb[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  // Same x.y.z, different strings: a release is newer than its pre-releases.
  const preA = a.includes('-');
  const preB = b.includes('-');
  if (preA !== preB) return preA ? -1 : 1;
  return a < b ? -1 : 1;
}
