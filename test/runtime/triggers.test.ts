/**
 * Trigger functions, from SQL.
 *
 * fidelity: boundary.sql t1–t6 as recorded on real PLV8 3.1.10 / 3.2.2.
 * extension: the trigger variables and the rest of the result rules, read
 * in upstream plv8.cc's CallTrigger (not recorded).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;

async function rows(sql: string, params: unknown[] = []) {
  return (await db.query(sql, params)).rows;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await detectRuntime(db);
  await db.query(`
    CREATE TABLE rt_tg_log (n serial, info jsonb);
    CREATE FUNCTION rt_tg_record() RETURNS trigger LANGUAGE plv8 AS $$
      plv8.execute('INSERT INTO rt_tg_log (info) VALUES ($1)', [{
        op: TG_OP, name: TG_NAME, when: TG_WHEN, level: TG_LEVEL,
        table: TG_TABLE_NAME, schema: TG_TABLE_SCHEMA, argv: TG_ARGV,
        argvIsArray: Array.isArray(TG_ARGV),
        NEW: NEW === undefined ? 'undefined' : NEW, OLD: OLD === undefined ? 'undefined' : OLD
      }]);
      return NEW === undefined ? OLD : NEW;
    $$;
  `);
});
afterAll(async () => {
  await db?.close();
});

extension('trigger variables (upstream plv8.cc CallTrigger)', () => {
  it('row triggers see NEW, OLD, TG_OP, TG_NAME, TG_WHEN, TG_LEVEL, TG_TABLE_*, TG_ARGV', async () => {
    await db.query(`
      CREATE TABLE rt_tg_a (id int PRIMARY KEY, name text);
      CREATE TRIGGER rt_tg_a_before BEFORE INSERT OR UPDATE OR DELETE ON rt_tg_a
        FOR EACH ROW EXECUTE FUNCTION rt_tg_record('one', 'two');
      TRUNCATE rt_tg_log;
      INSERT INTO rt_tg_a VALUES (1, 'x');
      UPDATE rt_tg_a SET name = 'y' WHERE id = 1;
      DELETE FROM rt_tg_a WHERE id = 1;
    `);
    const log = (await rows('SELECT info FROM rt_tg_log ORDER BY n')).map((r) => r.info);
    const common = {
      name: 'rt_tg_a_before',
      when: 'BEFORE',
      level: 'ROW',
      table: 'rt_tg_a',
      schema: 'public',
      argv: ['one', 'two'],
      argvIsArray: true,
    };
    expect(log).toEqual([
      { ...common, op: 'INSERT', NEW: { id: 1, name: 'x' }, OLD: 'undefined' },
      { ...common, op: 'UPDATE', NEW: { id: 1, name: 'y' }, OLD: { id: 1, name: 'x' } },
      { ...common, op: 'DELETE', NEW: 'undefined', OLD: { id: 1, name: 'y' } },
    ]);
  });

  it('statement-level triggers (AFTER INSERT, BEFORE TRUNCATE) run with NEW/OLD undefined', async () => {
    await db.query(`
      CREATE TABLE rt_tg_s (id int);
      CREATE TRIGGER rt_tg_s_ins AFTER INSERT ON rt_tg_s FOR EACH STATEMENT EXECUTE FUNCTION rt_tg_record();
      CREATE TRIGGER rt_tg_s_trunc BEFORE TRUNCATE ON rt_tg_s FOR EACH STATEMENT EXECUTE FUNCTION rt_tg_record('t');
      TRUNCATE rt_tg_log;
      INSERT INTO rt_tg_s VALUES (1), (2);
      TRUNCATE rt_tg_s;
    `);
    const log = (await rows('SELECT info FROM rt_tg_log ORDER BY n')).map((r) => r.info);
    expect(log).toEqual([
      {
        op: 'INSERT',
        name: 'rt_tg_s_ins',
        when: 'AFTER',
        level: 'STATEMENT',
        table: 'rt_tg_s',
        schema: 'public',
        argv: [],
        argvIsArray: true,
        NEW: 'undefined',
        OLD: 'undefined',
      },
      {
        op: 'TRUNCATE',
        name: 'rt_tg_s_trunc',
        when: 'BEFORE',
        level: 'STATEMENT',
        table: 'rt_tg_s',
        schema: 'public',
        argv: ['t'],
        argvIsArray: true,
        NEW: 'undefined',
        OLD: 'undefined',
      },
    ]);
  });
});

extension('trigger results (upstream plv8.cc CallTrigger)', () => {
  beforeAll(async () => {
    await db.query(`
      CREATE TABLE rt_tg_r (id int PRIMARY KEY, name text, n int, stamp text);
      CREATE FUNCTION rt_tg_rewrite() RETURNS trigger LANGUAGE plv8 AS $$
        if (NEW.id < 0) return null;                       // skip the row
        if (NEW.name === 'keep') return undefined;          // keep the row as it is
        if (NEW.name === 'replace')                         // a brand new object
          return { id: NEW.id, name: 'REPLACED', n: 100, stamp: TG_OP };
        NEW.name = NEW.name.toUpperCase();                  // modify NEW in place
        NEW.stamp = TG_OP;
        return NEW;
      $$;
      CREATE TRIGGER rt_tg_r_before BEFORE INSERT OR UPDATE ON rt_tg_r
        FOR EACH ROW EXECUTE FUNCTION rt_tg_rewrite();
    `);
  });

  it('a returned object replaces the row (by column names)', async () => {
    await db.query("INSERT INTO rt_tg_r (id, name, n) VALUES (1, 'abc', 1), (2, 'replace', 2)");
    expect(await rows('SELECT * FROM rt_tg_r ORDER BY id')).toEqual([
      { id: 1, name: 'ABC', n: 1, stamp: 'INSERT' },
      { id: 2, name: 'REPLACED', n: 100, stamp: 'INSERT' },
    ]);
    await db.query("UPDATE rt_tg_r SET name = 'def' WHERE id = 1");
    expect(await rows('SELECT * FROM rt_tg_r WHERE id = 1')).toEqual([
      { id: 1, name: 'DEF', n: 1, stamp: 'UPDATE' },
    ]);
  });

  it('returning null in a BEFORE row trigger skips the row', async () => {
    const r = await db.query("INSERT INTO rt_tg_r (id, name) VALUES (-1, 'skipped'), (3, 'kept')");
    expect(r.rowCount).toBe(1);
    expect((await rows('SELECT id FROM rt_tg_r WHERE id IN (-1, 3)')).map((x) => x.id)).toEqual([
      3,
    ]);
    const u = await db.query('UPDATE rt_tg_r SET id = -5 WHERE id = 3');
    expect(u.rowCount).toBe(0);
  });

  it('returning undefined in a BEFORE row trigger keeps the row unchanged (as real PLV8 does)', async () => {
    const r = await db.query("INSERT INTO rt_tg_r (id, name, n) VALUES (4, 'keep', 4)");
    expect(r.rowCount).toBe(1);
    expect(await rows('SELECT * FROM rt_tg_r WHERE id = 4')).toEqual([
      { id: 4, name: 'keep', n: 4, stamp: null },
    ]);
  });

  it('returning NEW unchanged from BEFORE DELETE lets the delete happen; null cancels it', async () => {
    await db.query(`
      CREATE TABLE rt_tg_del (id int);
      INSERT INTO rt_tg_del VALUES (1), (2);
      CREATE FUNCTION rt_tg_del_fn() RETURNS trigger LANGUAGE plv8 AS $$ return OLD.id === 1 ? OLD : null; $$;
      CREATE TRIGGER d BEFORE DELETE ON rt_tg_del FOR EACH ROW EXECUTE FUNCTION rt_tg_del_fn();
    `);
    const r = await db.query('DELETE FROM rt_tg_del');
    expect(r.rowCount).toBe(1);
    expect(await rows('SELECT id FROM rt_tg_del')).toEqual([{ id: 2 }]);
  });

  it('an error thrown in a trigger aborts the statement', async () => {
    await db.query(`
      CREATE TABLE rt_tg_err (id int);
      CREATE FUNCTION rt_tg_err_fn() RETURNS trigger LANGUAGE plv8 AS $$ throw new Error('rejected ' + NEW.id); $$;
      CREATE TRIGGER e BEFORE INSERT ON rt_tg_err FOR EACH ROW EXECUTE FUNCTION rt_tg_err_fn();
    `);
    await expect(db.query('INSERT INTO rt_tg_err VALUES (7)')).rejects.toMatchObject({
      message: 'rejected 7',
      code: 'XX000',
    });
    expect(await rows('SELECT * FROM rt_tg_err')).toEqual([]);
  });
});

async function catch_(sql: string): Promise<string> {
  try {
    await db.query(sql);
    return 'ok';
  } catch (e) {
    const err = e as Error & { code?: string };
    return `${err.code}|${err.message}`;
  }
}

fidelity('trigger results (boundary.sql t1–t6)', () => {
  it('t1, t2: an AFTER row trigger may return NEW or null', async () => {
    await db.query(`
      CREATE TABLE rt_tg_kt (id int, v text);
      CREATE FUNCTION rt_tg_k_after() RETURNS trigger LANGUAGE plv8 AS $$ return NEW; $$;
      CREATE FUNCTION rt_tg_k_after_null() RETURNS trigger LANGUAGE plv8 AS $$ return null; $$;
      CREATE TRIGGER k_after AFTER INSERT ON rt_tg_kt FOR EACH ROW EXECUTE FUNCTION rt_tg_k_after();
    `);
    expect(await catch_("INSERT INTO rt_tg_kt VALUES (1, 'a')")).toBe('ok');
    await db.query(`
      DROP TRIGGER k_after ON rt_tg_kt;
      CREATE TRIGGER k_after_null AFTER INSERT ON rt_tg_kt FOR EACH ROW EXECUTE FUNCTION rt_tg_k_after_null();
    `);
    expect(await catch_("INSERT INTO rt_tg_kt VALUES (2, 'b')")).toBe('ok');
    expect(await rows('SELECT id FROM rt_tg_kt ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('t3: NEW in an AFTER trigger has jsonb as objects and timestamptz as Date', async () => {
    await db.query(`
      CREATE TABLE rt_tg_ku (id int, doc jsonb, at timestamptz);
      CREATE TABLE rt_tg_ku_log (line text);
      CREATE FUNCTION rt_tg_k_after_new() RETURNS trigger LANGUAGE plv8 AS $$
        plv8.execute('insert into rt_tg_ku_log values ($1)', [[typeof NEW.doc, Array.isArray(NEW.doc.a), NEW.at instanceof Date, TG_OP, TG_WHEN, TG_LEVEL].join(' ')]); $$;
      CREATE TRIGGER k_after_new AFTER INSERT ON rt_tg_ku FOR EACH ROW EXECUTE FUNCTION rt_tg_k_after_new();
      INSERT INTO rt_tg_ku VALUES (1, '{"a":[1]}', now());
    `);
    expect(await rows('SELECT line FROM rt_tg_ku_log')).toEqual([
      { line: 'object true true INSERT AFTER ROW' },
    ]);
  });

  it('t4, t5: a row trigger (AFTER or BEFORE) returning an object that is not the row fails with XX000', async () => {
    await db.query(`
      CREATE TABLE rt_tg_kr (id int, v text);
      CREATE FUNCTION rt_tg_k_after_obj() RETURNS trigger LANGUAGE plv8 AS $$ return {ok: true}; $$;
      CREATE FUNCTION rt_tg_k_before_obj() RETURNS trigger LANGUAGE plv8 AS $$ return {id: 9}; $$;
      CREATE TRIGGER k_after_obj AFTER INSERT ON rt_tg_kr FOR EACH ROW EXECUTE FUNCTION rt_tg_k_after_obj();
    `);
    expect(await catch_("INSERT INTO rt_tg_kr VALUES (3, 'c')")).toBe(
      'XX000|field name / property name mismatch',
    );
    await db.query(`
      DROP TRIGGER k_after_obj ON rt_tg_kr;
      CREATE TRIGGER k_before_obj BEFORE INSERT ON rt_tg_kr FOR EACH ROW EXECUTE FUNCTION rt_tg_k_before_obj();
    `);
    expect(await catch_("INSERT INTO rt_tg_kr VALUES (4, 'd')")).toBe(
      'XX000|field name / property name mismatch',
    );
    expect(await rows('SELECT * FROM rt_tg_kr')).toEqual([]);
  });

  it('t6: the value of a statement trigger is ignored', async () => {
    await db.query(`
      CREATE TABLE rt_tg_ks (id int, v text);
      CREATE FUNCTION rt_tg_k_stmt() RETURNS trigger LANGUAGE plv8 AS $$ return {x: 1}; $$;
      CREATE TRIGGER k_stmt AFTER INSERT ON rt_tg_ks FOR EACH STATEMENT EXECUTE FUNCTION rt_tg_k_stmt();
    `);
    expect(await catch_("INSERT INTO rt_tg_ks VALUES (5, 'e')")).toBe('ok');
    expect(await rows('SELECT id FROM rt_tg_ks')).toEqual([{ id: 5 }]);
  });
});

extension('INSTEAD OF triggers (upstream plv8.cc CallTrigger)', () => {
  it('report TG_WHEN as AFTER, as upstream (it only tells BEFORE from the rest), and may return the row', async () => {
    await db.query(`
      CREATE TABLE rt_tg_base (id int, name text);
      CREATE VIEW rt_tg_view AS SELECT * FROM rt_tg_base;
      CREATE FUNCTION rt_tg_instead() RETURNS trigger LANGUAGE plv8 AS $$
        plv8.execute('INSERT INTO rt_tg_base VALUES ($1, $2)', [NEW.id, TG_WHEN + ' ' + TG_LEVEL]);
        return NEW; $$;
      CREATE TRIGGER i INSTEAD OF INSERT ON rt_tg_view FOR EACH ROW EXECUTE FUNCTION rt_tg_instead();
    `);
    const r = await db.query("INSERT INTO rt_tg_view VALUES (1, 'x')");
    expect(r.rowCount).toBe(1);
    expect(await rows('SELECT * FROM rt_tg_base')).toEqual([{ id: 1, name: 'AFTER ROW' }]);
  });
});
