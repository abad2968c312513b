/**
 * TEST-ONLY development aid: replays SQL files (one history each) against the
 * server at $DATABASE_URL and prints the disagreements and totals.
 *   npx tsx test/detector/replay/run.ts <url> file.sql ...
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import pg from 'pg';
import { describe, replayHistory, type StatementReport, totals } from './compare.js';

const [url, ...files] = process.argv.slice(2);
if (!url) throw new Error('usage: run.ts <url> files...');
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const all: StatementReport[] = [];
for (const f of files) {
  const db = `replay_${basename(f).replace(/\W/g, '_').toLowerCase()}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${db} TEMPLATE template0`);
  const u = new URL(url);
  u.pathname = `/${db}`;
  const text = readFileSync(f, 'utf8');
  const [pre, sql] = text.includes('-- @history') ? text.split('-- @history') : ['', text];
  const reports = await replayHistory(u.toString(), {
    name: basename(f),
    preamble: pre || undefined,
    sql: sql as string,
  });
  all.push(...reports);
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}
await admin.end();
for (const line of describe(all, 200)) console.log(line);
for (const r of all)
  if (r.referencesMissed.length)
    console.log(
      `refmiss ${r.history} #${r.index + 1}: ${r.referencesMissed.join(', ')} :: ${r.sql.replace(/\s+/g, ' ').slice(0, 100)}`,
    );
console.log(totals(all));
