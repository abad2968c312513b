/**
 * extension: plv8.v8_flags. Real PLV8 documents this setting (V8 flags,
 * superuser only, read when PLV8 starts V8); nothing about it is recorded in
 * ./plv8-reference, so what is asserted here is plv8_compat's own contract
 * (plv8/README.md): the flags are applied when V8 starts in a backend, after
 * the runtime's own, so a connection that sets them before its first plv8
 * call gets them, and setting them later changes nothing in that backend.
 *
 * `--expose-gc` is the observable flag: it defines a global `gc` function.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension } from './kind.js';

let db: TestDatabase;
const clients: pg.Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await db?.close();
});

async function connect(url = db.url, options?: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, options });
  await c.connect();
  clients.push(c);
  return c;
}

const GC_SQL = `SELECT plv8_rt_typeof_gc() AS t`;

extension('plv8.v8_flags', () => {
  beforeAll(async () => {
    await db.query(`CREATE OR REPLACE FUNCTION plv8_rt_typeof_gc() RETURNS text
      LANGUAGE plv8 AS $$ return typeof globalThis.gc; $$`);
  });

  it('flags set before the first plv8 call of a backend take effect there', async () => {
    const plain = await connect();
    expect((await plain.query(GC_SQL)).rows[0]!.t).toBe('undefined');
    const flagged = await connect(db.url, '-c plv8.v8_flags=--expose-gc');
    expect((await flagged.query("SELECT current_setting('plv8.v8_flags') AS f")).rows[0]!.f).toBe(
      '--expose-gc',
    );
    expect((await flagged.query(GC_SQL)).rows[0]!.t).toBe('function');
    // and the flagged backend's JS runs as before
    expect(
      (await flagged.query('SELECT plv8_rt_typeof_gc() = $1 AS same', ['function'])).rows[0]!.same,
    ).toBe(true);
  });

  it('set with SET in a session before its first call, too; after it, nothing changes', async () => {
    const c = await connect();
    await c.query("SET plv8.v8_flags = '--expose-gc'");
    expect((await c.query(GC_SQL)).rows[0]!.t).toBe('function');

    const late = await connect();
    expect((await late.query(GC_SQL)).rows[0]!.t).toBe('undefined');
    await late.query("SET plv8.v8_flags = '--expose-gc'");
    // V8 already runs in this backend: its flags were read when it started
    expect((await late.query(GC_SQL)).rows[0]!.t).toBe('undefined');
  });

  it('an unknown flag does not stop V8 from starting', async () => {
    const c = await connect(db.url, '-c plv8.v8_flags=--no-such-flag-for-pggit');
    expect((await c.query(GC_SQL)).rows[0]!.t).toBe('undefined');
  });

  it('only a superuser may set it (42501 for others)', async () => {
    const role = `rt_flags_user_${Math.floor(Math.random() * 1e9)}`;
    await db.admin(`CREATE ROLE ${role} LOGIN`);
    try {
      const c = await connect(db.urlFor(role));
      await c.query('SELECT plv8_rt_typeof_gc()'); // loads the runtime, which defines the setting
      await expect(c.query("SET plv8.v8_flags = '--expose-gc'")).rejects.toMatchObject({
        code: '42501',
      });
      await c.end();
    } finally {
      await db.admin(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
