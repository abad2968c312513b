/**
 * Where a runtime test's expectation comes from (see test/runtime/README.md):
 *
 * - `fidelity(...)`: behaviour recorded from real PLV8 3.1.10 / 3.2.2 (the
 *   reference scripts in ./plv8-reference, or the facts plv8/README.md lists
 *   as recorded). Real PLV8 must pass these; so must plv8_compat.
 * - `extension(...)`: anything else — plv8_compat's own contract, including
 *   behaviour read in the upstream sources but not recorded. Skipped when the
 *   server runs real PLV8, and with PLV8_FIDELITY_ONLY=1.
 */
import { beforeEach, describe } from 'vitest';
import type { TestDatabase } from '../support/database.js';

/** PLV8_FIDELITY_ONLY=1 runs only what real PLV8 must satisfy. */
export const FIDELITY_ONLY = process.env.PLV8_FIDELITY_ONLY === '1';

export type Runtime = 'plv8' | 'plv8_compat';

let runtime: Runtime | undefined;

/** Which extension provides LANGUAGE plv8 in `db` (call it in beforeAll). */
export async function detectRuntime(db: TestDatabase): Promise<Runtime> {
  const r = await db.query<{ extname: string }>(
    "SELECT extname FROM pg_extension WHERE extname IN ('plv8', 'plv8_compat')",
  );
  const names = r.rows.map((x) => x.extname);
  if (names.includes('plv8')) runtime = 'plv8';
  else if (names.includes('plv8_compat')) runtime = 'plv8_compat';
  else throw new Error('the test database has neither the plv8 nor the plv8_compat extension');
  return runtime;
}

export function isCompat(): boolean {
  return runtime === 'plv8_compat';
}

/** Behaviour recorded from real PLV8: must hold on both runtimes. */
export function fidelity(name: string, fn: () => void): void {
  describe(`fidelity: ${name}`, fn);
}

/** plv8_compat's own behaviour: skipped on real PLV8 and with PLV8_FIDELITY_ONLY=1. */
export function extension(name: string, fn: () => void): void {
  describe.skipIf(FIDELITY_ONLY)(`extension: ${name}`, () => {
    beforeEach((ctx) => {
      if (runtime === undefined) throw new Error('call detectRuntime(db) in beforeAll');
      if (runtime !== 'plv8_compat') ctx.skip();
    });
    fn();
  });
}
