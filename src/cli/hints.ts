/**
 * The one mapping from pggit's SQL functions to what a CLI user or an MCP
 * client calls instead. pggit's HINT and DETAIL texts name SQL functions
 * (they are written for any SQL client); the CLI and the MCP server rewrite
 * them into their own language with speak().
 *
 * Every function of the SQL API has an entry (test/client/hints.test.ts
 * checks it against src/plv8/functions.ts), null where there is no
 * counterpart.
 */

export interface Counterpart {
  /** The CLI command, as a user would type it. */
  cli: string | null;
  /** The MCP tool. */
  mcp: string | null;
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
  pggit_detect: { cli: null, mcp: null },
  pggit_version: { cli: 'pggit version', mcp: null },
  pggit_verify: { cli: 'pggit verify', mcp: null },
  pggit_open_conflicts: { cli: 'pggit conflicts', mcp: 'open_conflicts' },
  // No CLI command or MCP tool yet: call them in SQL.
  pggit_heartbeat: { cli: null, mcp: null },
  pggit_sweep: { cli: null, mcp: null },
  pggit_reviews: { cli: null, mcp: null },
  pggit_review: { cli: null, mcp: null },
  pggit_rules: { cli: null, mcp: null },
  pggit_add_rule: { cli: null, mcp: null },
  pggit_remove_rule: { cli: null, mcp: null },
  pggit_settings: { cli: null, mcp: null },
  pggit_set_setting: { cli: null, mcp: null },
  pggit_drift: { cli: null, mcp: null },
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
