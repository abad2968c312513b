/**
 * Hook: the cost of pggit's drift guard (its event trigger) per DDL command,
 * the same DDL with and without the event trigger, interleaved. The lead adds
 * the measurement here; until then the row says "not measured".
 */
import type { Context } from '../context.js';
import { type SectionResult, unmeasured } from '../types.js';

export async function measureDriftGuard(_ctx: Context): Promise<SectionResult> {
  return {
    id: 'drift',
    title: 'Drift guard',
    status: 'not measured',
    reason:
      'not measured: hook for the DDL-with-and-without-the-event-trigger measurement (bench/sections/drift.ts)',
    figures: [],
    targets: [
      unmeasured(
        'drift guard cost per DDL command',
        '<=',
        null,
        'hook: measureDriftGuard() in bench/sections/drift.ts, to be filled in',
      ),
    ],
    notes: [],
  };
}
