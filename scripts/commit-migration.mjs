// Commits migrations/current.sql as the next migrations/committed/NNNNNN-<slug>.sql
// with graphile-migrate's hash-chain headers, then empties current.sql. It is
// what `graphile-migrate commit` does, without the shadow database that
// command needs (the test suite migrates fresh databases instead).
//
//   node scripts/commit-migration.mjs "what the migration does"
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { calculateHash } = require('graphile-migrate/dist/hash.js');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const current = join(root, 'migrations/current.sql');
const committedDir = join(root, 'migrations/committed');
const message = process.argv[2];
if (!message) {
  console.error('usage: node scripts/commit-migration.mjs "message"');
  process.exit(2);
}
const body = readFileSync(current, 'utf8').trim();
if (body === '') {
  console.error('migrations/current.sql is empty: nothing to commit');
  process.exit(1);
}
const files = readdirSync(committedDir)
  .filter((f) => /^\d{6}(-[\w-]+)?\.sql$/.test(f))
  .sort();
const last = files.at(-1);
const previous = last
  ? /^--! Hash: (\S+)$/m.exec(readFileSync(join(committedDir, last), 'utf8'))?.[1]
  : null;
const number = String(files.length + 1).padStart(6, '0');
const slug = message
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, '-')
  .replace(/^-|-$/g, '');
const hash = calculateHash(body, previous ?? null);
const out = join(committedDir, `${number}-${slug}.sql`);
writeFileSync(
  out,
  `--! Previous: ${previous ?? '-'}\n--! Hash: ${hash}\n--! Message: ${message}\n\n${body}\n`,
);
writeFileSync(current, '');
console.error(`committed ${out} (${hash})`);
