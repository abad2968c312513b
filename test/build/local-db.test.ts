/**
 * scripts/local-db.sh: one URL line, idempotent, and a second cluster (another
 * checkout, or a leftover server) never fights the first over port or data.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/local-db.sh');
const run = (args: string[], env: Record<string, string> = {}) =>
  execFileSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PGGIT_DATABASE_URL: '', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

async function one<T>(url: string, sql: string): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Object.values((await c.query(sql)).rows[0])[0] as T;
  } finally {
    await c.end();
  }
}

async function version(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query('SELECT pggit_version() AS v')).rows[0].v.version;
  } finally {
    await c.end();
  }
}

// The checkout's own clusters: not part of a run against another server
// (PGGIT_DATABASE_URL), which must not install packages or start clusters.
describe.skipIf(Boolean(process.env.PGGIT_DATABASE_URL))('scripts/local-db.sh', () => {
  it('`url` prints exactly one postgres:// line, the same each time, for a migrated database', async () => {
    const first = run(['url']);
    const second = run(['url']);
    expect(first).toMatch(/^postgres:\/\/[^\s]+\n$/);
    expect(second).toBe(first);
    expect(await version(first.trim())).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('preloads plv8_compat into the postmaster, and restarts a server whose preload differs from what is wanted', async () => {
    const main = run(['url']).trim();
    const compat = await one<boolean>(
      main,
      "SELECT NOT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'plv8') AND EXISTS (SELECT FROM pg_available_extensions WHERE name = 'plv8_compat')",
    );
    // a real PLV8 is never preloaded: only plv8_compat's _PG_init is known to start nothing
    const wanted = compat && process.env.PGGIT_PRELOAD !== '0';
    expect(await one<string>(main, 'SHOW shared_preload_libraries')).toBe(
      wanted ? 'plv8_compat' : '',
    );
    if (!compat) return;
    const state = mkdtempSync(join(tmpdir(), 'pggit-preload-'));
    chmodSync(state, 0o755);
    try {
      const pidOf = () =>
        readFileSync(join(state, 'cluster/postmaster.pid'), 'utf8').split('\n')[0];
      const off = run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '0' }).trim();
      expect(await one<string>(off, 'SHOW shared_preload_libraries')).toBe('');
      const before = pidOf();
      // same preload wanted: the running server is kept
      run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '0' });
      expect(pidOf()).toBe(before);
      // preload wanted again: restarted with it, and PLV8 works in its backends
      const on = run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '1' }).trim();
      expect(pidOf()).not.toBe(before);
      expect(await one<string>(on, 'SHOW shared_preload_libraries')).toBe('plv8_compat');
      expect(
        await one<string>(
          on,
          "SELECT pggit_parse('ALTER TABLE users ADD COLUMN c integer')->'objects' IS NOT NULL",
        ),
      ).toBe(true);
    } finally {
      try {
        run(['stop'], { PGGIT_STATE_DIR: state });
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    }
  }, 180_000);

  it('a second cluster takes another port and its own data, then stops cleanly', async () => {
    const state = mkdtempSync(join(tmpdir(), 'pggit-second-'));
    chmodSync(state, 0o755);
    try {
      const main = run(['url']).trim();
      const other = run(['url'], { PGGIT_STATE_DIR: state }).trim();
      expect(new URL(other).port).not.toBe(new URL(main).port);
      expect(await version(other)).toBe(await version(main));
      // a server killed hard leaves a stale pid file, which does not block the next start
      const pid = Number(
        readFileSync(join(state, 'cluster/postmaster.pid'), 'utf8').split('\n')[0],
      );
      process.kill(pid, 'SIGKILL');
      const again = run(['url'], { PGGIT_STATE_DIR: state }).trim();
      expect(await version(again)).toBe(await version(main));
    } finally {
      try {
        run(['stop'], { PGGIT_STATE_DIR: state });
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    }
  }, 180_000);
});
