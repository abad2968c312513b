/** The generated function SQL is reproducible from source, and a stale copy fails. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM build script without type declarations
import { generatedSqlPath, renderSql } from '../../esbuild.config.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('migrations/generated/pggit-functions.sql', () => {
  it('equals what the current source builds (run `npm run build` when this fails)', async () => {
    const { sql } = await renderSql();
    expect(readFileSync(generatedSqlPath, 'utf8') === sql, 'generated SQL is stale').toBe(true);
  });

  it('builds deterministically', async () => {
    const [a, b] = await Promise.all([renderSql(), renderSql()]);
    expect(a.sql).toBe(b.sql);
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the --check mode fails on a stale file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pggit-stale-'));
    const copy = join(dir, 'pggit-functions.sql');
    copyFileSync(generatedSqlPath, copy);
    const env = { ...process.env, PGGIT_GENERATED_SQL: copy };
    execFileSync('node', ['esbuild.config.mjs', '--check'], { cwd: root, env, stdio: 'pipe' });
    writeFileSync(copy, `${readFileSync(copy, 'utf8')}\n-- edited by hand\n`);
    expect(() =>
      execFileSync('node', ['esbuild.config.mjs', '--check'], { cwd: root, env, stdio: 'pipe' }),
    ).toThrow(/stale/);
  });

  it('follows the PLV8 rules: one bundle, hash-derived tag, no STRICT, no DROP FUNCTION, no require', async () => {
    const { sql, hash, bundle } = await renderSql();
    const tag = `$pggit_${hash}$`;
    expect(sql.split(tag).length % 2).toBe(1); // tags pair up
    // the SQL around the bundle (the bundle's own strings name statement kinds)
    const wrappers = sql.replace(bundle.trimEnd(), '');
    expect(wrappers.length).toBeLessThan(sql.length);
    expect(wrappers).not.toMatch(/\bSTRICT\b/);
    expect(wrappers).not.toMatch(/DROP\s+FUNCTION/i);
    expect(bundle).not.toMatch(/\brequire\(/);
    expect(bundle).not.toMatch(/\bprocess\.|\bBuffer\b/);
    expect(sql.match(/CREATE OR REPLACE FUNCTION :PGGIT_SCHEMA\.bundle_init\(\)/g)).toHaveLength(1);
    // functions that write are VOLATILE; IMMUTABLE only for pure parse/detect
    expect(sql).toMatch(
      /FUNCTION :PGGIT_SCHEMA\.register\([^)]*\)\s+RETURNS jsonb\s+LANGUAGE plv8 VOLATILE/,
    );
    expect(sql).toMatch(
      /FUNCTION :PGGIT_API_SCHEMA\.pggit_register\([^)]*\)\s+RETURNS jsonb\s+LANGUAGE plpgsql VOLATILE/,
    );
    const immutable = [
      ...sql.matchAll(/FUNCTION (\S+)\(.*\)\n\s+RETURNS \S+\n\s+LANGUAGE \w+ IMMUTABLE/g),
    ].map((m) => m[1]);
    expect(immutable.sort()).toEqual([
      ':PGGIT_API_SCHEMA.pggit_detect',
      ':PGGIT_API_SCHEMA.pggit_parse',
      ':PGGIT_SCHEMA.detect',
      ':PGGIT_SCHEMA.parse',
    ]);
    // every name qualified; the entry points (API and event-trigger functions)
    // SECURITY DEFINER with the search_path pinned, pggit's own behind them neither
    const creates = [
      ...sql.matchAll(/CREATE OR REPLACE FUNCTION (\S+)\(.*\)\n\s+RETURNS (\S+)\n(.*)\n/g),
    ];
    expect(creates.length).toBeGreaterThan(40);
    for (const [, name, returns, options] of creates) {
      expect(name, name).toMatch(/^:PGGIT_(API_)?SCHEMA\./);
      const entry =
        (name as string).startsWith(':PGGIT_API_SCHEMA.') || returns === 'event_trigger';
      if (entry) {
        expect(options, name).toMatch(/SECURITY DEFINER SET search_path = pg_catalog, pg_temp/);
      } else {
        expect(options, name).not.toMatch(/SECURITY DEFINER|SET /);
      }
    }
    expect(wrappers).not.toMatch(/find_function\('(?!:PGGIT_SCHEMA\.)/);
  });
});
