/**
 * The drift guard: each DDL command executed in the database, compared with
 * the executing agent's active intents. PL/pgSQL event triggers (real PLV8
 * cannot be an event trigger) hand over pg_event_trigger_ddl_commands() or
 * pg_event_trigger_dropped_objects() and current_query(); the same detector
 * that parses declared intents parses what ran, so both sides are named the
 * same way.
 *
 * - What no active intent of the agent declared is an `undeclared` finding;
 *   if another agent's active intent touches it, a `foreign` one (graver).
 * - warn (the default): the finding is recorded and raised as a WARNING;
 *   enforce: an ERROR, so the DDL rolls back (and the finding with it: the
 *   ERROR is its record); off: nothing. Set per database; only pggit's owner
 *   (or a superuser) may override it per session (SET pggit.drift_mode), which
 *   is how pggit's own install is never blocked.
 * - The executing agent is the session's pggit.agent_id, else its user.
 * - An intent is marked applied once all it declared has been executed by
 *   its agent; its status is never changed for it.
 * - The guard never breaks DDL it cannot analyse, and in warn mode an
 *   internal error becomes a WARNING; in enforce mode it fails closed.
 */
import { conflictKeys, parseScript } from '../detector/index.js';
import type { DbObject, ObjectKind, ParseResult } from '../detector/types.js';
import type { Registry } from './context.js';
import { PggitError, SqlState } from './errors.js';

interface Command {
  command_tag: string;
  object_type: string | null;
  schema_name: string | null;
  object_identity: string | null;
  in_extension?: boolean;
}

interface Context {
  mode: string;
  session_mode: string | null;
  owner: boolean;
  agent_id: string;
}

interface OwnIntent {
  id: string;
  feature_name: string;
  objects: DbObject[];
  applied_objects: string[];
}

interface OtherIntent {
  id: string;
  agent_id: string;
  feature_name: string;
}

/** What a command did, for matching: kind and qualified name, as the detector names them. */
const objectKey = (o: Pick<DbObject, 'kind' | 'qualified'>) =>
  `${o.kind === 'materialized_view' ? 'view' : o.kind}|${o.qualified}`;

const KINDS: Record<string, ObjectKind> = {
  table: 'table',
  'table column': 'column',
  'table constraint': 'constraint',
  index: 'index',
  sequence: 'sequence',
  view: 'view',
  'materialized view': 'materialized_view',
  function: 'function',
  procedure: 'function',
  type: 'type',
  domain: 'type',
  schema: 'schema',
  trigger: 'trigger',
  policy: 'policy',
  extension: 'extension',
};

const ACTIONS: [RegExp, DbObject['action']][] = [
  [/^CREATE\b/, 'create'],
  [/^DROP\b/, 'drop'],
  [/^ALTER\b.*\bRENAME\b/, 'rename'],
];

/**
 * The object a command names, from PostgreSQL's identity (already quoted and
 * qualified the way the detector renders names): `public.users`,
 * `public.f(integer)`, `trg on public.t`.
 */
function fromIdentity(c: Command): DbObject | undefined {
  const kind = c.object_type === null ? undefined : KINDS[c.object_type];
  if (kind === undefined || c.object_identity === null) return undefined;
  const action = ACTIONS.find(([re]) => re.test(c.command_tag))?.[1] ?? 'alter';
  const on = / on (.+)$/.exec(c.object_identity);
  if (on !== null) {
    const name = c.object_identity.slice(0, on.index);
    const table = on[1] as string;
    return { kind, action, schema: c.schema_name, name, table, qualified: `${table}.${name}` };
  }
  const qualified = c.object_identity.replace(/\(.*\)$/, '');
  const name = qualified.slice(qualified.lastIndexOf('.') + 1);
  return { kind, action, schema: c.schema_name, name, qualified };
}

let lastQuery: { text: string; parsed: ParseResult } | undefined;

/** The query's parse, once per query: a migration file runs as one query, many commands. */
function parseQuery(text: string): ParseResult {
  if (lastQuery?.text !== text) lastQuery = { text, parsed: parseScript(text) };
  return lastQuery.parsed;
}

/** What the commands changed: the parsed statements' objects that touch what the commands name. */
function executedObjects(commands: Command[], query: string): DbObject[] {
  const named = commands.map(fromIdentity).filter((o): o is DbObject => o !== undefined);
  const names = new Set<string>();
  for (const o of named) {
    names.add(o.qualified);
    if (o.table !== undefined) names.add(o.table);
  }
  let parsed: DbObject[] = [];
  try {
    parsed = parseQuery(query).objects.filter(
      (o) =>
        o.action !== 'reference' &&
        (names.has(o.qualified) || (o.table !== undefined && names.has(o.table))),
    );
  } catch {
    parsed = [];
  }
  // what the text does not show (a DO block, a function running DDL) is
  // still known by PostgreSQL's names for it
  const seen = new Set(parsed.map(objectKey));
  return [...parsed, ...named.filter((o) => !seen.has(objectKey(o)))];
}

function relevant(c: Command, schema: string): boolean {
  if (c.in_extension) return false; // objects an extension's script creates
  const s = c.schema_name;
  if (s !== null && (s === schema || /^pg_temp(_\d+)?$/.test(s) || s.startsWith('pg_toast')))
    return false;
  return true;
}

function describeObjects(objects: DbObject[]): string {
  const names = [...new Set(objects.map((o) => `${o.kind} ${o.qualified}`))];
  return names.length <= 6
    ? names.join(', ')
    : `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}

function check(r: Registry, ctx: Context, mode: string, commands: Command[], query: string): void {
  const work = commands.filter((c) => relevant(c, r.schema));
  if (work.length === 0) return;
  const executed = executedObjects(work, query);
  if (executed.length === 0) return;
  const own = r.rows<OwnIntent>(r.sql.driftOwnIntents, [ctx.agent_id]);
  const declaredBy = new Map<string, OwnIntent[]>();
  for (const i of own) {
    for (const o of i.objects) {
      if (o.action === 'reference') continue;
      const k = objectKey(o);
      const l = declaredBy.get(k);
      if (l) l.push(i);
      else declaredBy.set(k, [i]);
    }
  }
  const undeclared = executed.filter((o) => !declaredBy.has(objectKey(o)));
  const matched = executed.filter((o) => declaredBy.has(objectKey(o)));
  const ownTouched = [...new Set(matched.flatMap((o) => declaredBy.get(objectKey(o)) ?? []))];

  // applied: every declared object of an intent has now been executed by its agent
  if (ownTouched.length > 0) {
    const updates = ownTouched.map((i) => {
      const applied = new Set(i.applied_objects);
      for (const o of matched) {
        if (declaredBy.get(objectKey(o))?.includes(i)) applied.add(objectKey(o));
      }
      const declared = i.objects.filter((o) => o.action !== 'reference').map(objectKey);
      return {
        id: i.id,
        applied: [...applied].sort(),
        done: declared.every((k) => applied.has(k)),
      };
    });
    r.db.execute(r.sql.markApplied, [updates, updates.map((u) => u.id)]);
  }
  if (undeclared.length === 0) return;

  const keys = conflictKeys(
    { agent_id: ctx.agent_id, feature_name: '-', schema_changes: [] },
    { statements: [], objects: undeclared, warnings: [] },
  ).filter((k) => !k.startsWith('feature:'));
  const others = r.rows<OtherIntent>(r.sql.driftOtherIntents, [keys, ctx.agent_id]);
  const finding = others.length > 0 ? 'foreign' : 'undeclared';
  const tag = work[0]?.command_tag ?? 'DDL';
  const what = describeObjects(undeclared);
  const message =
    finding === 'foreign'
      ? `pggit drift: ${ctx.agent_id} ran ${tag} on ${what}, which no active intent of ${ctx.agent_id} declares and ${others
          .map((o) => `${o.agent_id} ("${o.feature_name}")`)
          .join(', ')} has declared`
      : `pggit drift: ${ctx.agent_id} ran ${tag} on ${what}, which no active intent of ${ctx.agent_id} declares`;
  if (mode === 'enforce') {
    throw new PggitError(SqlState.insufficientPrivilege, message, {
      hint: `register the change first (pggit_register as ${ctx.agent_id}), or set pggit.agent_id to the agent whose intent declares it`,
    });
  }
  const row = r.row<{ id: number }>(r.sql.insertDrift, [
    ctx.agent_id,
    tag,
    finding,
    mode,
    undeclared,
    query.length > 10_000 ? `${query.slice(0, 10_000)}…` : query,
    ownTouched.map((i) => i.id),
    others.map((o) => o.id),
  ]) as { id: number };
  r.db.execute(r.sql.notify, [JSON.stringify({ event: 'drift', drift_id: row.id, finding })]);
  r.db.elog(WARNING, message);
}

declare const WARNING: number;

export function driftCheck(r: Registry, commandsArg: unknown, queryArg: unknown): void {
  const ctx = r.row<Context>(r.sql.driftContext) as Context;
  const mode =
    ctx.owner && ctx.session_mode !== null && ['off', 'warn', 'enforce'].includes(ctx.session_mode)
      ? ctx.session_mode
      : ctx.mode;
  if (mode === 'off') return;
  const commands = Array.isArray(commandsArg) ? (commandsArg as Command[]) : [];
  const query = typeof queryArg === 'string' ? queryArg : '';
  let refusal: unknown;
  try {
    r.db.subtransaction(() => {
      try {
        check(r, ctx, mode, commands, query);
      } catch (e) {
        if (e instanceof PggitError && e.sqlstate === SqlState.insufficientPrivilege) {
          refusal = e; // the enforce decision itself: raised below, outside the subtransaction
          return;
        }
        throw e;
      }
    });
  } catch (e) {
    if (mode === 'enforce') {
      throw new PggitError(
        SqlState.internalError,
        `pggit drift guard could not check this statement (enforce mode refuses it): ${e instanceof Error ? e.message : String(e)}`,
        { hint: 'an owner can SET pggit.drift_mode = warn for this session' },
      );
    }
    r.db.elog(
      WARNING,
      `pggit drift guard could not check this statement (it ran): ${e instanceof Error ? e.message : String(e)}`,
    );
    return;
  }
  if (refusal !== undefined) throw refusal;
}
