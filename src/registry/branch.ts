/**
 * Branch names: `feature/<slug>` for the first use of a slug, then
 * `feature/<slug>_001`, `_002`, ... The counter lives in a table keyed by the
 * exact slug (no LIKE, so no wildcard can make two features share a counter).
 */
import { normalizeFeatureName } from '../detector/index.js';

export const MAX_SLUG_LENGTH = 80;

/**
 * The feature name as a git-ref-safe slug: lower case, every run of characters
 * outside [a-z0-9._-] replaced by `_`, bounded in length, and free of the
 * forms git refuses (`..`, a leading `.` or `-`, a trailing `.` or `.lock`).
 */
export function branchSlug(featureName: string): string {
  let slug = normalizeFeatureName(featureName).slice(0, MAX_SLUG_LENGTH);
  slug = slug.replace(/\.{2,}/g, '_');
  slug = slug.replace(/^[.-]/, '_');
  if (slug.endsWith('.')) slug = `${slug.slice(0, -1)}_`;
  if (slug.endsWith('.lock')) slug = `${slug}_`;
  return slug === '' ? '_' : slug;
}

/** The branch name for the n-th use (1-based) of a slug. */
export function branchName(slug: string, use: number): string {
  if (use <= 1) return `feature/${slug}`;
  return `feature/${slug}_${String(use - 1).padStart(3, '0')}`;
}
