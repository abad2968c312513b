/**
 * One V8 context per backend and per role; SECURITY DEFINER functions run in
 * their owner's context; globals persist across calls within a context.
 *
 * fidelity: one context per role (plv8/README.md, recorded on real PLV8).
 * extension: the rest (upstream behaviour, not recorded).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;
const suffix = randomBytes(4).toString('hex');
const alice = `rt_alice_${suffix}`;
const bob = `rt_bob_${suffix}`;

async function val(c: pg.PoolClient, sql: string): Promise<unknown> {
  const r = await c.query(sql);
  return Object.values(r.rows[0] ?? {})[0];
}

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  await db.admin(`CREATE ROLE ${alice}`);
  await db.admin(`CREATE ROLE ${bob}`);
  await db.query(`
    CREATE FUNCTION rt_ctx_set(v text) RETURNS text LANGUAGE plv8 AS $$ globalThis.x = v; return v; $$;
    CREATE FUNCTION rt_ctx_get() RETURNS text LANGUAGE plv8 AS $$ return String(globalThis.x); $$;
    CREATE FUNCTION rt_ctx_get_definer() RETURNS text LANGUAGE plv8 SECURITY DEFINER AS $$ return String(globalThis.x); $$;
    CREATE FUNCTION rt_ctx_counter() RETURNS int LANGUAGE plv8 AS $$
      globalThis.counter = (globalThis.counter || 0) + 1; return globalThis.counter;
    $$;
  `);
});
afterAll(async () => {
  await db?.close();
  await db?.admin(`DROP ROLE IF EXISTS ${alice}`);
  await db?.admin(`DROP ROLE IF EXISTS ${bob}`);
});

fidelity('one context per role (plv8/README.md, recorded)', () => {
  it('each role has its own context; SECURITY DEFINER runs in the owner’s', async () => {
    const c = await db.pool.connect();
    try {
      await c.query("SELECT rt_ctx_set('owner value')");
      await c.query(`SET ROLE ${alice}`);
      expect(await val(c, 'SELECT rt_ctx_get()')).toBe('undefined');
      expect(await val(c, 'SELECT rt_ctx_get_definer()')).toBe('owner value');
      await c.query("SELECT rt_ctx_set('alice value')");
      expect(await val(c, 'SELECT rt_ctx_get()')).toBe('alice value');
      expect(await val(c, 'SELECT rt_ctx_get_definer()')).toBe('owner value');

      await c.query(`SET ROLE ${bob}`);
      expect(await val(c, 'SELECT rt_ctx_get()')).toBe('undefined');
      expect(await val(c, 'SELECT rt_ctx_get_definer()')).toBe('owner value');

      await c.query(`SET ROLE ${alice}`);
      expect(await val(c, 'SELECT rt_ctx_get()')).toBe('alice value');
      await c.query('RESET ROLE');
      expect(await val(c, 'SELECT rt_ctx_get()')).toBe('owner value');
    } finally {
      await c.query('RESET ROLE').catch(() => {});
      c.release();
    }
  });
});

extension('contexts (upstream behaviour)', () => {
  it('globals persist across calls in the same backend and role', async () => {
    const c = await db.pool.connect();
    try {
      expect(await val(c, 'SELECT rt_ctx_counter()')).toBe(1);
      expect(await val(c, 'SELECT rt_ctx_counter()')).toBe(2);
      expect(await val(c, 'SELECT rt_ctx_counter() + rt_ctx_counter()')).toBe(7);
      await c.query("SELECT rt_ctx_set('kept')");
      expect(await val(c, 'SELECT rt_ctx_get()')).toBe('kept');
    } finally {
      c.release();
    }
  });

  it('another backend has its own context', async () => {
    const c1 = await db.pool.connect();
    const c2 = await db.pool.connect();
    try {
      await c1.query("SELECT rt_ctx_set('in c1')");
      expect(await val(c1, 'SELECT pg_backend_pid()')).not.toBe(
        await val(c2, 'SELECT pg_backend_pid()'),
      );
      expect(await val(c2, 'SELECT rt_ctx_get()')).not.toBe('in c1');
    } finally {
      c1.release();
      c2.release();
    }
  });

  it('a function replaced with CREATE OR REPLACE runs its new body', async () => {
    const c = await db.pool.connect();
    try {
      await c.query('CREATE FUNCTION rt_ctx_v() RETURNS int LANGUAGE plv8 AS $$ return 1; $$');
      expect(await val(c, 'SELECT rt_ctx_v()')).toBe(1);
      await c.query(
        'CREATE OR REPLACE FUNCTION rt_ctx_v() RETURNS int LANGUAGE plv8 AS $$ return 2; $$',
      );
      expect(await val(c, 'SELECT rt_ctx_v()')).toBe(2);
    } finally {
      c.release();
    }
  });
});
