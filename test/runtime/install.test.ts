/**
 * extension: plv8/install.sh (plv8/README.md): quick and silent on stdout
 * when the installed build is current, and never builds next to a real PLV8.
 * Skipped when the server runs real PLV8 (the build is plv8_compat's).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { detectRuntime, extension } from './kind.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'plv8/install.sh');
const temps: string[] = [];

beforeAll(async () => {
  const db = await createTestDatabase();
  try {
    await detectRuntime(db);
  } finally {
    await db.close();
  }
});
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

// The PostgreSQL that scripts/local-db.sh uses: with PGGIT_PG_ROOT, the private
// copy under it, never the system's (another checkout's runtime may live there).
const pgConfig =
  process.env.PG_CONFIG ??
  (process.env.PGGIT_PG_ROOT
    ? join(process.env.PGGIT_PG_ROOT, 'usr/lib/postgresql/15/bin/pg_config')
    : undefined);

function run(env: Record<string, string> = {}) {
  return spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { ...process.env, ...(pgConfig ? { PG_CONFIG: pgConfig } : {}), ...env },
    timeout: 300_000,
  });
}

extension('plv8/install.sh', () => {
  it('a second run only checks the stamp: exit 0, nothing on stdout, progress on stderr', () => {
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toBe('');
    // the stamp matched: no build, no install
    expect(second.stderr).toMatch(/plv8\/install\.sh: (plv8_compat up to date|real plv8 found)/);
    expect(second.stderr).not.toMatch(/building|installing/);
  });

  it("leaves another PostgreSQL's runtime alone when this checkout's cluster runs elsewhere", () => {
    const fake = mkdtempSync(join(tmpdir(), 'plv8-other-pg-'));
    temps.push(fake);
    mkdirSync(join(fake, 'bin'));
    mkdirSync(join(fake, 'share/extension'), { recursive: true });
    mkdirSync(join(fake, 'lib'));
    writeFileSync(
      join(fake, 'bin/pg_config'),
      `#!/bin/sh\ncase "$1" in --sharedir) echo "${fake}/share";; --pkglibdir) echo "${fake}/lib";; --bindir) echo "${fake}/bin";; *) exit 1;; esac\n`,
    );
    writeFileSync(join(fake, 'bin/postgres'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(fake, 'bin/pg_config'), 0o755);
    chmodSync(join(fake, 'bin/postgres'), 0o755);
    // "this checkout's cluster": a pid file naming a live process that is not that postgres
    const state = join(fake, 'state');
    mkdirSync(join(state, 'cluster'), { recursive: true });
    writeFileSync(join(state, 'cluster/postmaster.pid'), `${process.pid}\n`);
    const r = run({ PG_CONFIG: join(fake, 'bin/pg_config'), PGGIT_STATE_DIR: state });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`leaving the plv8_compat of ${fake} alone`);
    expect(r.stderr).not.toMatch(/building|installing/);
  });

  it('skips everything when a real plv8.control is installed', () => {
    const fake = mkdtempSync(join(tmpdir(), 'plv8-fake-pg-'));
    temps.push(fake);
    mkdirSync(join(fake, 'bin'));
    mkdirSync(join(fake, 'share/extension'), { recursive: true });
    mkdirSync(join(fake, 'lib'));
    writeFileSync(join(fake, 'share/extension/plv8.control'), "default_version = '3.1.10'\n");
    writeFileSync(
      join(fake, 'bin/pg_config'),
      `#!/bin/sh\ncase "$1" in --sharedir) echo "${fake}/share";; --pkglibdir) echo "${fake}/lib";; *) exit 1;; esac\n`,
    );
    writeFileSync(join(fake, 'bin/postgres'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(fake, 'bin/pg_config'), 0o755);
    chmodSync(join(fake, 'bin/postgres'), 0o755);
    const r = run({ PG_CONFIG: join(fake, 'bin/pg_config') });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('real plv8 found');
    expect(r.stderr).not.toContain('building');
  });
});
