/**
 * The part of the PLV8 API that pggit uses: only what real PLV8 3.1 and 3.2
 * document, so the bundle runs unchanged there and on plv8/ (our runtime).
 *
 * Values cross into SQL as JS values, never as JSON text: real PLV8 (built
 * with JSONB_DIRECT_CONVERSION, as upstream does) stores a JS string bound to
 * a jsonb parameter as a jsonb *string*. Arrays and objects go to jsonb
 * parameters as they are; text goes to text parameters, with an explicit
 * `::jsonb` cast in SQL where text must become jsonb.
 *
 * int8 never crosses into JS (real PLV8 3.2 hands it over as a BigInt): every
 * count or id pggit reads is int4 or text.
 */
export interface Plv8 {
  execute(sql: string, params?: unknown[]): unknown;
  elog(level: number, ...message: unknown[]): void;
  find_function(name: string): (...args: unknown[]) => unknown;
  quote_ident(name: string): string;
  quote_literal(value: string): string;
  subtransaction<T>(fn: () => T): T;
}

/** Rows of a statement that returns rows. */
export function rows<T>(db: Plv8, sql: string, params: unknown[] = []): T[] {
  const result = db.execute(sql, params);
  if (!Array.isArray(result)) throw new Error(`expected rows from: ${sql.slice(0, 80)}`);
  return result as T[];
}

/** The single row of a statement, or undefined. */
export function row<T>(db: Plv8, sql: string, params: unknown[] = []): T | undefined {
  return rows<T>(db, sql, params)[0];
}
