/**
 * Integration tests' global set-up: the local database (scripts/local-db.sh,
 * which installs PostgreSQL and the PLV8 runtime when missing), then a
 * template database with pggit installed (src/install: graphile-migrate, with
 * pggit's own ledger), cloned once per test file.
 *
 * With PGGIT_TEST_CONTAINER=1 and a reachable Docker engine, a testcontainers
 * PostgreSQL with PLV8 (image from PGGIT_TEST_IMAGE) is used instead.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { install } from '../../src/install/index.js';
import { runOnce, withDatabase } from './server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    pggitAdminUrl: string;
    pggitTemplate: string;
  }
}

async function serverUrl(): Promise<{ url: string; stop?: () => Promise<void> }> {
  if (process.env.PGGIT_TEST_CONTAINER === '1') {
    const { startContainer } = await import('./container.js');
    return startContainer();
  }
  const url = execFileSync('bash', [join(root, 'scripts/local-db.sh'), 'url'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return { url };
}

export default async function setup(project: TestProject) {
  const { url, stop } = await serverUrl();
  const adminUrl = withDatabase(url, 'postgres');
  // One template per run, so two runs on one cluster never drop each other's.
  const TEMPLATE = `pggit_template_${process.pid}`;
  await runOnce(adminUrl, `DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
  await runOnce(adminUrl, `CREATE DATABASE ${TEMPLATE}`);
  await install({ databaseUrl: withDatabase(url, TEMPLATE) });
  project.provide('pggitAdminUrl', adminUrl);
  project.provide('pggitTemplate', TEMPLATE);
  return async () => {
    await runOnce(adminUrl, `DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`).catch(() => {});
    await stop?.();
  };
}
