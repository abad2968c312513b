/**
 * Each mistake of the reference (Confiture 0.3.7's regex detector), and our answer.
 */
import { describe, expect, it } from 'vitest';
import { detectConflicts, type IntentInput, parseScript } from '../../src/detector/index.js';

const objs = (sql: string) =>
  parseScript(sql).objects.map((o) => `${o.kind} ${o.action} ${o.qualified}`);
const I = (agent: string, sql: string): IntentInput => ({
  agent_id: agent,
  feature_name: `f_${agent}`,
  schema_changes: sql,
});

describe("the reference's mistakes", () => {
  it('ALTER TABLE public.users is table public.users, not `public`', () => {
    expect(objs('ALTER TABLE public.users ADD COLUMN x int')).toEqual([
      'table alter public.users',
      'column create public.users.x',
    ]);
  });

  it('CREATE TABLE IF NOT EXISTS t is table t, not `IF`', () => {
    expect(objs('CREATE TABLE IF NOT EXISTS t (id int)')).toEqual([
      'table create public.t',
      'column create public.t.id',
    ]);
  });

  it('ADD COLUMN IF NOT EXISTS c is column c, not `IF`', () => {
    expect(objs('ALTER TABLE t ADD COLUMN IF NOT EXISTS c int')).toContain(
      'column create public.t.c',
    );
  });

  it('ALTER TABLE ONLY t is table t, not `ONLY`', () => {
    expect(objs('ALTER TABLE ONLY t ADD c int')).toEqual([
      'table alter public.t',
      'column create public.t.c',
    ]);
  });

  it('CREATE INDEX CONCURRENTLY i is index i, not `CONCURRENTLY`', () => {
    expect(objs('CREATE INDEX CONCURRENTLY i ON t (a)')).toEqual([
      'index create public.i',
      'column reference public.t.a',
    ]);
  });

  it('an unnamed CREATE INDEX ON t (...) is an index on t, not an index named `ON`', () => {
    const [ix] = parseScript('CREATE INDEX ON t (a, b)').objects.filter((o) => o.kind === 'index');
    expect(ix).toMatchObject({
      qualified: 'public.t_a_b_idx',
      table: 'public.t',
      columns: ['a', 'b'],
      implicitName: true,
    });
  });

  it('CREATE OR REPLACE FUNCTION is seen', () => {
    expect(
      objs('CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ select 1 $$'),
    ).toEqual(['function create public.f']);
  });

  it('quoted identifiers and CREATE TEMP TABLE are seen', () => {
    expect(objs('CREATE TABLE "Order Items" ("Qty" int)')).toEqual([
      'table create public."Order Items"',
      'column create public."Order Items"."Qty"',
    ]);
    expect(objs('CREATE TEMP TABLE scratch (id int)')).toEqual([
      'table create pg_temp.scratch',
      'column create pg_temp.scratch.id',
    ]);
  });

  it('RENAME COLUMN, ALTER COLUMN ... TYPE, ADD without COLUMN and every ADD COLUMN of one statement are seen', () => {
    expect(objs('ALTER TABLE t RENAME COLUMN a TO b')).toEqual([
      'table alter public.t',
      'column rename public.t.a',
      'column rename public.t.b',
    ]);
    expect(objs('ALTER TABLE t ALTER COLUMN a TYPE bigint')).toContain('column alter public.t.a');
    expect(objs('ALTER TABLE t ADD x int')).toContain('column create public.t.x');
    expect(objs('ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int, ADD c int')).toEqual([
      'table alter public.t',
      'column create public.t.a',
      'column create public.t.b',
      'column create public.t.c',
    ]);
  });

  it('ADD CONSTRAINT name and DROP CONSTRAINT are seen, by name', () => {
    expect(
      objs('ALTER TABLE t ADD CONSTRAINT t_x_check CHECK (x > 0), DROP CONSTRAINT t_old'),
    ).toEqual([
      'table alter public.t',
      'constraint drop public.t.t_old',
      'constraint create public.t.t_x_check',
      'column reference public.t.x',
    ]);
  });

  it('names compare the way PostgreSQL resolves them, not case-sensitively as text', () => {
    const kinds = (a: string, b: string) =>
      detectConflicts(I('a', a), I('b', b)).map((r) => r.conflict_type);
    expect(
      kinds('ALTER TABLE USERS ADD Email text', 'alter table public.users add column email text'),
    ).toEqual(['table', 'column']);
    expect(kinds('ALTER TABLE "USERS" ADD email text', 'ALTER TABLE users ADD email text')).toEqual(
      [],
    );
  });

  it('object lists are sorted and deterministic, whatever the statement order', () => {
    const a = parseScript(
      'CREATE TABLE z (id int); CREATE TABLE a (id int); CREATE INDEX m ON z (id)',
    ).objects;
    const b = parseScript(
      'CREATE INDEX m ON z (id); CREATE TABLE a (id int); CREATE TABLE z (id int)',
    ).objects;
    expect(a).toEqual(b);
    expect(a.map((o) => o.qualified)).toEqual([
      'public.a',
      'public.a.id',
      'public.m',
      'public.z',
      'public.z.id',
      'public.z.id',
    ]);
  });
});
