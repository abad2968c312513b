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

const version = async (url: string) =>
  (await one<{ version: string }>(url, 'SELECT pggit_version() AS v')).version;

/** The pid of the postmaster of the cluster kept in `state`. */
const postmasterPid = (state: string) =>
  Number(readFileSync(join(state, 'cluster/postmaster.pid'), 'utf8').split('\n')[0]);

/** Runs `body` with a state folder for a second cluster, then stops that cluster and removes it. */
async function withSecondCluster(prefix: string, body: (state: string) => Promise<void>) {
  const state = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(state, 0o755);
  try {
    await body(state);
  } finally {
    try {
      run(['stop'], { PGGIT_STATE_DIR: state });
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
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
    await withSecondCluster('pggit-preload-', async (state) => {
      const off = run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '0' }).trim();
      expect(await one<string>(off, 'SHOW shared_preload_libraries')).toBe('');
      const before = postmasterPid(state);
      // same preload wanted: the running server is kept
      run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '0' });
      expect(postmasterPid(state)).toBe(before);
      // preload wanted again: restarted with it, and PLV8 works in its backends
      const on = run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '1' }).trim();
      expect(postmasterPid(state)).not.toBe(before);
      expect(await one<string>(on, 'SHOW shared_preload_libraries')).toBe('plv8_compat');
      // restarted by hand with another list (as for a profile): the next run restarts it
      const data = join(state, 'cluster');
      const started = readFileSync(join(data, 'postmaster.opts'), 'utf8');
      const opts = started
        .replace(/^\S+\s*/, '')
        .replace(
          '"shared_preload_libraries=plv8_compat"',
          '"shared_preload_libraries=plv8_compat,pg_stat_statements"',
        )
        .trim();
      const pgCtl = join(dirname(started.split(' ')[0]!), 'pg_ctl');
      const owner = execFileSync('stat', ['-c', '%U', data], { encoding: 'utf8' }).trim();
      const asOwner = (args: string[]) =>
        process.getuid?.() === 0
          ? execFileSync('runuser', ['-u', owner, '--', pgCtl, ...args], {
              cwd: '/',
              stdio: 'ignore',
            })
          : execFileSync(pgCtl, args, { stdio: 'ignore' });
      asOwner(['-D', data, '-m', 'fast', '-w', 'restart', '-o', opts]);
      expect(await one<string>(on, 'SHOW shared_preload_libraries')).toBe(
        'plv8_compat,pg_stat_statements',
      );
      const byHand = postmasterPid(state);
      const again = run(['url'], { PGGIT_STATE_DIR: state, PGGIT_PRELOAD: '1' }).trim();
      expect(postmasterPid(state)).not.toBe(byHand);
      expect(await one<string>(again, 'SHOW shared_preload_libraries')).toBe('plv8_compat');
      expect(
        await one<boolean>(
          on,
          "SELECT pggit_parse('ALTER TABLE users ADD COLUMN c integer')->'objects' IS NOT NULL",
        ),
      ).toBe(true);
    });
  }, 180_000);

  it('a second cluster takes another port and its own data, then stops cleanly', async () => {
    await withSecondCluster('pggit-second-', async (state) => {
      const main = run(['url']).trim();
      const other = run(['url'], { PGGIT_STATE_DIR: state }).trim();
      expect(new URL(other).port).not.toBe(new URL(main).port);
      expect(await version(other)).toBe(await version(main));
      // a server killed hard leaves a stale pid file, which does not block the next start
      process.kill(postmasterPid(state), 'SIGKILL');
      const again = run(['url'], { PGGIT_STATE_DIR: state }).trim();
      expect(await version(again)).toBe(await version(main));
    });
  }, 180_000);
});
