/**
 * pggit's own migration ledger, apart from the host's.
 *
 * graphile-migrate applies pggit's migrations, but version 1.4.1 keeps its
 * ledger in a fixed schema, `graphile_migrate`, and cannot move it
 * (graphile/migrate#236; the PR that proposed it, #237, was closed unmerged).
 * An application that uses graphile-migrate itself keeps its history there
 * too, and the two would corrupt each other: pggit's 000001.sql recorded as
 * the host's, and the other way round.
 *
 * So while pggit installs, the connections that graphile-migrate opens for it
 * (recognised by a one-off application_name) see every mention of the ledger
 * schema in graphile-migrate's own statements renamed to pggit's schema:
 * pggit's ledger is `<schema>.migrations` (and `<schema>.current`), with
 * graphile-migrate's layout, and the host's `graphile_migrate` is never read
 * or written. Nothing else in the process is affected. pggit's migration
 * files never mention graphile_migrate (a test checks it), and the rename is
 * tested against the exact graphile-migrate version we pin.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The very `pg` module graphile-migrate connects with (it may not be ours).
const gmPg = createRequire(require.resolve('graphile-migrate'))('pg') as {
  Client: { prototype: { query: (...args: unknown[]) => unknown } };
};

type QueryFn = (
  this: { connectionParameters?: { application_name?: string } },
  ...args: unknown[]
) => unknown;

const redirects = new Map<string, string>();
let original: QueryFn | undefined;

const LEDGER_SCHEMA = /\bgraphile_migrate\b/g;

export function rewriteLedgerSql(text: string, schema: string): string {
  return text.replace(LEDGER_SCHEMA, schema);
}

function patch(): void {
  if (original !== undefined) return;
  const orig = gmPg.Client.prototype.query as QueryFn;
  original = orig;
  gmPg.Client.prototype.query = function (this: ThisParameterType<QueryFn>, ...args: unknown[]) {
    const schema = redirects.get(this.connectionParameters?.application_name ?? '');
    if (schema !== undefined) {
      const [config] = args;
      if (typeof config === 'string') {
        args[0] = rewriteLedgerSql(config, schema);
      } else if (
        config !== null &&
        typeof config === 'object' &&
        typeof (config as { text?: unknown }).text === 'string' &&
        typeof (config as { submit?: unknown }).submit !== 'function'
      ) {
        const c = config as { text: string; name?: string };
        // a named statement is prepared per connection under its name: give
        // the rewritten text its own name so the two never meet
        args[0] = {
          ...c,
          text: rewriteLedgerSql(c.text, schema),
          ...(c.name === undefined ? {} : { name: `${c.name}@${schema}` }),
        };
      }
    }
    return orig.apply(this, args);
  } as never;
}

function unpatch(): void {
  if (original === undefined || redirects.size > 0) return;
  gmPg.Client.prototype.query = original as never;
  original = undefined;
}

/**
 * Runs `fn` with a connection string whose graphile-migrate connections keep
 * their ledger in `schema`.
 */
export async function withLedgerIn<T>(
  databaseUrl: string,
  schema: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const appName = `pggit-install-${randomBytes(6).toString('hex')}`;
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', appName);
  redirects.set(appName, schema);
  patch();
  try {
    return await fn(url.toString());
  } finally {
    redirects.delete(appName);
    unpatch();
  }
}
