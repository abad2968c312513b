/**
 * The seed scenarios (/work/shared/scenarios) at detector level: the SQL runner
 * checks them end to end; here each expected conflict list is mirrored against
 * detectConflicts(newcomer, existing) directly.
 */
import { describe, expect, it } from 'vitest';
import { detectConflicts, type IntentInput } from '../../src/detector/index.js';

const I = (
  agent_id: string,
  feature_name: string,
  schema_changes: string,
  tables_affected?: string[],
): IntentInput => ({ agent_id, feature_name, schema_changes, tables_affected });

const brief = (a: IntentInput, b: IntentInput) =>
  detectConflicts(a, b).map((r) => ({
    type: r.conflict_type,
    severity: r.severity,
    objects: r.affected_objects,
  }));

describe('seed scenarios', () => {
  it('01 independent features do not conflict', () => {
    const a = I(
      'claude-payments',
      'stripe_integration',
      'CREATE TABLE stripe_customers (id TEXT PRIMARY KEY, user_id INT UNIQUE); CREATE TABLE stripe_charges (id TEXT PRIMARY KEY, customer_id TEXT REFERENCES stripe_customers(id));',
    );
    const b = I(
      'claude-auth',
      'oauth2_flow',
      'CREATE TABLE oauth_tokens (id SERIAL PRIMARY KEY, user_id INT, token TEXT UNIQUE); CREATE TABLE oauth_providers (id SERIAL PRIMARY KEY, name TEXT UNIQUE);',
    );
    expect(brief(b, a)).toEqual([]);
    expect(brief(a, b)).toEqual([]);
  });

  it('02 different columns on one table: exactly a table warning', () => {
    const a = I(
      'claude-payments',
      'stripe_integration',
      'ALTER TABLE users ADD COLUMN stripe_customer_id TEXT',
    );
    const b = I('claude-auth', 'oauth2', 'ALTER TABLE users ADD COLUMN oauth_provider TEXT');
    const c = I('claude-security', 'mfa', 'ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN');
    const table = [{ type: 'table', severity: 'warning', objects: ['public.users'] }];
    expect(brief(b, a)).toEqual(table);
    expect(brief(c, a)).toEqual(table);
    expect(brief(c, b)).toEqual(table);
  });

  it('03 the same column twice: table warning and column error', () => {
    const a = I('agent-a', 'user_email', 'ALTER TABLE users ADD COLUMN email TEXT');
    const b = I('agent-b', 'email_verification', 'ALTER TABLE users ADD COLUMN email VARCHAR(255)');
    expect(brief(b, a)).toEqual([
      { type: 'table', severity: 'warning', objects: ['public.users'] },
      { type: 'column', severity: 'error', objects: ['public.users.email'] },
    ]);
    const col = detectConflicts(b, a)[1];
    expect(col?.resolution_suggestions).toEqual([
      'Coordinate with agent-a (feature "user_email"): both add public.users.email; agree on one definition and apply it once, after "user_email" merges.',
    ]);
  });

  it('04 CREATE OR REPLACE FUNCTION vs DROP FUNCTION: exactly a function error', () => {
    const a = I(
      'agent-a',
      'totals_v2',
      'CREATE OR REPLACE FUNCTION calculate_total(order_id int) RETURNS numeric LANGUAGE sql AS $$ SELECT sum(amount) FROM order_lines WHERE order_id = $1 $$;',
    );
    const b = I('agent-b', 'remove_totals', 'DROP FUNCTION calculate_total(int);');
    expect(brief(b, a)).toEqual([
      { type: 'function', severity: 'error', objects: ['public.calculate_total'] },
    ]);
  });

  it('06 completed-but-unmerged work: column error on orders.status', () => {
    const a = I(
      'agent-a',
      'order_status',
      "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new'",
    );
    const b = I(
      'agent-b',
      'order_state_machine',
      'ALTER TABLE orders ADD COLUMN status order_state',
    );
    expect(brief(b, a)).toContainEqual({
      type: 'column',
      severity: 'error',
      objects: ['public.orders.status'],
    });
  });

  it('07 the same agent never conflicts with itself', () => {
    const a = I('solo', 'part_one', 'ALTER TABLE users ADD COLUMN a int');
    const b = I('solo', 'part_two', 'ALTER TABLE users ADD COLUMN a bigint');
    expect(detectConflicts(b, a)).toEqual([]);
  });

  it('08 same column, different types: conflicted', () => {
    const a = I('agent-a', 'profile_bio', 'ALTER TABLE profiles ADD COLUMN bio TEXT');
    const b = I('agent-b', 'profile_about', 'ALTER TABLE profiles ADD COLUMN bio VARCHAR(500)');
    expect(brief(b, a).map((r) => r.type)).toEqual(['table', 'column']);
  });

  it('11 diamond: the view builder conflicts with both, the others are independent', () => {
    const a = I(
      'claude-marketing',
      'user_segments',
      "ALTER TABLE users ADD COLUMN segment TEXT DEFAULT 'standard'; CREATE INDEX idx_users_segment ON users(segment)",
      ['users'],
    );
    const b = I(
      'claude-orders',
      'order_priority',
      'ALTER TABLE orders ADD COLUMN priority INTEGER DEFAULT 0; ALTER TABLE orders ADD CONSTRAINT check_priority CHECK (priority BETWEEN 0 AND 10); CREATE INDEX idx_orders_priority ON orders(priority)',
      ['orders'],
    );
    const c = I(
      'claude-analytics',
      'segment_analytics',
      'CREATE MATERIALIZED VIEW user_segment_stats AS SELECT u.segment, COUNT(o.id) AS order_count, AVG(o.total) AS avg_order FROM users u LEFT JOIN orders o ON u.id = o.user_id GROUP BY u.segment; CREATE INDEX idx_segment_stats ON user_segment_stats(segment)',
      ['users', 'orders'],
    );
    expect(brief(b, a)).toEqual([]);
    expect(brief(c, a)).toContainEqual({
      type: 'table',
      severity: 'warning',
      objects: ['public.users'],
    });
    expect(brief(c, b)).toContainEqual({
      type: 'table',
      severity: 'warning',
      objects: ['public.orders'],
    });
  });

  it('12 schema qualification, IF NOT EXISTS, ONLY and case folding name one column', () => {
    const a = I(
      'agent-a',
      'contact_email',
      'ALTER TABLE public.users ADD COLUMN IF NOT EXISTS email text;',
    );
    const b = I('agent-b', 'login_email', 'alter table only USERS add email varchar(100);');
    const c = I('agent-c', 'quoted', 'ALTER TABLE "Users" ADD COLUMN email text');
    expect(brief(b, a)).toEqual([
      { type: 'table', severity: 'warning', objects: ['public.users'] },
      { type: 'column', severity: 'error', objects: ['public.users.email'] },
    ]);
    expect(brief(c, a)).toEqual([]);
    expect(brief(c, b)).toEqual([]);
  });

  it('13 same feature name by different agents: exactly timing; DROP vs FK: exactly dependency', () => {
    const a = I('agent-a', 'invoices', 'CREATE TABLE invoice_lines (id int PRIMARY KEY)');
    const b = I('agent-b', 'Invoices', 'CREATE TABLE invoice_pdfs (id int PRIMARY KEY)');
    expect(brief(b, a)).toEqual([{ type: 'timing', severity: 'warning', objects: ['invoices'] }]);
    const c = I('agent-c', 'drop_legacy_customers', 'DROP TABLE customers;');
    const d = I(
      'agent-d',
      'billing_accounts',
      'CREATE TABLE billing_accounts (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id));',
    );
    expect(brief(d, c)).toEqual([
      { type: 'dependency', severity: 'error', objects: ['public.customers'] },
    ]);
    expect(brief(c, d)).toEqual([
      { type: 'dependency', severity: 'error', objects: ['public.customers'] },
    ]);
    expect(brief(d, a)).toEqual([]);
    expect(brief(c, a)).toEqual([]);
  });

  it('14 a duplicate index under another name: index warning', () => {
    const a = I(
      'agent-a',
      'orders_by_date',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON orders (created_at);',
    );
    const b = I(
      'agent-b',
      'reporting',
      'CREATE INDEX idx_orders_created_at ON public.orders USING btree (created_at)',
    );
    const reports = detectConflicts(b, a);
    expect(reports.map((r) => [r.conflict_type, r.severity])).toContainEqual(['index', 'warning']);
    const idx = reports.find((r) => r.conflict_type === 'index');
    expect(idx?.affected_objects).toEqual([
      'public.idx_orders_created_at',
      'public.orders_created_idx',
    ]);
    expect(idx?.resolution_suggestions[0]).toContain(
      'Combine the two index definitions on public.orders (created_at) into one',
    );
  });
});
