/**
 * The detector runs inside PostgreSQL (PLV8, V8 10.2): bundled as ES2020 with
 * no Node API, it must work in a bare V8 context without any Node global.
 */
import { runInNewContext } from 'node:vm';
import * as esbuild from 'esbuild';
import { expect, it } from 'vitest';

it('bundles to ES2020 without Node APIs and runs in a bare V8 context', async () => {
  const out = await esbuild.build({
    entryPoints: [new URL('../../src/detector/index.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'detector',
    platform: 'neutral',
    target: 'es2020',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]?.text ?? '';
  expect(code).not.toMatch(/\brequire\(|\bBuffer\b|\bprocess\./);
  const sandbox: Record<string, unknown> = {};
  runInNewContext(`${code}; this.detector = detector;`, sandbox);
  const det = sandbox.detector as typeof import('../../src/detector/index.js');
  const reports = det.detectConflicts(
    {
      agent_id: 'b',
      feature_name: 'login_email',
      schema_changes: 'alter table only USERS add email varchar(100);',
    },
    {
      agent_id: 'a',
      feature_name: 'contact_email',
      schema_changes: 'ALTER TABLE public.users ADD COLUMN IF NOT EXISTS email text;',
    },
  );
  expect(
    JSON.parse(JSON.stringify(reports.map((r) => [r.conflict_type, r.affected_objects]))),
  ).toEqual([
    ['table', ['public.users']],
    ['column', ['public.users.email']],
  ]);
});
