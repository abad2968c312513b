/**
 * Errors thrown from PLV8 code. Real PLV8 (3.1 and 3.2) reads a thrown
 * object's `code` with ToInt32 as PostgreSQL's *packed* SQLSTATE (the
 * MAKE_SQLSTATE encoding), and its `detail` and `hint` as DETAIL and HINT.
 * A plain string code such as '22023' would come out as 7H500, so every
 * error pggit raises goes through this one helper.
 */

/** PostgreSQL's MAKE_SQLSTATE: sum of ((ch - '0') & 0x3F) << 6*i over the five characters. */
export function packSqlState(sqlstate: string): number {
  if (!/^[0-9A-Z]{5}$/.test(sqlstate))
    throw new Error(`invalid SQLSTATE ${JSON.stringify(sqlstate)}`);
  let packed = 0;
  for (let i = 0; i < 5; i++) {
    packed += ((sqlstate.charCodeAt(i) - 48) & 0x3f) << (6 * i);
  }
  return packed;
}

/** The inverse of packSqlState, for messages and tests. */
export function unpackSqlState(packed: number): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += String.fromCharCode(((packed >> (6 * i)) & 0x3f) + 48);
  return out;
}

export const SqlState = {
  invalidParameterValue: '22023',
  noDataFound: 'P0002',
  objectNotInPrerequisiteState: '55000',
  insufficientPrivilege: '42501',
  invalidTransactionState: '25000',
  internalError: 'XX000',
} as const;

/** A plain Error subclass: its name stays `Error`, which PLV8 trims from the message. */
export class PggitError extends Error {
  /** Packed SQLSTATE, as PLV8 expects. */
  readonly code: number;
  readonly sqlstate: string;
  readonly detail?: string;
  readonly hint?: string;

  constructor(sqlstate: string, message: string, extra: { detail?: string; hint?: string } = {}) {
    super(message);
    this.sqlstate = sqlstate;
    this.code = packSqlState(sqlstate);
    if (extra.detail !== undefined) this.detail = extra.detail;
    if (extra.hint !== undefined) this.hint = extra.hint;
  }
}

export const invalidArgument = (message: string, hint?: string, detail?: string) =>
  new PggitError(SqlState.invalidParameterValue, message, {
    ...(hint === undefined ? {} : { hint }),
    ...(detail === undefined ? {} : { detail }),
  });

export const notFound = (message: string) => new PggitError(SqlState.noDataFound, message);

export const forbidden = (message: string, hint?: string) =>
  new PggitError(SqlState.insufficientPrivilege, message, hint === undefined ? {} : { hint });

export const invalidTransactionState = (message: string, hint: string) =>
  new PggitError(SqlState.invalidTransactionState, message, { hint });

/** A lifecycle rule refuses the change (55000). */
export const wrongState = (message: string, extra: { detail?: string; hint?: string } = {}) =>
  new PggitError(SqlState.objectNotInPrerequisiteState, message, extra);
