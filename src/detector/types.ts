/**
 * The detector's public data model. Pure types: the detector runs unchanged in
 * Node and inside PostgreSQL (PLV8), so nothing here may touch I/O or Node APIs.
 *
 * Names are normalised the way PostgreSQL resolves them: unquoted identifiers
 * fold to lower case, quoted ones stay exact. A qualified name is rendered with
 * PostgreSQL's quote_ident rules, so `public.users`, `public."Users"`,
 * `public.users.email`. The default schema is `public` unless the caller says
 * otherwise.
 */

export type ObjectKind =
  | 'schema'
  | 'table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'function'
  | 'view'
  | 'materialized_view'
  | 'trigger'
  | 'type'
  | 'sequence'
  | 'policy'
  | 'extension';

export type ObjectAction = 'create' | 'alter' | 'drop' | 'rename' | 'reference';

export interface DbObject {
  kind: ObjectKind;
  action: ObjectAction;
  /** Schema of the object (or of its table for table-scoped objects); null for schemas and extensions. */
  schema: string | null;
  /** Unqualified, normalised name (for a column: the column name). */
  name: string;
  /** For column, constraint, trigger, policy and index objects: the qualified table name. */
  table?: string;
  /** Functions: normalised argument types, e.g. `integer,text`, when the statement states them. */
  signature?: string;
  /** Index key columns or expressions, normalised, in order. */
  columns?: string[];
  /** For renames: the new unqualified name. */
  newName?: string;
  /** Display name, fully qualified and normalised: `public.users.email`. */
  qualified: string;
  /**
   * Added: for the new-name object of a rename (ALTER ... RENAME TO, RENAME COLUMN,
   * SET SCHEMA), the qualified name it had before. The old name is a separate
   * object with action 'rename' and `newName`; the new one also has action 'rename'.
   */
  renamedFrom?: string;
  /**
   * Added: true when the statement gave no name (unnamed constraint or index) and
   * `name` was derived with PostgreSQL's naming conventions (`users_pkey`,
   * `orders_user_id_fkey`, `users_email_key`, `users_age_check`, `orders_created_at_idx`).
   */
  implicitName?: boolean;
  /**
   * Added: on a table reference made by a stored query (a view or materialized
   * view) that reads `*` of a table whose columns the script does not know: the
   * query depends on every column of the table.
   */
  allColumns?: true;
  /**
   * Added: on the `alter` of an enum type by ALTER TYPE ... ADD VALUE (the label
   * added) or RENAME VALUE (the old label, with `newValue`).
   */
  value?: string;
  newValue?: string;
  /** Added: a constraint of a domain (`table` then holds the domain's qualified name). */
  domain?: true;
}

export interface ParseWarning {
  /** Index of the statement in the script, or -1 for script-level warnings. */
  statement: number;
  message: string;
  /**
   * Set on lexical errors (an unterminated quote, dollar body or comment, an
   * escape or character PostgreSQL rejects): the script is not valid SQL.
   */
  lexical?: true;
  /** Character offset the warning points at, when it has one. */
  offset?: number;
}

export interface ParsedStatement {
  index: number;
  /** The statement's source text, trimmed, without the terminating semicolon. */
  text: string;
  /** Upper-case statement kind, e.g. `ALTER TABLE`, `CREATE INDEX`, or `UNKNOWN`. */
  kind: string;
  objects: DbObject[];
  /** Character offsets of the statement in the input. */
  start: number;
  end: number;
}

export interface ParseResult {
  statements: ParsedStatement[];
  /** Every object of every statement, deduplicated, sorted by qualified name then kind then action. */
  objects: DbObject[];
  warnings: ParseWarning[];
  /** Set when `maxStatements` stopped the parse: the script has more statements than that. */
  truncated?: true;
}

export interface ParseOptions {
  defaultSchema?: string;
  /**
   * Stop once the script has more statements than this: the result then holds
   * the first `maxStatements` statements and `truncated: true`, in time
   * proportional to the limit rather than to the input.
   */
  maxStatements?: number;
}

export interface IntentInput {
  id?: string;
  agent_id: string;
  feature_name: string;
  /** One script, or a list of statements. */
  schema_changes: string | string[];
  /** Tables the agent declares it touches; they count for the `table` rule. */
  tables_affected?: string[] | null;
}

export type ConflictType =
  | 'table'
  | 'column'
  | 'function'
  | 'index'
  | 'constraint'
  | 'timing'
  | 'dependency'
  | 'view'
  | 'type'
  | 'sequence'
  | 'trigger'
  | 'policy'
  | 'schema'
  | 'extension';

export type Severity = 'warning' | 'error';

export interface ConflictReport {
  conflict_type: ConflictType;
  severity: Severity;
  /** Sorted, normalised qualified names. */
  affected_objects: string[];
  /** Deterministic, concrete advice naming the other agent, its feature and the objects. */
  resolution_suggestions: string[];
}

/** How `detectPrepared` reports. */
export interface DetectOptions {
  /**
   * false: every report with no advice (an empty list), which is most of
   * the work on a hot table, for a caller that lists only some of the
   * reports and asks again, with advice, for those (pggit_check). The
   * types, severities and objects are the same either way.
   */
  advice?: boolean;
}
