/**
 * pggit's errors, without any dependency (the CLI loads this module on every
 * run, pg only when a command needs the database).
 *
 * `code` is the SQLSTATE for errors raised by PostgreSQL or by pggit inside it
 * (22023 bad argument, P0002 unknown intent or conflict, 55000 forbidden
 * lifecycle transition, 42501 identity or privilege), or one of the words in
 * ERROR_CODES for what goes wrong before or around the SQL call.
 */

export const ERROR_CODES = {
  /** No database URL was given (flag, PGGIT_DATABASE_URL or DATABASE_URL). */
  noDatabase: 'no_database',
  /** The database URL is not a postgres:// URL. */
  badUrl: 'bad_url',
  /** The server could not be reached (refused, unknown host, timeout). */
  unreachable: 'unreachable',
  /** The database has no pggit (its SQL functions are missing). */
  notInstalled: 'not_installed',
  /** The database holds another pggit version than this package. */
  versionMismatch: 'version_mismatch',
  /** A lookup found nothing (e.g. an unknown intent id for `status`). */
  notFound: 'P0002',
} as const;

/** An error from pggit: SQL errors carry their SQLSTATE in `code`. */
export class PggitError extends Error {
  /** The SQLSTATE, e.g. '22023', or one of ERROR_CODES. */
  readonly code: string;
  readonly detail?: string;
  readonly hint?: string;

  constructor(
    code: string,
    message: string,
    extra: { detail?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'PggitError';
    this.code = code;
    if (extra.detail) this.detail = extra.detail;
    if (extra.hint) this.hint = extra.hint;
  }
}

/** A `pggit` notification whose payload is not JSON (the subscription goes on). */
export class PggitNotificationError extends Error {
  constructor(
    readonly payload: string | undefined,
    cause: unknown,
  ) {
    super(`pggit notification is not JSON: ${payload}`, { cause });
    this.name = 'PggitNotificationError';
  }
}

export const isSqlState = (code: unknown): code is string =>
  typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);

/**
 * `42883 function pggit_x(...) does not exist`, a missing pggit view, or a
 * missing API schema (3F000): pggit is not here.
 */
export function isMissingPggit(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === '3F000') return true;
  return (
    (e?.code === '42883' || e?.code === '42P01') &&
    typeof e.message === 'string' &&
    /\bpggit_[a-z_]+/.test(e.message)
  );
}

/** A pg DatabaseError becomes a PggitError; anything else passes unchanged. */
export function toPggitError(err: unknown): unknown {
  if (err instanceof PggitError) return err;
  if (err instanceof Error && isSqlState((err as { code?: unknown }).code)) {
    const e = err as Error & { code: string; detail?: string; hint?: string };
    return new PggitError(e.code, e.message, { detail: e.detail, hint: e.hint, cause: err });
  }
  return err;
}
