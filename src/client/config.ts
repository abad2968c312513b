/**
 * Where the database is: an explicit URL, else PGGIT_DATABASE_URL, else
 * DATABASE_URL. Nothing else: an installed pggit never starts or guesses a
 * database (the checkout's own scripts use src/dev/local-db.ts for that).
 * No dependency, so the CLI can validate a URL before it loads pg.
 */
import { ERROR_CODES, isSqlState, PggitError, toPggitError } from './errors.js';

export interface DatabaseUrl {
  url: string;
  /** Where it came from, for messages: '--database-url', 'PGGIT_DATABASE_URL', ... */
  source: string;
}

/**
 * The URL to use and where it came from, validated; a PggitError
 * (`no_database`, `bad_url`) when there is none or it is not a postgres URL.
 */
export function resolveDatabaseUrl(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  explicitName = '--database-url',
): DatabaseUrl {
  const found: DatabaseUrl | undefined =
    explicit !== undefined
      ? { url: explicit, source: explicitName }
      : env.PGGIT_DATABASE_URL
        ? { url: env.PGGIT_DATABASE_URL, source: 'PGGIT_DATABASE_URL' }
        : env.DATABASE_URL
          ? { url: env.DATABASE_URL, source: 'DATABASE_URL' }
          : undefined;
  if (found === undefined) {
    throw new PggitError(
      ERROR_CODES.noDatabase,
      `no database: give ${explicitName} <postgres://…>, or set PGGIT_DATABASE_URL or DATABASE_URL`,
    );
  }
  validateDatabaseUrl(found.url, found.source);
  return found;
}

/** The database URL from the environment (PGGIT_DATABASE_URL, then DATABASE_URL), validated. */
export function connectionStringFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDatabaseUrl(undefined, env).url;
}

/** Throws `bad_url` unless `url` is a postgres:// or postgresql:// URL. */
export function validateDatabaseUrl(url: string, source = 'the database URL'): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (
    parsed === undefined ||
    (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
  ) {
    throw new PggitError(
      ERROR_CODES.badUrl,
      `${source} must be a postgres:// URL (postgres://user:password@host:5432/database), not ${JSON.stringify(redactUrl(url))}`,
    );
  }
  return parsed;
}

/** The URL with its password replaced by `***`, for messages. Non-URLs pass unchanged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** `database "x" on host:port` for messages (no user, no password). */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)';
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `database "${db}" on ${host}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return 'the database';
  }
}

/** Error codes of Node that mean "never got a connection", and how to say them. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOENT: 'no such socket', // a Unix socket path that does not exist
};

/**
 * An error from connecting to `url` as one PggitError: `unreachable` (refused,
 * unknown host, past the connect timeout, ...) with the URL, password hidden;
 * a server's refusal (28P01, 3D000, ...) keeps its SQLSTATE. Anything else
 * passes unchanged.
 */
export function connectionError(err: unknown, url: string | undefined): unknown {
  const e = err as { code?: unknown; message?: unknown };
  if (isSqlState(e?.code)) return toPggitError(err);
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // pg's own connect timeouts: "timeout expired", "... due to connection timeout", "timeout exceeded ..."
  const why =
    code !== undefined && UNREACHABLE[code] !== undefined
      ? `${UNREACHABLE[code]} (${code})`
      : /timeout/i.test(message)
        ? 'timed out'
        : /Connection terminated unexpectedly/.test(message)
          ? 'the server closed the connection'
          : undefined;
  if (why === undefined) return err;
  const where = url === undefined ? 'the database' : redactUrl(url);
  return new PggitError(ERROR_CODES.unreachable, `cannot connect to ${where}: ${why}`, {
    cause: err,
  });
}
