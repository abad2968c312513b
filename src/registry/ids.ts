/**
 * Naming an intent: its full id in any case, or an unambiguous prefix of at
 * least four characters, as git names commits. The rule lives in one place,
 * the SQL function `<schema>.intent_id` (sql.ts, intentIdFn), which the SQL
 * readers use too.
 */
import type { Registry } from './context.js';

/** The intent's full id; none is P0002, an ambiguous prefix 22023. */
export function intentId(r: Registry, arg: unknown, name = 'intent_id'): string {
  return (r.row<{ id: string }>(r.sql.intentId, [arg ?? null, name]) as { id: string }).id;
}
