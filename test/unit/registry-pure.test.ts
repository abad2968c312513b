/** The pure parts of the registry: packed SQLSTATEs, the lifecycle table, branch slugs. */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { branchName, branchSlug, MAX_SLUG_LENGTH } from '../../src/registry/branch.js';
import { PggitError, packSqlState, unpackSqlState } from '../../src/registry/errors.js';
import { canTransition, STATUSES } from '../../src/registry/lifecycle.js';

describe('packed SQLSTATE', () => {
  it('matches PostgreSQL MAKE_SQLSTATE for known codes', () => {
    // ERRCODE_INVALID_PARAMETER_VALUE and friends, as PostgreSQL computes them
    // 2 + (2 << 6) + (0 << 12) + (2 << 18) + (3 << 24)
    expect(packSqlState('22023')).toBe(50856066);
    expect(unpackSqlState(packSqlState('22023'))).toBe('22023');
    expect(unpackSqlState(packSqlState('P0002'))).toBe('P0002');
    expect(unpackSqlState(packSqlState('55000'))).toBe('55000');
    // a plain number 22023 read as a packed code is what real PLV8 reports as 7H500
    expect(unpackSqlState(22023)).toBe('7H500');
  });
  it('round-trips every valid code', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{5}$/), (code) => {
        expect(unpackSqlState(packSqlState(code))).toBe(code);
      }),
    );
  });
  it('PggitError carries the packed code, detail and hint, and its name stays Error', () => {
    const e = new PggitError('55000', 'nope', { detail: 'd', hint: 'h' });
    expect(e.code).toBe(packSqlState('55000'));
    expect(String(e)).toBe('Error: nope');
    expect([e.detail, e.hint]).toEqual(['d', 'h']);
  });
});

describe('lifecycle', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = STATUSES.flatMap((from) =>
      STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'registered>in_progress',
        'registered>abandoned',
        'registered>conflicted',
        'conflicted>registered',
        'conflicted>in_progress',
        'conflicted>abandoned',
        'in_progress>completed',
        'in_progress>abandoned',
        'completed>merged',
        'completed>abandoned',
      ].sort(),
    );
  });
});

describe('branch names', () => {
  it('slugs as the scenarios expect', () => {
    expect(branchSlug('stripe_integration')).toBe('stripe_integration');
    expect(branchSlug('Stripe Integration')).toBe('stripe_integration');
    expect(branchSlug('api/v2/users endpoint')).toBe('api_v2_users_endpoint');
    expect(branchSlug('user_')).toBe('user_');
    expect(branchName('x', 1)).toBe('feature/x');
    expect(branchName('x', 2)).toBe('feature/x_001');
    expect(branchName('x', 1001)).toBe('feature/x_1000');
  });
  it('are always safe git refs, bounded in length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: 5000 }), (name, use) => {
        const slug = branchSlug(name);
        expect(slug.length).toBeGreaterThan(0);
        expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH + 1);
        const ref = branchName(slug, use);
        // git check-ref-format rules that our alphabet could break
        expect(ref).toMatch(/^feature\/[a-z0-9._-]+$/);
        expect(ref).not.toMatch(/\.\.|\/\.|\/-|\.lock$|\.$|@\{/);
      }),
    );
  });
});
