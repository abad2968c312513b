/**
 * The registry's view of one installation: the PLV8 API and the schema names
 * chosen at install. Every SQL text the registry runs comes from sql.ts,
 * built once per installation with those names qualified in (the functions
 * run with search_path = pg_catalog, pg_temp, so nothing is left to it).
 */
import { type Plv8, row, rows } from './plv8-api.js';
import { type Statements, statements } from './sql.js';

export interface InstallNames {
  /** pggit's own schema (tables, internal functions, bundle). */
  schema: string;
  /** Where the SQL API functions and views live. */
  apiSchema: string;
  buildHash: string;
}

export interface Registry extends InstallNames {
  db: Plv8;
  sql: Statements;
  rows<T>(sql: string, params?: unknown[]): T[];
  row<T>(sql: string, params?: unknown[]): T | undefined;
}

const PLAIN_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function createRegistry(db: Plv8, names: InstallNames): Registry {
  for (const n of [names.schema, names.apiSchema]) {
    // the installer only accepts such names; a bundle built otherwise is broken
    if (!PLAIN_IDENT.test(n))
      throw new Error(`pggit: schema name ${JSON.stringify(n)} is not a plain identifier`);
  }
  return {
    ...names,
    db,
    sql: statements(names.schema),
    rows: (sql, params = []) => rows(db, sql, params),
    row: (sql, params = []) => row(db, sql, params),
  };
}
