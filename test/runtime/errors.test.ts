/**
 * plv8 runtime contract (plv8/README.md): how thrown JS values and SQL errors
 * cross the boundary.  Matches real PLV8 3.1.10 / 3.2.2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;

type PgErr = Error & { code?: string; detail?: string; hint?: string };

async function sqlError(sql: string, params: unknown[] = []): Promise<PgErr> {
  try {
    await db.query(sql, params);
  } catch (e) {
    return e as PgErr;
  }
  throw new Error(`expected an error from: ${sql}`);
}

async function one<T = unknown>(sql: string, params: unknown[] = []): Promise<T> {
  const r = await db.query(sql, params);
  return Object.values(r.rows[0] ?? {})[0] as T;
}

/** A plv8 function whose body is `body`; returns its name. */
let seq = 0;
async function fn(body: string, returns = 'text'): Promise<string> {
  const name = `rt_err_${++seq}`;
  await db.query(
    `CREATE FUNCTION ${name}() RETURNS ${returns} LANGUAGE plv8 AS $body$ ${body} $body$`,
  );
  return name;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('a thrown JS value becomes an SQL ERROR', () => {
  it('an Error gives its message with the leading "Error: " trimmed, SQLSTATE XX000', async () => {
    const f = await fn("throw new Error('something broke')");
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toBe('something broke');
    expect(e.code).toBe('XX000');
  });

  it('other Error kinds keep their name (TypeError: …)', async () => {
    const f = await fn('null.x');
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toMatch(/^TypeError: /);
    expect(e.code).toBe('XX000');
  });

  it('a thrown string, number, null or undefined never crashes and gives its text', async () => {
    const cases: [string, string][] = [
      ["throw 'plain string'", 'plain string'],
      ['throw 42', '42'],
      ['throw null', 'null'],
      ['throw undefined', 'undefined'],
      ["throw {toString() { throw new Error('nested') }}", 'unknown exception'],
    ];
    for (const [body, message] of cases) {
      const f = await fn(body);
      const e = await sqlError(`SELECT ${f}()`);
      expect(e.message).toBe(message);
      expect(e.code).toBe('XX000');
    }
    expect(await one('SELECT 1')).toBe(1);
  });

  it('code is read as a packed SQLSTATE number (MAKE_SQLSTATE encoding)', async () => {
    // MAKE_SQLSTATE('2','2','0','1','2') = 2 + (2<<6) + (0<<12) + (1<<18) + (2<<24)
    const packed = 2 + (2 << 6) + (0 << 12) + (1 << 18) + (2 << 24);
    const f = await fn(`throw Object.assign(new Error('packed'), { code: ${packed} })`);
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.code).toBe('22012');
    expect(e.message).toBe('packed');
  });

  it("a string code '22023' is ToInt32'd and unpacked: 7H500 (real PLV8's oddity)", async () => {
    const f = await fn("throw Object.assign(new Error('bad param'), { code: '22023' })");
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.code).toBe('7H500');
    expect(e.message).toBe('bad param');
  });

  it('detail and hint of the thrown object become DETAIL and HINT', async () => {
    const f = await fn(
      "throw Object.assign(new Error('with extras'), { detail: 'the detail', hint: 'the hint' })",
    );
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toBe('with extras');
    expect(e.detail).toBe('the detail');
    expect(e.hint).toBe('the hint');
    expect(e.code).toBe('XX000');
  });

  it('a plain object with code/detail/hint: message is String(object)', async () => {
    const packed = 2 + (2 << 6) + (0 << 12) + (2 << 18) + (3 << 24); // 22023
    const f = await fn(`throw { code: ${packed}, detail: 'd', hint: 'h' }`);
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.code).toBe('22023');
    expect(e.message).toBe('[object Object]');
    expect(e.detail).toBe('d');
    expect(e.hint).toBe('h');
  });

  it('plv8.elog(ERROR, …) raises SQLSTATE XX000 with the joined message', async () => {
    const f = await fn("plv8.elog(ERROR, 'elog', 'failed', 3)");
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toBe('elog failed 3');
    expect(e.code).toBe('XX000');
  });

  it('plv8.elog(ERROR) can be caught in JS like any Error', async () => {
    const f = await fn("try { plv8.elog(ERROR, 'x') } catch (e) { return 'caught ' + e.message }");
    expect(await one(`SELECT ${f}()`)).toBe('caught x');
  });
});

describe('an SQL error inside plv8.execute', () => {
  it('is a JS Error with sqlerrcode, message, detail and hint', async () => {
    await db.query('CREATE TABLE rt_err_uniq (id int PRIMARY KEY)');
    await db.query('INSERT INTO rt_err_uniq VALUES (1)');
    const f = await fn(
      `try { plv8.execute('INSERT INTO rt_err_uniq VALUES (1)') } catch (e) {
         return {isError: e instanceof Error, sqlerrcode: e.sqlerrcode, message: e.message, detail: e.detail};
       }`,
      'jsonb',
    );
    expect(await one(`SELECT ${f}()`)).toEqual({
      isError: true,
      sqlerrcode: '23505',
      message: 'duplicate key value violates unique constraint "rt_err_uniq_pkey"',
      detail: 'Key (id)=(1) already exists.',
    });
  });

  it('carries the hint too', async () => {
    const f = await fn(
      `try { plv8.execute("DO $$ BEGIN RAISE EXCEPTION 'raised' USING HINT = 'try again', DETAIL = 'dd', ERRCODE = '22023'; END $$") }
       catch (e) { return [e.sqlerrcode, e.message, e.detail, e.hint].join('|') }`,
    );
    expect(await one(`SELECT ${f}()`)).toBe('22023|raised|dd|try again');
  });

  it('once caught, the transaction stays usable (each execute is a subtransaction)', async () => {
    await db.query('CREATE TABLE rt_err_after (v int)');
    const f = await fn(
      `try { plv8.execute('SELECT 1/0') } catch (e) { }
       plv8.execute('INSERT INTO rt_err_after VALUES (1)');
       return plv8.execute('SELECT count(*)::int AS n FROM rt_err_after')[0].n;`,
      'int',
    );
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
      expect((await c.query(`SELECT ${f}() AS n`)).rows[0]!.n).toBe(1);
      expect((await c.query('SELECT count(*)::int AS n FROM rt_err_after')).rows[0]!.n).toBe(1);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  });

  it('a failed execute rolls back only its own statement', async () => {
    await db.query('CREATE TABLE rt_err_partial (v int CHECK (v < 10))');
    const f = await fn(
      `plv8.execute('INSERT INTO rt_err_partial VALUES (1)');
       try { plv8.execute('INSERT INTO rt_err_partial VALUES (2), (20)') } catch (e) { }
       return plv8.execute('SELECT array_agg(v ORDER BY v) AS a FROM rt_err_partial')[0].a;`,
      'int[]',
    );
    expect(await one(`SELECT ${f}()`)).toEqual([1]);
  });

  it('if nothing catches it, it re-raises with the same SQLSTATE, message, detail and hint', async () => {
    await db.query('CREATE TABLE rt_err_fk_parent (id int PRIMARY KEY)');
    await db.query('CREATE TABLE rt_err_fk_child (p int REFERENCES rt_err_fk_parent)');
    const f1 = await fn("plv8.execute('INSERT INTO rt_err_fk_child VALUES (5)')");
    const e1 = await sqlError(`SELECT ${f1}()`);
    expect(e1.code).toBe('23503');
    expect(e1.message).toBe(
      'insert or update on table "rt_err_fk_child" violates foreign key constraint "rt_err_fk_child_p_fkey"',
    );
    expect(e1.detail).toBe('Key (p)=(5) is not present in table "rt_err_fk_parent".');

    const f2 = await fn(
      `plv8.execute("DO $$ BEGIN RAISE EXCEPTION 'custom' USING HINT = 'h2', DETAIL = 'd2', ERRCODE = 'P0001'; END $$")`,
    );
    const e2 = await sqlError(`SELECT ${f2}()`);
    expect([e2.code, e2.message, e2.detail, e2.hint]).toEqual(['P0001', 'custom', 'd2', 'h2']);
  });

  it('a caught SQL error can be re-thrown and keeps its SQLSTATE', async () => {
    const f = await fn("try { plv8.execute('SELECT 1/0') } catch (e) { throw e }");
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.code).toBe('22012');
    expect(e.message).toBe('division by zero');
  });

  it('nested plv8 functions: an inner throw surfaces through the outer execute', async () => {
    const inner = await fn("throw Object.assign(new Error('inner'), { detail: 'deep' })");
    const outer = await fn(
      `try { plv8.execute('SELECT ${inner}()') } catch (e) { return e.sqlerrcode + ':' + e.message + ':' + e.detail }`,
    );
    expect(await one(`SELECT ${outer}()`)).toBe('XX000:inner:deep');
  });
});
