/**
 * Human-readable rendering of what the SQL API returns. Presentation only:
 * intents are shown by their first SHORT_ID characters wherever a list or a
 * one-line message names them (any unique prefix of 4 or more characters
 * names an intent in every command), in full where one intent is shown.
 */
import type {
  CheckConflict,
  CheckResult,
  Conflict,
  DriftFinding,
  HistoryEntry,
  Intent,
  IntentSummary,
  OpenConflict,
  ParseResult,
  ParseWarning,
  PggitEvent,
  RegisterResult,
  ReviewState,
  Rule,
  Settings,
  Severity,
  SweepResult,
  VerifyResult,
  VersionInfo,
} from '../client/types.js';
import { NO_COLOR, type Palette } from './color.js';

/** How many characters of an intent id the text output shows. */
export const SHORT_ID = 8;
export const shortId = (id: string | null | undefined): string =>
  id === null || id === undefined ? '-' : id.slice(0, SHORT_ID);

const field = (label: string, value: string) => `${`${label}:`.padEnd(16)}${value}`;

const list = (items: readonly string[] | null | undefined) =>
  items && items.length > 0 ? items.join(', ') : '-';

function indent(lines: string[], by = '  '): string[] {
  return lines.map((l) => (l === '' ? l : by + l));
}

export function severity(s: Severity | string, c: Palette = NO_COLOR): string {
  return s === 'error' ? c.red(s) : s === 'warning' ? c.yellow(s) : s;
}

export function status(s: string, c: Palette = NO_COLOR): string {
  switch (s) {
    case 'conflicted':
      return c.red(s);
    case 'merged':
      return c.green(s);
    case 'abandoned':
      return c.dim(s);
    case 'in_progress':
    case 'completed':
      return c.cyan(s);
    default:
      return s;
  }
}

export function formatIntent(intent: Intent, c: Palette = NO_COLOR): string {
  const lines = [
    field('intent', c.bold(intent.id)),
    field('agent', intent.agent_id),
    field('feature', intent.feature_name),
    field('status', status(intent.status, c)),
    field('branch', intent.branch_name),
    field('risk', intent.risk_level),
  ];
  if (intent.estimated_duration_ms !== null && intent.estimated_duration_ms !== undefined) {
    lines.push(field('duration', `${intent.estimated_duration_ms} ms`));
  }
  lines.push(field('tables', list(intent.tables_affected)));
  lines.push(field('conflicts with', list(intent.conflicts_with.map(shortId))));
  if (intent.metadata && Object.keys(intent.metadata).length > 0) {
    lines.push(field('metadata', JSON.stringify(intent.metadata)));
  }
  lines.push(field('created', intent.created_at));
  lines.push(field('updated', intent.updated_at));
  if (intent.lease_expires_at !== undefined) lines.push(field('lease', lease(intent, c)));
  if (intent.applied_at) lines.push(field('applied', intent.applied_at));
  lines.push('statements:');
  lines.push(...indent(intent.schema_changes.map((s) => `${s};`)));
  return lines.join('\n');
}

function lease(intent: Intent, c: Palette): string {
  const active = ['registered', 'in_progress', 'completed', 'conflicted'].includes(intent.status);
  if (!active) return c.dim(`${intent.lease_seconds} s (ended with the intent)`);
  return intent.expired
    ? c.red(`expired at ${intent.lease_expires_at}`)
    : `expires at ${intent.lease_expires_at} (${intent.lease_seconds} s, renewed by heartbeat)`;
}

function suggestions(items: readonly string[], c: Palette): string[] {
  return items.map((s) => `  ${c.dim('suggestion:')} ${s}`);
}

export function formatConflict(x: Conflict, c: Palette = NO_COLOR): string {
  const lines = [
    `${c.bold(`conflict #${x.id}`)}  ${severity(x.severity, c)}  ${x.conflict_type}  on ${list(x.affected_objects)}`,
    `  between intent ${shortId(x.intent_a)} and intent ${shortId(x.intent_b)}`,
    x.reviewed
      ? `  ${c.green('resolved')} by ${x.reviewed_by ?? '?'} at ${x.reviewed_at ?? '?'}: ${x.resolution_notes ?? ''}`
      : `  ${c.bold('open')}`,
    ...suggestions(x.resolution_suggestions, c),
  ];
  return lines.join('\n');
}

export function formatConflicts(conflicts: readonly Conflict[], c: Palette = NO_COLOR): string {
  if (conflicts.length === 0) return 'no conflicts';
  return conflicts.map((x) => formatConflict(x, c)).join('\n\n');
}

export function formatOpenConflicts(
  conflicts: readonly OpenConflict[],
  c: Palette = NO_COLOR,
): string {
  if (conflicts.length === 0) return 'no open conflicts';
  return conflicts
    .map((x) =>
      [
        `${c.bold(`conflict #${x.id}`)}  ${severity(x.severity, c)}  ${x.conflict_type}  on ${list(x.affected_objects)}`,
        `  ${shortId(x.intent_a)} ${x.agent_a} "${x.feature_a}" (${status(x.status_a, c)})`,
        `  ${shortId(x.intent_b)} ${x.agent_b} "${x.feature_b}" (${status(x.status_b, c)})`,
        ...suggestions(x.resolution_suggestions, c),
      ].join('\n'),
    )
    .join('\n\n');
}

/** A conflict found by pggit_check, or offline (where the other side may have no id or status). */
export type CheckConflictView = Omit<CheckConflict, 'intent_b' | 'with_status'> & {
  intent_b: string | null;
  with_status: string | null;
};

function formatCheckConflict(x: CheckConflictView, c: Palette): string {
  const about = [
    x.intent_b === null ? null : `intent ${shortId(x.intent_b)}`,
    x.with_status,
  ].filter((v) => v !== null);
  return [
    `${severity(x.severity, c)}  ${x.conflict_type}  on ${list(x.affected_objects)}`,
    `  with ${x.with_agent} ("${x.with_feature}"${about.length > 0 ? `, ${about.join(', ')}` : ''})`,
    ...suggestions(x.resolution_suggestions, c),
  ].join('\n');
}

function formatWarnings(warnings: readonly ParseWarning[], c: Palette): string[] {
  return warnings.map(
    (w) =>
      `${c.yellow('warning')}${w.statement >= 0 ? ` (statement ${w.statement + 1})` : ''}: ${w.message}`,
  );
}

export function formatRegister(r: RegisterResult, c: Palette = NO_COLOR): string {
  const lines = [formatIntent(r.intent, c)];
  if (r.conflicts_recorded > 0) {
    lines.push(
      '',
      `${r.conflicts_recorded} conflict(s) recorded:`,
      '',
      formatConflicts(r.conflicts, c),
    );
    if (r.conflicts_omitted > 0) {
      lines.push(
        '',
        c.dim(
          `… and ${r.conflicts_omitted} more, not listed here (--max-conflicts): pggit conflicts ${shortId(r.intent.id)}`,
        ),
      );
    }
  } else {
    lines.push('', 'no conflicts');
  }
  const w = formatWarnings(r.warnings, c);
  if (w.length > 0) lines.push('', ...w);
  if ((r.required_reviews ?? []).length > 0) {
    lines.push('', 'reviews required before it may start:');
    for (const q of r.required_reviews) {
      lines.push(
        `  rule #${q.rule_id}: ${q.owner} reviews ${list(q.objects)} (pggit review ${shortId(r.intent.id)} approve --rule ${q.rule_id})`,
      );
    }
  }
  for (const a of r.advice ?? []) lines.push(`${c.dim('advice:')} ${a}`);
  return lines.join('\n');
}

export function formatCheck(
  r: Omit<CheckResult, 'conflicts'> & { conflicts: CheckConflictView[] },
  c: Palette = NO_COLOR,
  files: readonly string[] = [],
): string {
  const lines: string[] = [];
  if (files.length > 0) lines.push(`files: ${files.join(', ')}`);
  if (r.statements) {
    lines.push(
      `${r.statements.length} statement(s): ${r.statements.map((s) => s.kind).join(', ')}`,
    );
  }
  lines.push(`objects: ${list(r.objects.map((o) => `${o.action} ${o.kind} ${o.qualified}`))}`);
  if (r.branch_slug !== undefined) lines.push(`branch slug: ${r.branch_slug}`);
  lines.push('');
  if (r.conflicts_detected === 0) {
    lines.push(c.green('no conflicts'));
  } else {
    lines.push(`${r.conflicts_detected} conflict(s) would be recorded:`, '');
    lines.push(r.conflicts.map((x) => formatCheckConflict(x, c)).join('\n\n'));
    if (r.conflicts_omitted > 0) {
      lines.push(
        '',
        c.dim(
          `… and ${r.conflicts_omitted} more, not listed here (--max-conflicts all lists every one)`,
        ),
      );
    }
  }
  const w = formatWarnings(r.warnings, c);
  if (w.length > 0) lines.push('', ...w);
  return lines.join('\n');
}

export function formatParse(r: ParseResult, c: Palette = NO_COLOR): string {
  const lines: string[] = [];
  r.statements.forEach((s, i) => {
    lines.push(`${c.bold(`${i + 1}. ${s.kind}`)}  ${s.text}`);
    for (const o of s.objects ?? []) lines.push(`   ${o.action} ${o.kind} ${o.qualified}`);
  });
  if (lines.length === 0) lines.push('no statements');
  const w = formatWarnings(r.warnings, c);
  if (w.length > 0) lines.push('', ...w);
  return lines.join('\n');
}

export function formatIntentList(intents: readonly IntentSummary[], c: Palette = NO_COLOR): string {
  if (intents.length === 0) return 'no intents';
  const header = ['ID', 'STATUS', 'AGENT', 'FEATURE', 'BRANCH', 'OPEN CONFLICTS'];
  const rows = intents.map((i) => {
    const open = i.open_conflicts ?? 0;
    const errors = i.open_errors ?? 0;
    return [
      shortId(i.id),
      i.status,
      i.agent_id,
      i.feature_name,
      i.branch_name,
      open === 0 ? '0' : `${open}${errors > 0 ? ` (${errors} error${errors > 1 ? 's' : ''})` : ''}`,
    ];
  });
  const widths = header.map((_, col) =>
    Math.max(header[col]?.length ?? 0, ...rows.map((r) => (r[col] ?? '').length)),
  );
  const render = (cells: string[], paint: (cell: string, col: number) => string) =>
    cells
      .map((cell, col) => {
        const padded = col === cells.length - 1 ? cell : cell.padEnd(widths[col] ?? 0);
        return paint(padded, col);
      })
      .join('  ');
  return [
    render(header, (cell) => c.bold(cell)),
    ...rows.map((r, n) =>
      render(r, (cell, col) => {
        const i = intents[n] as IntentSummary;
        if (col === 1) return status(i.status, c).replace(i.status, cell);
        if (col === 5 && (i.open_errors ?? 0) > 0) return c.red(cell);
        return cell;
      }),
    ),
  ].join('\n');
}

export function formatHistory(entries: readonly HistoryEntry[], c: Palette = NO_COLOR): string {
  if (entries.length === 0) return 'no history';
  return entries
    .map(
      (h) =>
        `${c.dim(h.changed_at)}  ${h.old_status ?? '(new)'} -> ${status(h.new_status, c)}  by ${h.changed_by}${h.reason ? `: ${h.reason}` : ''}`,
    )
    .join('\n');
}

export function formatTransition(intent: Intent, c: Palette = NO_COLOR): string {
  return `intent ${shortId(intent.id)} is now ${status(intent.status, c)} (branch ${intent.branch_name})`;
}

export function formatResolved(x: Conflict, c: Palette = NO_COLOR): string {
  return `conflict #${x.id} ${c.green('resolved')} by ${x.reviewed_by ?? '?'} (${severity(x.severity, c)}): ${x.resolution_notes ?? ''}`;
}

export function formatReopened(x: Conflict, c: Palette = NO_COLOR): string {
  return `conflict #${x.id} is ${c.bold('open')} again (${severity(x.severity, c)} ${x.conflict_type} between ${shortId(x.intent_a)} and ${shortId(x.intent_b)})`;
}

export function formatVerify(v: VerifyResult, c: Palette = NO_COLOR): string {
  const counted = `${v.intents} intents, ${v.history_rows} history rows, ${v.conflict_events} conflict events`;
  if (v.ok) return `${c.green('audit trail intact')}: ${counted}\ndigest: ${v.digest}`;
  return [
    `${c.red('audit trail broken')}: ${v.problems} problem(s) in ${counted}`,
    ...v.broken.map(
      (p) =>
        `  ${p.chain} ${p.chain === 'intent' ? shortId(p.id) : `#${p.id}`}${p.row_id === null ? '' : ` row ${p.row_id}`}: ${p.problem}`,
    ),
  ].join('\n');
}

export function formatVersion(client: string, server: VersionInfo | null): string {
  const lines = [field('client', client)];
  if (server) {
    lines.push(field('server', server.version));
    if (server.schema)
      lines.push(field('schemas', `${server.schema} (API in ${server.api_schema ?? '?'})`));
    lines.push(field('bundle', server.bundle_hash ?? '-'));
    lines.push(field('runtime', server.runtime ?? '-'));
  } else {
    lines.push(field('server', '- (no database given)'));
  }
  return lines.join('\n');
}

export function formatEvent(e: PggitEvent, at: Date = new Date(), c: Palette = NO_COLOR): string {
  const ts = c.dim(at.toISOString());
  if (e.event === 'drift') {
    return `${ts}  drift  ${c.red(e.finding)}  (finding #${e.drift_id}: pggit drift)`;
  }
  const change =
    e.old_status === null ? status(e.status, c) : `${e.old_status} -> ${status(e.status, c)}`;
  return `${ts}  ${e.event}  ${change}  (${shortId(e.intent_id)})`;
}

export function formatHeartbeat(intent: Intent, c: Palette = NO_COLOR): string {
  return `intent ${shortId(intent.id)} lease renewed: ${c.bold(`expires at ${intent.lease_expires_at}`)} (${intent.lease_seconds} s)`;
}

export function formatSweep(r: SweepResult, c: Palette = NO_COLOR): string {
  if (r.swept === 0) return 'no expired intents';
  return `${c.bold(`swept ${r.swept} expired intent(s)`)} (abandoned, their conflicts released): ${r.intents.map(shortId).join(', ')}`;
}

export function formatDrift(findings: readonly DriftFinding[], c: Palette = NO_COLOR): string {
  if (findings.length === 0) return 'no drift';
  return findings
    .map((d) => {
      const objects = [...new Set(d.objects.map((o) => `${o.kind} ${o.qualified}`))];
      const lines = [
        `${c.bold(`drift #${d.id}`)}  ${d.finding === 'foreign' ? c.red(d.finding) : c.yellow(d.finding)}  ${d.command_tag} by ${d.agent_id}${d.session_role !== d.agent_id ? ` (database user ${d.session_role})` : ''}  ${c.dim(d.at)}`,
        `  on ${list(objects)}`,
      ];
      if (d.other_intents.length > 0) {
        lines.push(`  declared by other intents: ${d.other_intents.map(shortId).join(', ')}`);
      }
      if (d.own_intents.length > 0) {
        lines.push(
          `  its agent's intents in the command: ${d.own_intents.map(shortId).join(', ')}`,
        );
      }
      const statement = d.statement.replace(/\s+/g, ' ').trim();
      lines.push(`  ${c.dim(statement.length > 200 ? `${statement.slice(0, 200)}…` : statement)}`);
      return lines.join('\n');
    })
    .join('\n\n');
}

const decision = (d: string | null | undefined, c: Palette) =>
  d === 'approved' ? c.green(d) : d === 'rejected' ? c.red(d) : c.dim('pending');

export function formatReviews(r: ReviewState, c: Palette = NO_COLOR): string {
  const lines = [`reviews of intent ${shortId(r.intent_id)}`];
  if (r.required.length === 0) lines.push('  owner reviews: none required');
  for (const q of r.required) {
    lines.push(
      `  rule #${q.rule_id}  ${q.owner}  ${decision(q.decision, c)}  on ${list(q.objects)}`,
    );
  }
  lines.push(
    r.gate.enabled
      ? `  review gate: ${decision(r.gate.decision, c)} (merging needs an approval by someone other than its agent)`
      : `  review gate: ${c.dim('off')}`,
  );
  if (r.reviews.length > 0) {
    lines.push('decisions:');
    for (const x of r.reviews) {
      lines.push(
        `  ${c.dim(x.at)}  ${decision(x.decision, c)} by ${x.reviewer}${x.rule_id === null ? ' (review gate)' : ` (rule #${x.rule_id})`}${x.notes ? `: ${x.notes}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

function describeRule(r: Rule): string {
  const parts: string[] = [];
  if (r.conflict_type !== null) parts.push(`${r.conflict_type} conflicts`);
  if (r.pattern !== null) parts.push(`on ${r.pattern}`);
  if (r.metadata_key !== null) parts.push(`metadata ${r.metadata_key}=${r.metadata_value ?? ''}`);
  const scope = parts.join(' ');
  switch (r.kind) {
    case 'owner':
      return `${r.owner ?? '?'} owns ${r.pattern ?? '?'}: others' intents need its review`;
    case 'severity':
      return `${scope}: ${r.severity === 'none' ? 'not recorded' : `severity ${r.severity}`}`;
    default:
      return `${scope}: advice "${r.advice ?? ''}"`;
  }
}

export function formatRules(rules: readonly Rule[], c: Palette = NO_COLOR): string {
  if (rules.length === 0) return 'no rules';
  return rules.map((r) => `${c.bold(`rule #${r.id}`)}  ${r.kind}  ${describeRule(r)}`).join('\n');
}

export function formatRule(r: Rule, c: Palette = NO_COLOR): string {
  return r.removed_at === null
    ? `${c.green('added')} rule #${r.id} (${r.kind}): ${describeRule(r)}`
    : `removed rule #${r.id} (${r.kind}): ${describeRule(r)}`;
}

export function formatSettings(settings: Settings, c: Palette = NO_COLOR): string {
  const keys = Object.keys(settings).sort();
  if (keys.length === 0) return 'no settings';
  const width = Math.max(...keys.map((k) => k.length));
  return keys.map((k) => `${c.bold(k.padEnd(width))}  ${settings[k]}`).join('\n');
}
