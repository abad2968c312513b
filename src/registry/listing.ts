/**
 * Which conflicts a result lists, shared by pggit_register and pggit_check
 * (in PLV8) and the CLI's offline check: pure, no I/O.
 */

/** How many conflicts a result lists unless the caller says otherwise. */
export const DEFAULT_MAX_CONFLICTS = 100;

/**
 * The conflicts a result lists: at most `max` (all when null), the errors
 * before any warning is kept, in the list's own order. On a hot table a
 * registration meets every intent there (600 conflicts for 300 intents, over
 * 300 KB of JSON): more than an agent can read at once, and a cost paid by
 * every call. The rest are recorded all the same and counted.
 */
export function listed<T extends { severity: string }>(all: readonly T[], max: number | null): T[] {
  if (max === null || all.length <= max) return all as T[];
  let errors = 0;
  for (const c of all) if (c.severity === 'error') errors++;
  let warnings = Math.max(0, max - errors);
  let left = max;
  const out: T[] = [];
  for (const c of all) {
    if (left === 0) break;
    if (c.severity === 'error') {
      out.push(c);
      left--;
    } else if (warnings > 0) {
      out.push(c);
      warnings--;
      left--;
    }
  }
  return out;
}
