/**
 * The intent lifecycle: registered → in_progress → completed → merged, or
 * abandoned from any unfinished state. `conflicted` marks a newcomer that has
 * open conflicts; it returns to `registered` once they are resolved (or their
 * other sides are merged or abandoned), and it may start directly only when
 * none of its error-severity conflicts is still open. A registered intent
 * becomes conflicted again when one of its resolved conflicts is re-opened.
 */

export const STATUSES = [
  'registered',
  'in_progress',
  'completed',
  'merged',
  'abandoned',
  'conflicted',
] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses whose changes are not in main yet: new intents are checked against these. */
export const ACTIVE_STATUSES: readonly Status[] = [
  'registered',
  'in_progress',
  'completed',
  'conflicted',
];

export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

const TRANSITIONS: Record<Status, readonly Status[]> = {
  // conflicted again only when a resolved conflict it recorded is re-opened
  registered: ['in_progress', 'abandoned', 'conflicted'],
  conflicted: ['registered', 'in_progress', 'abandoned'],
  in_progress: ['completed', 'abandoned'],
  completed: ['merged', 'abandoned'],
  merged: [],
  abandoned: [],
};

export const isStatus = (s: unknown): s is Status =>
  typeof s === 'string' && (STATUSES as readonly string[]).includes(s);

export const isActive = (s: Status): boolean => ACTIVE_STATUSES.includes(s);

export const allowedTransitions = (from: Status): readonly Status[] => TRANSITIONS[from];

export const canTransition = (from: Status, to: Status): boolean => TRANSITIONS[from].includes(to);

/** The SQL literal list of active statuses, for queries and the partial index. */
export const ACTIVE_STATUS_SQL = ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ');
