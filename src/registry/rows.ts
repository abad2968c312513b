/** The rows the registry reads and returns, as `to_jsonb` renders them. */
import type { Status } from './lifecycle.js';

export interface IntentRow {
  id: string;
  agent_id: string;
  feature_name: string;
  feature_key: string;
  branch_name: string;
  schema_changes: string[];
  tables_affected: string[];
  estimated_duration_ms: number | null;
  risk_level: string;
  status: Status;
  metadata: Record<string, unknown>;
  object_keys: string[];
  created_at: string;
  updated_at: string;
}

export interface ConflictRow {
  id: number;
  intent_a: string;
  intent_b: string;
  conflict_type: string;
  affected_objects: string[];
  severity: 'warning' | 'error';
  resolution_suggestions: string[];
  resolution_suggestions_b?: string[];
  reviewed: boolean;
  reviewed_at: string | null;
  reviewed_by: string | null;
  resolution_notes: string | null;
  severity_rule: number | null;
  created_at: string;
}
