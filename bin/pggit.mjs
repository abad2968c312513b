#!/usr/bin/env node
// The pggit command: the CLI built to JavaScript (dist/, made by `npm run
// build:dist`, which `npm ci` and `npm pack` run). No TypeScript at run time.
try {
  await import('../dist/cli/bin.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/bin.js')) {
    process.stderr.write('pggit: dist/ is missing: run `npm run build:dist` in the checkout\n');
    process.exitCode = 1;
  } else {
    throw err;
  }
}
