/**
 * The seed scenarios (./seed, format in ./seed/README.md) and how their
 * conflict expectations are checked, shared by the SQL-API runner and the
 * pggit_detect runner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const seedDir = join(dirname(fileURLToPath(import.meta.url)), 'seed');

export const scenarioFiles = readdirSync(seedDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

// biome-ignore lint/suspicious/noExplicitAny: scenario steps are free-form JSON
export type Step = Record<string, any>;
export interface Scenario {
  name: string;
  about?: string;
  steps: Step[];
}

export const loadScenario = (file: string): Scenario =>
  JSON.parse(readFileSync(join(seedDir, file), 'utf8')) as Scenario;

export interface ExpectedConflict {
  with: string;
  type: string;
  severity: string;
  objects?: string[];
}

export type ActualConflict = Required<ExpectedConflict>;

const key = (c: ExpectedConflict) => `${c.with}/${c.type}/${c.severity}`;

/**
 * `expected` is the complete set (compared on with, type and severity);
 * `include` must be among them; `objects`, where given, must be equal.
 */
export function compareConflicts(
  actual: ActualConflict[],
  expected: ExpectedConflict[] | undefined,
  include: ExpectedConflict[] | undefined,
): void {
  if (expected !== undefined) {
    expect(actual.map(key).sort()).toEqual(expected.map(key).sort());
  }
  for (const e of [...(expected ?? []), ...(include ?? [])]) {
    const match = actual.find((a) => key(a) === key(e));
    expect(match, `expected conflict ${key(e)} among ${actual.map(key).join(', ')}`).toBeDefined();
    if (e.objects !== undefined) expect(match?.objects).toEqual(e.objects);
  }
}
