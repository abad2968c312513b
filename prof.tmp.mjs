import pg from 'pg';
const url = process.argv[2];
const c = new pg.Client(url); await c.connect();
await c.query("SELECT pggit_parse('select 1')");
const med = (xs) => { xs.sort((a,b)=>a-b); return xs[Math.floor(xs.length/2)]; };
async function t(fn, n) { const xs=[]; for (let i=0;i<n;i++){ const s=performance.now(); await fn(i); xs.push(performance.now()-s);} return med(xs); }
const run = Date.now();
const sel = await t(() => c.query('select 1'), 300);
await c.query('DROP TABLE IF EXISTS floor_t; CREATE TABLE floor_t (LIKE pggit.tb_pggit_intent INCLUDING ALL)');
const reg = await t((i) => c.query('SELECT pggit_register($1,$2,$3)', [`p-${run}-${i%5}`, `prof ${run} ${i}`, `ALTER TABLE prof_${run}_${i} ADD COLUMN c int; CREATE INDEX ON prof_${run}_${i} (c)`]), 200);
const row = (await c.query('SELECT * FROM pggit.tb_pggit_intent ORDER BY seq DESC LIMIT 1')).rows[0];
const cols = Object.keys(row).filter(k => k !== 'seq');
const floor = await t((i) => c.query(`INSERT INTO floor_t (${cols.join(',')}) VALUES (${cols.map((k,j)=>`$${j+1}`).join(',')})`, cols.map(k => k === 'id' ? `${row.id.slice(0,30)}${String(i).padStart(6,'0')}` : k === 'branch_name' ? `${row.branch_name}-${i}` : (typeof row[k] === 'object' && row[k] !== null && !(row[k] instanceof Date) && !Array.isArray(row[k])) || Array.isArray(row[k]) && k !== 'object_keys' ? JSON.stringify(row[k]) : row[k])), 200);
const parse = await t(() => c.query("SELECT pggit_parse($1)", ['ALTER TABLE x ADD COLUMN c int; CREATE INDEX ON x (c)']), 200);
console.log({ sel, floor, reg, parse, ratio: reg/floor });
await c.end();
