/**
 * The candidates of a registration: active, unexpired intents of other
 * agents that share a conflict key with it (the partial GIN index finds
 * them), ready for comparison.
 *
 * Parse once: a candidate is compared from the objects stored when it
 * registered (or, stored by another object-model version, from its script).
 * An intent's objects, tables and metadata never change, so a backend keeps
 * the prepared form of the candidates it has met (bounded, least recently
 * used first out): on a hot table, where every newcomer meets every intent
 * before it, each is read and prepared once per backend, not once per
 * registration. Status and model version are read fresh every time, and
 * only they: the agent and feature come with the prepared form.
 */
import { MODEL_VERSION, type PreparedIntent, prepareIntent } from '../detector/index.js';
import type { DbObject } from '../detector/types.js';
import type { Registry } from './context.js';
import type { Status } from './lifecycle.js';

export interface Candidate {
  id: string;
  agent_id: string;
  feature_name: string;
  status: Status;
  model_version: number;
}

/** What the candidates query reads of each: what can change. */
export interface CandidateRow {
  id: string;
  status: Status;
  model_version: number;
}

interface Stored {
  id: string;
  agent_id: string;
  feature_name: string;
  objects: DbObject[];
  tables_affected: string[];
  metadata: Record<string, unknown>;
  /** Only when the objects were stored by another model version. */
  schema_changes: string[] | null;
}

/** A candidate's prepared form, kept by the backend. */
export interface CandidateEntry {
  prepared: PreparedIntent;
  metadata: Record<string, unknown>;
}

interface Prepared extends CandidateEntry {
  /** The model version of the objects it was prepared from. */
  modelVersion: number;
  /** When it was last used (a counter): the least recently used go first. */
  used: number;
}

/**
 * Prepared candidates by id. An entry counts only for the model version it
 * was prepared from (rederive.ts changes an intent's version when it derives
 * it again). A hit only stamps the entry: moving it to the end of the Map
 * would store the id string just read (a young object) in the old Map, and
 * churn its table, at every candidate of every call.
 */
const cache = new Map<string, Prepared>();
export const CACHE_LIMIT = 5_000;
let clock = 0;

/** Over the limit: the least recently used go, down to 90% of it (one sort now and then). */
function evict(): void {
  if (cache.size <= CACHE_LIMIT) return;
  const byUse = [...cache].sort((x, y) => x[1].used - y[1].used);
  const drop = cache.size - Math.floor(CACHE_LIMIT * 0.9);
  for (let i = 0; i < drop; i++) cache.delete((byUse[i] as [string, Prepared])[0]);
}

function cached(c: CandidateRow): Prepared | undefined {
  const p = cache.get(c.id);
  return p !== undefined && p.modelVersion === c.model_version ? p : undefined;
}

function prepare(c: CandidateRow, s: Stored): Prepared {
  const intent = {
    id: c.id,
    agent_id: s.agent_id,
    feature_name: s.feature_name,
    schema_changes: s.schema_changes ?? [],
    tables_affected: s.tables_affected,
  };
  const prepared =
    c.model_version === MODEL_VERSION
      ? prepareIntent(intent, { statements: [], objects: s.objects, warnings: [] })
      : prepareIntent(intent);
  return { prepared, metadata: s.metadata, modelVersion: c.model_version, used: 0 };
}

/** The candidates, as two lists of one length: what was read of each, and its prepared form. */
export interface Candidates {
  rows: CandidateRow[];
  entries: CandidateEntry[];
}

/** A candidate as a result names it: made only for those with a conflict kept. */
export function candidateOf(row: CandidateRow, entry: CandidateEntry): Candidate {
  const { agent_id, feature_name } = entry.prepared.intent;
  return {
    id: row.id,
    agent_id,
    feature_name,
    status: row.status,
    model_version: row.model_version,
  };
}

export function candidates(r: Registry, mine: PreparedIntent): Candidates {
  const rows = r.rows<CandidateRow>(r.sql.candidates, [mine.keys, mine.intent.agent_id]);
  // one lookup per candidate, and no object made for one already prepared
  const entries: (CandidateEntry | undefined)[] = new Array(rows.length);
  let missing: CandidateRow[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const c = rows[i] as CandidateRow;
    const p = cached(c);
    if (p === undefined) {
      if (missing === undefined) missing = [];
      missing.push(c);
    } else {
      p.used = ++clock;
      entries[i] = p;
    }
  }
  if (missing !== undefined) {
    const stored = r.rows<Stored>(r.sql.storedCandidates, [
      missing.map((c) => c.id),
      MODEL_VERSION,
    ]);
    const byId = new Map(stored.map((x) => [x.id, x]));
    for (let i = 0; i < rows.length; i++) {
      if (entries[i] !== undefined) continue;
      const c = rows[i] as CandidateRow;
      const s = byId.get(c.id);
      if (s === undefined) continue; // gone meanwhile (cannot happen under our locks)
      const p = prepare(c, s); // new, or in place of another version's
      p.used = ++clock;
      cache.set(c.id, p);
      entries[i] = p;
    }
  }
  evict();
  if (missing === undefined || entries.every((e) => e !== undefined)) {
    return { rows, entries: entries as CandidateEntry[] };
  }
  const kept = rows.map((_, i) => i).filter((i) => entries[i] !== undefined);
  return {
    rows: kept.map((i) => rows[i] as CandidateRow),
    entries: kept.map((i) => entries[i] as CandidateEntry),
  };
}
