/**
 * Argument validation for the SQL API. Every violation is SQLSTATE 22023 with
 * a message naming the argument; the limits are documented in the README.
 */
import { invalidArgument } from './errors.js';
import { isStatus, RISK_LEVELS, type RiskLevel, STATUSES, type Status } from './lifecycle.js';

export const LIMITS = {
  /** agent_id, feature_name, reviewed_by, changed_by: characters. */
  name: 200,
  /** schema_changes: characters of one script. */
  schemaChanges: 1_000_000,
  /** statements in one script. */
  statements: 5_000,
  /** tables_affected: entries. */
  tablesAffected: 1_000,
  /** metadata, serialised as JSON: characters. */
  metadata: 65_536,
  /** reason and resolution_notes: characters. */
  note: 10_000,
  /** intents in one page of pggit_list_intents, and its default. */
  page: 1_000,
  defaultPage: 100,
  /** lease_seconds: a year. */
  leaseSeconds: 31_536_000,
} as const;

/**
 * Characters as PostgreSQL counts them (`length()` in a UTF-8 database): code
 * points, not the UTF-16 units of a JS string's length.
 */
export function characters(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export function requiredText(name: string, value: unknown, max: number = LIMITS.name): string {
  if (value === null || value === undefined) throw invalidArgument(`${name} must not be NULL`);
  if (typeof value !== 'string') throw invalidArgument(`${name} must be text`);
  if (value.trim() === '') throw invalidArgument(`${name} must not be empty`);
  // a code point takes one or two UTF-16 units: count only when it could matter
  if (value.length > max) {
    const n = characters(value);
    if (n > max) throw invalidArgument(`${name} is too long: ${n} characters, the limit is ${max}`);
  }
  return value;
}

export function optionalText(name: string, value: unknown, max: number): string | null {
  if (value === null || value === undefined) return null;
  return requiredText(name, value, max);
}

export function tablesAffected(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgument('tables_affected must be a text array');
  if (value.length > LIMITS.tablesAffected) {
    throw invalidArgument(
      `tables_affected has ${value.length} entries, the limit is ${LIMITS.tablesAffected}`,
    );
  }
  return value.map((t, i) => requiredText(`tables_affected[${i + 1}]`, t));
}

export function estimatedDuration(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalidArgument('estimated_duration_ms must be a non-negative integer');
  }
  return value;
}

export function riskLevel(value: unknown): RiskLevel {
  if (typeof value !== 'string' || !(RISK_LEVELS as readonly string[]).includes(value)) {
    throw invalidArgument(
      `risk_level must be one of ${RISK_LEVELS.join(', ')}, not ${value === null ? 'NULL' : JSON.stringify(value)}`,
    );
  }
  return value as RiskLevel;
}

/**
 * Metadata arrives as the text of a jsonb value (the SQL API hands it over so,
 * PostgreSQL having parsed it already): it is checked here and stored from the
 * same text, so a number no JS number can hold is kept exactly as given.
 */
export function metadata(value: unknown): { text: string; value: Record<string, unknown> } {
  if (value === null || value === undefined) return { text: '{}', value: {} };
  if (typeof value !== 'string') throw invalidArgument('metadata must be a JSON object');
  const size = characters(value);
  if (size > LIMITS.metadata) {
    throw invalidArgument(
      `metadata is too large: ${size} characters of JSON, the limit is ${LIMITS.metadata}`,
    );
  }
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument('metadata must be a JSON object');
  }
  return { text: value, value: parsed as Record<string, unknown> };
}

export function statusFilter(value: unknown): Status | null {
  if (value === null || value === undefined) return null;
  if (!isStatus(value)) {
    throw invalidArgument(
      `status must be one of ${STATUSES.join(', ')}, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function severity(name: string, value: unknown): 'warning' | 'error' | null {
  if (value === null || value === undefined) return null;
  if (value !== 'warning' && value !== 'error') {
    throw invalidArgument(`${name} must be warning or error, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** A lease: 1 second to LIMITS.leaseSeconds, or null for the installation's default. */
export function leaseSeconds(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > LIMITS.leaseSeconds
  ) {
    throw invalidArgument(`lease_seconds must be an integer from 1 to ${LIMITS.leaseSeconds}`);
  }
  return value;
}

/** A page size: 1 to LIMITS.page. */
export function pageSize(value: unknown): number {
  if (value === null || value === undefined) return LIMITS.defaultPage;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIMITS.page) {
    throw invalidArgument(`limit must be an integer from 1 to ${LIMITS.page}`);
  }
  return value;
}

/**
 * How many conflicts a result lists: 0 or more, or null for all of them
 * (SQL NULL; every conflict is recorded and counted either way).
 */
export function maxConflicts(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalidArgument('max_conflicts must be an integer of 0 or more, or NULL for all');
  }
  return value;
}

export function conflictId(value: unknown, name = 'conflict_id'): number {
  if (value === null || value === undefined) throw invalidArgument(`${name} must not be NULL`);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidArgument(`${name} must be an integer`);
  }
  return value;
}

export function intentObject(name: string, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) throw invalidArgument(`${name} must not be NULL`);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`${name} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
