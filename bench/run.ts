/**
 * Benchmarks, reported as ratios against baselines measured in the same run
 * (absolute times vary from machine to machine; ratios are what we compare).
 *
 *   npm run bench
 *
 * 1. detector: parseScript on a realistic migration vs JSON.parse of the same
 *    number of bytes (how much a parse costs next to the cheapest structured read).
 *    Then the same for 1 MiB of adversarial input (unterminated quote, nested
 *    comments and parentheses), with its absolute time: it must stay linear.
 * 2. registration: pggit_register vs `SELECT 1` round trips on the same connection.
 * 3. scaling: pggit_register with 2,000 unrelated active intents vs with none
 *    (near 1.0 means candidates come from the index, not a scan).
 * 4. parallelism: one connection per core registering on disjoint tables vs the
 *    same work on one connection (1/cores would be perfect; the load generator
 *    shares the cores, and NOTIFY serialises commits briefly).
 */
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { parseScript } from '../src/detector/index.js';
import { freshLocalDatabase } from '../src/dev/local-db.js';

const BENCH_DB = 'pggit_bench';

const now = () => performance.now();

async function time(fn: () => unknown | Promise<unknown>, iterations: number): Promise<number> {
  const start = now();
  for (let i = 0; i < iterations; i++) await fn();
  return (now() - start) / iterations;
}

const MIGRATION = `
-- Prisma-style
CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT NOT NULL, "name" TEXT, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "authorId" TEXT NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
--> statement-breakpoint
ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES public.users(id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON public.orders USING btree (created_at);
CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();
ALTER TABLE "app_user" ADD COLUMN "age" integer DEFAULT 0 NOT NULL, ALTER COLUMN "email" TYPE varchar(320), RENAME COLUMN "nick" TO "handle";
CREATE MATERIALIZED VIEW order_totals AS SELECT u.id, sum(o.total) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id;
`;

async function main() {
  const rows: [string, string, number][] = [];
  const report = (name: string, baseline: string, ratio: number) => {
    rows.push([name, baseline, ratio]);
    process.stdout.write(`${name.padEnd(58)} ${ratio.toFixed(2).padStart(8)}x  (vs ${baseline})\n`);
  };

  // 1. detector in Node
  const script = MIGRATION.repeat(20);
  const json = JSON.stringify({ s: script });
  for (let i = 0; i < 20; i++) parseScript(script); // warm-up
  const parse = await time(() => parseScript(script), 50);
  const jsonParse = await time(() => JSON.parse(json), 50);
  report(
    `parseScript, ${(script.length / 1024).toFixed(0)} KiB migration`,
    'JSON.parse of as many bytes',
    parse / jsonParse,
  );

  const url = await freshLocalDatabase(BENCH_DB);
  // 1b. 1 MiB of adversarial input: unterminated quotes, nested comments and parentheses
  const MB = 1 << 20;
  const adversarial = `${'/*'.repeat(MB / 8)}${'*/'.repeat(MB / 8)} SELECT ${'('.repeat(MB / 16)}${')'.repeat(MB / 16)}; SELECT '${'x'.repeat((3 * MB) / 8)}`;
  const bigJson = JSON.stringify({ s: adversarial });
  parseScript(adversarial);
  const adv = await time(() => parseScript(adversarial), 5);
  const advJson = await time(() => JSON.parse(bigJson), 5);
  report(
    `parseScript, 1 MiB adversarial input (${adv.toFixed(0)} ms)`,
    'JSON.parse of as many bytes',
    adv / advJson,
  );

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pggit_version()'); // start V8 and load the bundle
    let n = 0;
    const register = (c: pg.Client, table: string) => {
      n += 1;
      return c.query('SELECT pggit_register($1, $2, $3)', [
        `bench-${n % 7}`,
        `bench_${n}`,
        `ALTER TABLE ${table} ADD COLUMN c${n} int; CREATE INDEX ON ${table} (c${n})`,
      ]);
    };

    // 2. registration vs a round trip
    const roundTrip = await time(() => client.query('SELECT 1'), 300);
    const reg = await time(() => register(client, `t_${n}`), 200);
    report('pggit_register (no conflicts)', 'SELECT 1 round trip', reg / roundTrip);
    const check = await time(
      () => client.query('SELECT pggit_check($1, $2, $3)', ['checker', 'c', MIGRATION]),
      100,
    );
    report('pggit_check of the sample migration', 'SELECT 1 round trip', check / roundTrip);

    // 3. scaling with many active intents
    await client.query('TRUNCATE tb_pggit_conflict');
    const empty = await time(() => register(client, `empty_${n}`), 100);
    await client.query(`INSERT INTO tb_pggit_intent (agent_id, feature_name, feature_key, branch_name, schema_changes, object_keys)
      SELECT 'bulk', 'bulk ' || g, 'bulk_' || g, 'feature/bulk_' || g, '[]', ARRAY['table:public.bulk_' || g]
        FROM generate_series(1, 2000) g`);
    await client.query('ANALYZE tb_pggit_intent');
    const full = await time(() => register(client, `full_${n}`), 100);
    report('pggit_register with 2,000 more active intents', 'before them (same run)', full / empty);

    // 4. parallel registrations on disjoint tables
    const cores = availableParallelism();
    const pool = await Promise.all(
      Array.from({ length: cores }, async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query('SELECT pggit_version()');
        return c;
      }),
    );
    const per = 100;
    let start = now();
    for (let i = 0; i < per * cores; i++) await register(client, `serial_${i}`);
    const serial = now() - start;
    start = now();
    await Promise.all(
      pool.map(async (c, k) => {
        for (let i = 0; i < per; i++) await register(c, `par_${k}_${i}`);
      }),
    );
    const parallel = now() - start;
    report(
      `${cores} connections on disjoint tables (wall time)`,
      'the same work on one connection',
      parallel / serial,
    );
    await Promise.all(pool.map((c) => c.end()));
  } finally {
    await client.end();
  }
}

await main();
