/**
 * Human-readable rendering of what the SQL API returns. Presentation only.
 */
import type {
  CheckConflict,
  CheckResult,
  Conflict,
  HistoryEntry,
  Intent,
  PggitEvent,
  RegisterResult,
  VersionInfo,
} from '../client/index.js';
import type { ParseWarning } from '../detector/types.js';

const field = (label: string, value: string) => `${`${label}:`.padEnd(16)}${value}`;

const list = (items: readonly string[] | null | undefined) =>
  items && items.length > 0 ? items.join(', ') : '-';

function indent(lines: string[], by = '  '): string[] {
  return lines.map((l) => (l === '' ? l : by + l));
}

export function formatIntent(intent: Intent): string {
  const lines = [
    field('intent', intent.id),
    field('agent', intent.agent_id),
    field('feature', intent.feature_name),
    field('status', intent.status),
    field('branch', intent.branch_name),
    field('risk', intent.risk_level),
  ];
  if (intent.estimated_duration_ms !== null && intent.estimated_duration_ms !== undefined) {
    lines.push(field('duration', `${intent.estimated_duration_ms} ms`));
  }
  lines.push(field('tables', list(intent.tables_affected)));
  lines.push(field('conflicts with', list(intent.conflicts_with)));
  if (intent.metadata && Object.keys(intent.metadata).length > 0) {
    lines.push(field('metadata', JSON.stringify(intent.metadata)));
  }
  lines.push(field('created', intent.created_at));
  lines.push(field('updated', intent.updated_at));
  lines.push('statements:');
  lines.push(...indent(intent.schema_changes.map((s) => `${s};`)));
  return lines.join('\n');
}

function suggestions(items: readonly string[]): string[] {
  return items.map((s) => `  suggestion: ${s}`);
}

export function formatConflict(c: Conflict): string {
  const lines = [
    `conflict #${c.id}  ${c.severity}  ${c.conflict_type}  on ${list(c.affected_objects)}`,
    `  between intent ${c.intent_a} and intent ${c.intent_b}`,
    c.reviewed
      ? `  resolved by ${c.reviewed_by ?? '?'} at ${c.reviewed_at ?? '?'}: ${c.resolution_notes ?? ''}`
      : '  open',
    ...suggestions(c.resolution_suggestions),
  ];
  return lines.join('\n');
}

export function formatConflicts(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 0) return 'no conflicts';
  return conflicts.map(formatConflict).join('\n\n');
}

/** A conflict found by pggit_check, or offline (where the other side may have no id or status). */
export type CheckConflictView = Omit<CheckConflict, 'intent_b' | 'with_status'> & {
  intent_b: string | null;
  with_status: string | null;
};

function formatCheckConflict(c: CheckConflictView): string {
  const about = [c.intent_b === null ? null : `intent ${c.intent_b}`, c.with_status].filter(
    (x) => x !== null,
  );
  return [
    `${c.severity}  ${c.conflict_type}  on ${list(c.affected_objects)}`,
    `  with ${c.with_agent} ("${c.with_feature}"${about.length > 0 ? `, ${about.join(', ')}` : ''})`,
    ...suggestions(c.resolution_suggestions),
  ].join('\n');
}

function formatWarnings(warnings: readonly ParseWarning[]): string[] {
  return warnings.map(
    (w) => `warning${w.statement >= 0 ? ` (statement ${w.statement + 1})` : ''}: ${w.message}`,
  );
}

export function formatRegister(r: RegisterResult): string {
  const lines = [formatIntent(r.intent)];
  if (r.conflicts.length > 0) {
    lines.push('', `${r.conflicts.length} conflict(s) recorded:`, '', formatConflicts(r.conflicts));
  } else {
    lines.push('', 'no conflicts');
  }
  const w = formatWarnings(r.warnings);
  if (w.length > 0) lines.push('', ...w);
  return lines.join('\n');
}

export function formatCheck(
  r: Omit<CheckResult, 'conflicts'> & { conflicts: CheckConflictView[] },
): string {
  const lines: string[] = [];
  if (r.statements) {
    lines.push(
      `${r.statements.length} statement(s): ${r.statements.map((s) => s.kind).join(', ')}`,
    );
  }
  lines.push(`objects: ${list(r.objects.map((o) => `${o.action} ${o.kind} ${o.qualified}`))}`);
  if (r.branch_slug !== undefined) lines.push(`branch slug: ${r.branch_slug}`);
  lines.push('');
  if (r.conflicts_detected === 0) {
    lines.push('no conflicts');
  } else {
    lines.push(`${r.conflicts_detected} conflict(s) would be recorded:`, '');
    lines.push(r.conflicts.map(formatCheckConflict).join('\n\n'));
  }
  const w = formatWarnings(r.warnings);
  if (w.length > 0) lines.push('', ...w);
  return lines.join('\n');
}

export function formatIntentList(intents: readonly Intent[]): string {
  if (intents.length === 0) return 'no intents';
  const rows = [
    ['ID', 'STATUS', 'AGENT', 'FEATURE', 'BRANCH', 'CONFLICTS'],
    ...intents.map((i) => [
      i.id,
      i.status,
      i.agent_id,
      i.feature_name,
      i.branch_name,
      String(i.conflicts_with.length),
    ]),
  ];
  const widths =
    rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

export function formatHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'no history';
  return entries
    .map(
      (h) =>
        `${h.changed_at}  ${h.old_status ?? '(new)'} -> ${h.new_status}  by ${h.changed_by}${h.reason ? `: ${h.reason}` : ''}`,
    )
    .join('\n');
}

export function formatTransition(intent: Intent): string {
  return `intent ${intent.id} is now ${intent.status} (branch ${intent.branch_name})`;
}

export function formatResolved(c: Conflict): string {
  return `conflict #${c.id} resolved by ${c.reviewed_by ?? '?'}: ${c.resolution_notes ?? ''}`;
}

export function formatVersion(client: string, server: VersionInfo | null): string {
  const lines = [field('client', client)];
  if (server) {
    lines.push(field('server', server.version));
    lines.push(field('bundle', server.bundle_hash ?? '-'));
    lines.push(field('runtime', server.runtime ?? '-'));
  }
  return lines.join('\n');
}

export function formatEvent(e: PggitEvent, at: Date = new Date()): string {
  const ts = at.toISOString();
  const change = e.old_status === null ? e.status : `${e.old_status} -> ${e.status}`;
  return `${ts}  ${e.event}  ${change}  (${e.intent_id})`;
}
