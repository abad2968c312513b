/**
 * How thrown JS values become SQL errors.
 *
 * fidelity: recorded on real PLV8 3.1.10 / 3.2.2 (plv8/README.md, "Errors"):
 * an Error's message without "Error: " and XX000 (event-triggers.sql g4), a
 * thrown `code` read as a packed SQLSTATE (so the string '22023' gives
 * 7H500), detail and hint passed through, plv8.elog(ERROR) giving XX000.
 * extension: the rest (upstream plv8.cc's js_error, not recorded), and one
 * deliberate difference: an object whose toString throws is an ERROR here,
 * where real PLV8 crashes the backend (recorded).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { detectRuntime, extension, fidelity } from './kind.js';

let db: TestDatabase;

type PgErr = Error & { code?: string; detail?: string; hint?: string; where?: string };

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
  await detectRuntime(db);
});
afterAll(async () => {
  await db?.close();
});

fidelity('a thrown JS value becomes an SQL ERROR (plv8/README.md, recorded)', () => {
  it('an Error gives its message with the leading "Error: " trimmed, SQLSTATE XX000', async () => {
    const f = await fn("throw new Error('something broke')");
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toBe('something broke');
    expect(e.code).toBe('XX000');
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

  it('plv8.elog(ERROR, …) raises SQLSTATE XX000 with the joined message', async () => {
    const f = await fn("plv8.elog(ERROR, 'elog', 'failed', 3)");
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toBe('elog failed 3');
    expect(e.code).toBe('XX000');
  });
});

extension('other thrown values (upstream plv8.cc js_error)', () => {
  it('other Error kinds keep their name (TypeError: …); CONTEXT names the function and line', async () => {
    const f = await fn('\n  null.x');
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.message).toMatch(/^TypeError: /);
    expect(e.code).toBe('XX000');
    expect(e.where).toBe(`${f}() LINE 2:   null.x `);
  });

  it('a thrown string, number, null or undefined gives its text; an object whose toString throws is an ERROR (real PLV8 crashes)', async () => {
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

  it('a plain object with code/detail/hint: message is String(object)', async () => {
    const packed = 2 + (2 << 6) + (0 << 12) + (2 << 18) + (3 << 24); // 22023
    const f = await fn(`throw { code: ${packed}, detail: 'd', hint: 'h' }`);
    const e = await sqlError(`SELECT ${f}()`);
    expect(e.code).toBe('22023');
    expect(e.message).toBe('[object Object]');
    expect(e.detail).toBe('d');
    expect(e.hint).toBe('h');
  });

  it('plv8.elog(ERROR) can be caught in JS like any Error', async () => {
    const f = await fn("try { plv8.elog(ERROR, 'x') } catch (e) { return 'caught ' + e.message }");
    expect(await one(`SELECT ${f}()`)).toBe('caught x');
  });

  it('a caught SQL error can be rethrown and keeps its SQLSTATE (its code is the packed one)', async () => {
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

  it('a trigger function may not declare arguments (XX000, as upstream)', async () => {
    const e = await sqlError(
      'CREATE FUNCTION rt_err_trig(x int) RETURNS trigger LANGUAGE plv8 AS $$ return NEW $$',
    );
    expect([e.code, e.message]).toEqual(['XX000', 'trigger function cannot have arguments']);
  });
});
