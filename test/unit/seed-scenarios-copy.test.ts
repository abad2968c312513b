/**
 * test/scenarios/seed is a copy of shared/scenarios (so the suite runs without
 * shared/). When shared/ sits beside the checkout, the copy must match it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = join(root, '../shared/scenarios');
const copy = join(root, 'test/scenarios/seed');

it.runIf(existsSync(shared))('the seed copy equals shared/scenarios', () => {
  const names = (dir: string) =>
    readdirSync(dir)
      .filter((f) => /\.(json|md)$/.test(f))
      .sort();
  expect(names(copy)).toEqual(names(shared));
  for (const f of names(shared)) {
    expect(readFileSync(join(copy, f), 'utf8'), f).toBe(readFileSync(join(shared, f), 'utf8'));
  }
});

it('the copy holds every seed scenario', () => {
  const scenarios = readdirSync(copy).filter((f) => f.endsWith('.json'));
  expect(scenarios.length).toBeGreaterThanOrEqual(14);
});
