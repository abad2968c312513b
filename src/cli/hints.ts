/**
 * The one mapping from pggit's SQL functions to what a CLI user or an MCP
 * client calls instead. pggit's HINT and DETAIL texts name SQL functions
 * (they are written for any SQL client); the CLI and the MCP server rewrite
 * them into their own language with speak().
 *
 * Every function of the SQL API has a CLI command (test/client/hints.test.ts
 * checks it against src/plv8/functions.ts); the MCP tool is null where
 * agents have none (rules and settings are for people).
 */

export interface Counterpart {
  /** The CLI command, as a user would type it. */
  cli: string | null;
  /** The MCP tool. */
  mcp: string | null;
  /** The role whose members may call it, when not pggit_agent (test/client/hints.test.ts checks the grants). */
  role?: 'pggit_admin';
}

export const SQL_COUNTERPARTS: Readonly<Record<string, Counterpart>> = {
  pggit_register: {
    cli: 'pggit register --feature-name <name> --schema-changes <ddl>',
    mcp: 'register_intent',
  },
  pggit_check: {
    cli: 'pggit check --feature-name <name> --schema-changes <ddl>',
    mcp: 'check_intent',
  },
  pggit_get_intent: { cli: 'pggit status <intent-id>', mcp: 'get_intent' },
  pggit_list_intents: { cli: 'pggit list-intents', mcp: 'list_intents' },
  pggit_mark_in_progress: { cli: 'pggit start <intent-id>', mcp: 'start_intent' },
  pggit_mark_completed: { cli: 'pggit complete <intent-id>', mcp: 'complete_intent' },
  pggit_mark_merged: { cli: 'pggit merge <intent-id>', mcp: 'merge_intent' },
  pggit_mark_abandoned: { cli: 'pggit abandon <intent-id>', mcp: 'abandon_intent' },
  pggit_get_conflicts: { cli: 'pggit conflicts <intent-id>', mcp: 'list_conflicts' },
  pggit_resolve_conflict: {
    cli: 'pggit resolve <conflict-id> --notes <text>',
    mcp: 'resolve_conflict',
  },
  pggit_reopen_conflict: {
    cli: 'pggit reopen <conflict-id> --reason <text>',
    mcp: 'reopen_conflict',
  },
  pggit_history: { cli: 'pggit history <intent-id>', mcp: 'history' },
  pggit_parse: { cli: 'pggit parse --schema-changes <ddl>', mcp: 'parse_ddl' },
  // the detector between two intents: offline, the CLI runs it itself
  pggit_detect: { cli: 'pggit check --offline --against <intents.json>', mcp: null },
  pggit_version: { cli: 'pggit version', mcp: null },
  pggit_verify: { cli: 'pggit verify', mcp: null },
  pggit_open_conflicts: { cli: 'pggit conflicts', mcp: 'open_conflicts' },
  pggit_heartbeat: { cli: 'pggit heartbeat <intent-id>', mcp: 'heartbeat_intent' },
  // housekeeping for cron or people: an expired intent already holds no one back
  pggit_sweep: { cli: 'pggit sweep', mcp: null },
  pggit_drift: { cli: 'pggit drift', mcp: 'list_drift' },
  pggit_reviews: { cli: 'pggit reviews <intent-id>', mcp: 'list_reviews' },
  pggit_review: { cli: 'pggit review <intent-id> approve|reject', mcp: 'review_intent' },
  // rules and settings are managed by people (pggit_admin): CLI only
  pggit_rules: { cli: 'pggit rules list', mcp: null },
  pggit_add_rule: { cli: 'pggit rules add --kind <kind>', mcp: null, role: 'pggit_admin' },
  pggit_remove_rule: { cli: 'pggit rules remove <rule-id>', mcp: null, role: 'pggit_admin' },
  pggit_settings: { cli: 'pggit config get', mcp: null },
  pggit_set_setting: { cli: 'pggit config set <key> <value>', mcp: null, role: 'pggit_admin' },
};

/**
 * The text with each SQL function name (optionally followed by `()` or an
 * argument list) replaced by its counterpart: `pggit resolve <conflict-id>
 * --notes <text>` for the CLI, the `resolve_conflict` tool for MCP. Names
 * without a counterpart stay as they are.
 */
export function speak(text: string, to: 'cli' | 'mcp'): string {
  // \b: never inside a longer name such as tb_pggit_intent.
  return text.replace(/\bpggit_[a-z_]+(\s*\([^()]*\))?/g, (match) => {
    const name = match.replace(/\s*\(.*$/s, '');
    const counterpart = SQL_COUNTERPARTS[name]?.[to];
    if (counterpart === null || counterpart === undefined) return match;
    return to === 'cli' ? `\`${counterpart}\`` : `the ${counterpart} tool`;
  });
}

/**
 * A hint for PostgreSQL's own `permission denied for function pggit_x`
 * (42501, which has none): which role may call it.
 */
export function permissionHint(message: string, to: 'cli' | 'mcp'): string | undefined {
  const fn = /^permission denied for function (pggit_[a-z_]+)$/.exec(message)?.[1];
  if (fn === undefined || !(fn in SQL_COUNTERPARTS)) return undefined;
  const role = SQL_COUNTERPARTS[fn]?.role ?? 'pggit_agent';
  const what = speak(fn, to);
  return `${what} is for members of ${role}: the database owner can GRANT ${role} TO your database user`;
}
