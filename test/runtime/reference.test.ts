/**
 * fidelity: the reference scripts recorded on real PLV8 3.1.10 and 3.2.2
 * (./plv8-reference, copied from /work/shared/plv8-reference). Each .sql runs
 * through psql in a fresh database with LANGUAGE plv8 and must print its
 * .expected byte for byte, with nothing on stderr.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runOnce, withDatabase } from '../support/server.js';
import { detectRuntime, fidelity } from './kind.js';

const here = dirname(fileURLToPath(import.meta.url));
const copies = join(here, 'plv8-reference');
/** The recorded originals, beside the checkout (`../shared/plv8-reference`). */
const shared = join(here, '../../../shared/plv8-reference');
const SCRIPTS = ['boundary', 'api', 'event-triggers'];

let db: TestDatabase;
let extension = 'plv8_compat';

function psqlBinary(): string {
  const root = process.env.PGGIT_PG_ROOT;
  const private_ = root ? join(root, 'usr/lib/postgresql/15/bin/psql') : '';
  return private_ && existsSync(private_) ? private_ : 'psql';
}

beforeAll(async () => {
  db = await createTestDatabase();
  extension = await detectRuntime(db);
});
afterAll(async () => {
  await db?.close();
});

fidelity('the reference scripts print exactly what real PLV8 printed', () => {
  for (const name of SCRIPTS) {
    it(`${name}.sql prints ${name}.expected byte for byte`, async () => {
      const dbname = `pggit_ref_${randomBytes(5).toString('hex')}`;
      await db.admin(`CREATE DATABASE ${dbname}`);
      try {
        const url = withDatabase(db.url, dbname);
        await runOnce(url, `CREATE EXTENSION ${extension}`);
        const run = spawnSync(psqlBinary(), ['-X', '-q', '-f', join(copies, `${name}.sql`), url], {
          encoding: 'buffer',
          env: { ...process.env, PGCLIENTENCODING: 'UTF8', PGOPTIONS: '' },
          timeout: 120_000,
        });
        expect(run.error).toBeUndefined();
        expect(run.stderr.toString('utf8')).toBe('');
        const expected = readFileSync(join(copies, `${name}.expected`));
        expect(run.stdout.toString('utf8')).toBe(expected.toString('utf8'));
        expect(Buffer.compare(run.stdout, expected)).toBe(0);
      } finally {
        await db.admin(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
      }
    });
  }

  it('the copies are byte-identical to ../shared/plv8-reference', (ctx) => {
    if (!existsSync(shared)) {
      const note = `skipped: ${shared} is absent (a clone without the shared folder); the copies in test/runtime/plv8-reference are used as they are`;
      console.warn(note);
      ctx.skip(note);
    }
    const originals = readdirSync(shared).sort();
    expect(readdirSync(copies).sort()).toEqual(originals);
    for (const file of originals) {
      expect(
        Buffer.compare(readFileSync(join(copies, file)), readFileSync(join(shared, file))),
        file,
      ).toBe(0);
    }
  });
});
