/**
 * Conflict rules, advice, parse-once API and the conflictKeys completeness property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sorted } from '../../src/detector/conflicts.js';
import {
  type ConflictReport,
  conflictKeys,
  detectConflicts,
  detectParsed,
  detectPrepared,
  type IntentInput,
  normalizeFeatureName,
  parseScript,
  prepareIntent,
} from '../../src/detector/index.js';

let n = 0;
const I = (
  agent: string,
  sql: string | string[],
  feature?: string,
  tables?: string[],
): IntentInput => ({
  agent_id: agent,
  feature_name: feature ?? `feature_${++n}`,
  schema_changes: sql,
  tables_affected: tables,
});
const types = (rs: ConflictReport[]) =>
  rs.map((r) => `${r.conflict_type}:${r.severity}:${r.affected_objects.join(',')}`);
const cmp = (a: string, b: string) => types(detectConflicts(I('agent-a', a), I('agent-b', b)));

describe('conflict rules', () => {
  it('table: any table-scoped change counts, a mere reference does not', () => {
    expect(cmp('CREATE INDEX ON users (email)', 'COMMENT ON COLUMN users.name IS $$x$$')).toEqual([
      'table:warning:public.users',
    ]);
    expect(cmp('GRANT SELECT ON users TO app', 'CREATE POLICY p ON users USING (true)')).toEqual([
      'table:warning:public.users',
    ]);
    // FK target and view FROM are references only
    expect(
      cmp(
        'ALTER TABLE orders ADD CONSTRAINT o_fk FOREIGN KEY (user_id) REFERENCES users (id)',
        'ALTER TABLE users ADD COLUMN age int',
      ),
    ).toEqual([]);
    expect(
      cmp('CREATE VIEW v AS SELECT * FROM users', 'ALTER TABLE users ADD COLUMN age int'),
    ).toEqual([]);
  });

  it('table: tables_affected counts, normalised like a table name', () => {
    const a = I('agent-a', 'CREATE VIEW v AS SELECT 1', 'f1', ['USERS', 'app."Orders"']);
    const b = I('agent-b', 'ALTER TABLE users ADD x int; ALTER TABLE app."Orders" ADD y int', 'f2');
    expect(types(detectConflicts(a, b))).toEqual(['table:warning:app."Orders",public.users']);
  });

  it('column: the same column through different spellings; references do not count', () => {
    expect(
      cmp('ALTER TABLE public.users ALTER COLUMN email TYPE text', 'alter table USERS drop email'),
    ).toEqual(['table:warning:public.users', 'column:error:public.users.email']);
    expect(cmp('CREATE INDEX i ON users (email)', 'ALTER TABLE "Users" ADD email text')).toEqual(
      [],
    );
  });

  it('function: same function, compatible signatures only', () => {
    expect(
      cmp(
        'DROP FUNCTION f(int)',
        'CREATE FUNCTION f(a int4) RETURNS int LANGUAGE sql AS $$select 1$$',
      ),
    ).toEqual(['function:error:public.f']);
    expect(
      cmp(
        'DROP FUNCTION f(text)',
        'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$select 1$$',
      ),
    ).toEqual([]);
    expect(cmp('DROP FUNCTION f', 'ALTER FUNCTION f(bigint) OWNER TO x')).toEqual([
      'function:error:public.f',
    ]);
    expect(
      cmp(
        'CREATE PROCEDURE app.p() LANGUAGE sql AS $$$$',
        'CREATE FUNCTION p() RETURNS int LANGUAGE sql AS $$$$',
      ),
    ).toEqual([]);
  });

  it('index: the same name, or the same table and key columns', () => {
    expect(cmp('CREATE INDEX i ON a (x)', 'DROP INDEX i')).toEqual(['index:warning:public.i']);
    expect(
      cmp(
        'CREATE INDEX i1 ON t (lower(email))',
        'CREATE UNIQUE INDEX i2 ON public.t (LOWER( email ))',
      ),
    ).toEqual(['table:warning:public.t', 'index:warning:public.i1,public.i2']);
    expect(cmp('CREATE INDEX i1 ON t (a, b)', 'CREATE INDEX i2 ON t (b, a)')).toEqual([
      'table:warning:public.t',
    ]);
  });

  it('constraint: same name is an error, different names on one table a warning', () => {
    expect(
      cmp('ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0)', 'ALTER TABLE t DROP CONSTRAINT c'),
    ).toEqual(['table:warning:public.t', 'constraint:error:public.t.c']);
    expect(
      cmp(
        'ALTER TABLE t ADD CONSTRAINT c1 CHECK (x > 0)',
        'ALTER TABLE t ADD CONSTRAINT c2 UNIQUE (y)',
      ),
    ).toEqual(['table:warning:public.t', 'constraint:warning:public.t.c1,public.t.c2']);
    // two unnamed primary keys on one table: the same derived name, for the constraint and its index
    expect(
      cmp('ALTER TABLE t ADD PRIMARY KEY (id)', 'ALTER TABLE t ADD PRIMARY KEY (uuid)'),
    ).toEqual([
      'table:warning:public.t',
      'index:warning:public.t_pkey',
      'constraint:error:public.t.t_pkey',
    ]);
  });

  it('timing: the same normalised feature name by different agents', () => {
    const a = I('agent-a', 'CREATE TABLE a (id int)', 'Stripe Integration');
    const b = I('agent-b', 'CREATE TABLE b (id int)', 'stripe_integration');
    expect(types(detectConflicts(a, b))).toEqual(['timing:warning:stripe_integration']);
    expect(normalizeFeatureName('Stripe  Integration!')).toBe('stripe_integration_');
    expect(normalizeFeatureName('api/v2/users endpoint')).toBe('api_v2_users_endpoint');
  });

  it('dependency: drops and renames against references and builds-on, in both directions', () => {
    expect(
      cmp('ALTER TABLE users RENAME TO accounts', 'CREATE VIEW v AS SELECT * FROM users'),
    ).toEqual(['dependency:error:public.users']);
    expect(
      cmp(
        'ALTER TABLE users DROP COLUMN id',
        'ALTER TABLE orders ADD FOREIGN KEY (uid) REFERENCES users (id)',
      ),
    ).toEqual(['dependency:error:public.users.id']);
    expect(cmp('DROP TABLE users', 'CREATE INDEX ON users (email)')).toEqual([
      'table:warning:public.users',
      'dependency:error:public.users',
    ]);
    expect(
      cmp(
        'DROP FUNCTION audit()',
        'CREATE TRIGGER t AFTER INSERT ON x FOR EACH ROW EXECUTE FUNCTION audit()',
      ),
    ).toEqual(['dependency:error:public.audit']);
    expect(
      cmp(
        'DROP FUNCTION audit(int)',
        'CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION audit()',
      ),
    ).toEqual([]);
    expect(cmp('DROP SCHEMA billing CASCADE', 'CREATE TABLE billing.invoices (id int)')).toEqual([
      'dependency:error:billing',
    ]);
    expect(cmp('DROP MATERIALIZED VIEW stats', 'REFRESH MATERIALIZED VIEW stats')).toEqual([
      'dependency:error:public.stats',
    ]);
    expect(cmp('DROP TYPE mood', 'ALTER TABLE people ADD COLUMN m mood')).toEqual([
      'dependency:error:public.mood',
    ]);
    expect(cmp('ALTER TYPE app.mood RENAME TO feeling', 'CREATE DOMAIN d AS app.mood')).toEqual([
      'dependency:error:app.mood',
    ]);
    // dropping a table the other creates itself is a table conflict, not a dependency
    expect(cmp('DROP TABLE t', 'CREATE TABLE t (id int REFERENCES t (id))')).toEqual([
      'table:warning:public.t',
    ]);
  });

  it("dependency: through the search paths dumps and migrations set (pg_dump's empty one, pg_catalog first, SET LOCAL)", () => {
    // a Rails structure.sql: the trigger function's body runs with its caller's path
    const dump = `SELECT pg_catalog.set_config('search_path', '', false);
      CREATE FUNCTION public.bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE counters SET n = n + 1; NEW.log_data := logidze_snapshot(to_jsonb(NEW.*)); RETURN NEW; END $$;`;
    expect(cmp(dump, 'DROP FUNCTION public.logidze_snapshot(jsonb)')).toEqual([
      'dependency:error:public.logidze_snapshot',
    ]);
    expect(cmp(dump, 'ALTER TABLE public.counters DROP COLUMN n')).toEqual([
      'dependency:error:public.counters.n',
    ]);
    const hardened = `BEGIN; SET LOCAL search_path = pg_catalog, public, pg_temp;
      CREATE INDEX recipes_status_idx ON recipes (status); COMMIT;`;
    expect(cmp(hardened, 'DROP TABLE public.recipes')).toEqual([
      'table:warning:public.recipes',
      'dependency:error:public.recipes',
    ]);
    // a SET LOCAL ends with its transaction: users is public's again
    const local =
      'BEGIN; SET LOCAL search_path TO app; CREATE TABLE a (id int); COMMIT; CREATE TABLE users (id int);';
    expect(cmp(local, 'CREATE TABLE public.users (id int)')).toEqual([
      'table:warning:public.users',
      'column:error:public.users.id',
    ]);
    expect(cmp(local, 'CREATE TABLE app.users (id int)')).toEqual([]);
  });

  it('dependency: a table a publication names (Supabase realtime)', () => {
    expect(
      cmp('alter publication supabase_realtime add table public.messages', 'DROP TABLE messages'),
    ).toEqual(['dependency:error:public.messages']);
    expect(
      cmp(
        'CREATE PUBLICATION p FOR TABLE messages (body)',
        'ALTER TABLE messages DROP COLUMN body',
      ),
    ).toEqual(['dependency:error:public.messages.body']);
  });

  it('dependency: a relation and a sequence of one name are one pg_class object', () => {
    // pg_dump's ALTER TABLE ... OWNER TO of a sequence the script does not create
    const owner = 'ALTER TABLE public.orders_id_seq OWNER TO postgres';
    expect(cmp(owner, 'DROP SEQUENCE public.orders_id_seq')).toEqual([
      'dependency:error:public.orders_id_seq',
    ]);
    expect(cmp('DROP SEQUENCE public.orders_id_seq', owner)).toEqual([
      'dependency:error:public.orders_id_seq',
    ]);
    expect(cmp(owner, 'ALTER SEQUENCE public.orders_id_seq RENAME TO ids')).toEqual([
      'dependency:error:public.orders_id_seq',
    ]);
    // the registry finds the candidate by a shared key
    const keys = (sql: string) => new Set(conflictKeys(I('x', sql)));
    const shared = [...keys(owner)].filter((k) =>
      keys('DROP SEQUENCE public.orders_id_seq').has(k),
    );
    expect(shared).toContain('table:public.orders_id_seq');
  });

  it('same object changed by both: view, type, sequence, trigger, policy, schema, extension', () => {
    expect(cmp('CREATE OR REPLACE VIEW v AS SELECT 1', 'DROP VIEW v')).toEqual([
      'view:error:public.v',
    ]);
    expect(cmp("ALTER TYPE mood ADD VALUE 'meh'", 'DROP TYPE mood')).toEqual([
      'type:error:public.mood',
    ]);
    expect(cmp('CREATE SEQUENCE s', 'ALTER SEQUENCE s RESTART')).toEqual([
      'sequence:error:public.s',
    ]);
    expect(
      cmp('CREATE TRIGGER tr BEFORE INSERT ON t EXECUTE FUNCTION f()', 'DROP TRIGGER tr ON t'),
    ).toEqual(['table:warning:public.t', 'trigger:error:public.t.tr']);
    expect(cmp('CREATE POLICY p ON t USING (true)', 'ALTER POLICY p ON t USING (false)')).toEqual([
      'table:warning:public.t',
      'policy:error:public.t.p',
    ]);
    expect(cmp('CREATE SCHEMA app', 'ALTER SCHEMA app OWNER TO x')).toEqual(['schema:error:app']);
    expect(cmp('CREATE EXTENSION IF NOT EXISTS pgcrypto', 'DROP EXTENSION pgcrypto')).toEqual([
      'extension:error:pgcrypto',
    ]);
  });

  it('same agent: never any conflict', () => {
    expect(
      detectConflicts(I('solo', 'DROP TABLE t', 'x'), I('solo', 'ALTER TABLE t ADD c int', 'x')),
    ).toEqual([]);
  });

  it('at most one report per type, objects sorted', () => {
    const rs = detectConflicts(
      I('a', 'ALTER TABLE z ADD c int; ALTER TABLE a ADD c int; ALTER TABLE m ADD c int'),
      I('b', 'ALTER TABLE m ADD c int; ALTER TABLE z ADD c int; ALTER TABLE a ADD c int'),
    );
    expect(types(rs)).toEqual([
      'table:warning:public.a,public.m,public.z',
      'column:error:public.a.c,public.m.c,public.z.c',
    ]);
  });
});

describe('advice', () => {
  it('names the other agent, its feature and the objects, from the newcomer’s side', () => {
    const existing = I('agent-c', 'DROP TABLE customers;', 'drop_legacy_customers');
    const newcomer = I(
      'agent-d',
      'CREATE TABLE billing_accounts (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id));',
      'billing_accounts',
    );
    const [dep] = detectConflicts(newcomer, existing);
    expect(dep?.resolution_suggestions).toEqual([
      'agent-c (feature "drop_legacy_customers") drops public.customers, which your change depends on; do not apply yours before agreeing with agent-c: either it keeps public.customers, or you rework your change and apply it after "drop_legacy_customers" merges.',
    ]);
    const [back] = detectConflicts(existing, newcomer);
    expect(back?.resolution_suggestions).toEqual([
      'Your change would drop public.customers, which agent-d (feature "billing_accounts") depends on; apply yours only after "billing_accounts" merges and agent-d has adapted, or keep public.customers.',
    ]);
  });

  it('is deterministic', () => {
    const a = I('a', 'ALTER TABLE t ADD x int, ADD y int; CREATE INDEX ON t (x)', 'fa');
    const b = I('b', 'ALTER TABLE t DROP y, ADD x text; CREATE INDEX ix ON t (x)', 'fb');
    expect(JSON.stringify(detectConflicts(a, b))).toBe(JSON.stringify(detectConflicts(a, b)));
    const [, , idx] = detectConflicts(a, b);
    expect(idx?.resolution_suggestions[0]).toContain(
      'Combine the two index definitions on public.t (x) into one',
    );
  });
});

describe('parse once, compare many', () => {
  it('detectParsed and detectPrepared give what detectConflicts gives, from stored (JSON) parse results', () => {
    const a = I('a', 'ALTER TABLE users ADD COLUMN email text', 'f');
    const b = I('b', ['ALTER TABLE users', 'ADD COLUMN email text'].join(' '), 'g');
    const stored = JSON.parse(JSON.stringify(parseScript(b.schema_changes)));
    const pa = parseScript(a.schema_changes);
    expect(detectParsed(a, pa, b, stored)).toEqual(detectConflicts(a, b));
    expect(detectPrepared(prepareIntent(a, pa), prepareIntent(b, stored))).toEqual(
      detectConflicts(a, b),
    );
    expect(prepareIntent(a).keys).toEqual(conflictKeys(a));
  });

  it('one prepared intent compared with many newcomers, either side, gives what fresh comparisons give', () => {
    // what a comparison derives from a prepared intent (its index definitions,
    // its constraints by table) is kept with it: reuse must never change a report
    const stored = I(
      'owner',
      `CREATE INDEX users_email_idx ON users (email);
       ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age > 0);
       ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0)`,
      'stored',
    );
    const kept = prepareIntent(stored);
    const newcomers = [
      'CREATE INDEX users_mail_idx ON users (email)',
      'CREATE INDEX users_name_idx ON users (name)',
      'ALTER TABLE users ADD CONSTRAINT users_name_check CHECK (name <> $$$$)',
      'ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0)',
      'ALTER TABLE orders DROP CONSTRAINT orders_total_check',
      'ALTER TABLE invoices ADD CONSTRAINT invoices_n_check CHECK (n > 0)',
      'CREATE INDEX orders_total_idx ON orders (total); DROP INDEX users_email_idx',
    ].map((sql, i) => I(`agent-${i}`, sql, `newcomer ${i}`));
    for (const round of [1, 2]) {
      for (const x of newcomers) {
        expect(
          detectPrepared(prepareIntent(x), kept),
          `round ${round}: ${x.schema_changes}`,
        ).toEqual(detectConflicts(x, stored));
        expect(
          detectPrepared(kept, prepareIntent(x)),
          `round ${round}: ${x.schema_changes}`,
        ).toEqual(detectConflicts(stored, x));
      }
    }
    // and the comparisons found something to compare
    expect(types(detectConflicts(newcomers[0]!, stored))).toContain(
      'index:warning:public.users_email_idx,public.users_mail_idx',
    );
  });

  it('accepts a list of statements, each one or more statements', () => {
    const r = parseScript(['CREATE TABLE a (id int); CREATE TABLE b (id int)', 'DROP TABLE c']);
    expect(r.statements.map((s) => s.kind)).toEqual(['CREATE TABLE', 'CREATE TABLE', 'DROP TABLE']);
    expect(r.statements.map((s) => s.index)).toEqual([0, 1, 2]);
  });
});

describe('conflictKeys', () => {
  it('is sorted, deduplicated and coarse', () => {
    expect(
      conflictKeys(
        I(
          'a',
          'ALTER TABLE users ADD COLUMN org_id int REFERENCES orgs (id); CREATE INDEX ix ON users (org_id); DROP FUNCTION f(int); CREATE TYPE app.mood AS ENUM ($$a$$)',
          'Org Support',
          ['users'],
        ),
      ),
    ).toEqual([
      'feature:org_support',
      'function:public.f',
      'index:public.ix',
      'schema:app',
      'table:public.orgs',
      'table:public.users',
      'type:app.mood',
    ]);
  });

  it('unrelated intents share no key', () => {
    const a = conflictKeys(I('a', 'ALTER TABLE users ADD COLUMN email text', 'email'));
    const b = conflictKeys(
      I(
        'b',
        'CREATE TABLE invoices (id int PRIMARY KEY); CREATE INDEX ON invoices (id)',
        'invoices',
      ),
    );
    expect(a.filter((k) => b.includes(k))).toEqual([]);
  });

  // A deliberately tiny name space, so that random intents collide often.
  const rel = fc.constantFrom(
    'users',
    'USERS',
    'public.users',
    '"Users"',
    'orders',
    'app.orders',
    'v',
    'mv',
  );
  const colName = fc.constantFrom('id', 'email', '"Email"');
  const fn = fc.constantFrom('f', 'app.f', 'g');
  const ty = fc.constantFrom('mood', 'app.mood');
  const idx = fc.constantFrom('ix', 'app.ix', 'users_email_idx');
  const stmt = fc.oneof(
    fc.tuple(rel, colName).map(([r, c]) => `ALTER TABLE ${r} ADD COLUMN ${c} int`),
    fc.tuple(rel, colName).map(([r, c]) => `ALTER TABLE ONLY ${r} DROP COLUMN IF EXISTS ${c}`),
    fc
      .tuple(rel, colName, colName)
      .map(([r, a, b]) => `ALTER TABLE ${r} RENAME COLUMN ${a} TO ${b}`),
    fc
      .tuple(rel, colName)
      .map(([r, c]) => `CREATE TABLE IF NOT EXISTS ${r} (${c} int PRIMARY KEY)`),
    rel.map((r) => `DROP TABLE ${r}`),
    rel.map((r) => `ALTER TABLE ${r} RENAME TO renamed`),
    fc
      .tuple(rel, rel, colName)
      .map(
        ([r, t, c]) => `ALTER TABLE ${r} ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES ${t} (${c})`,
      ),
    fc
      .tuple(rel, fc.constantFrom('c1', 'c2'))
      .map(([r, c]) => `ALTER TABLE ${r} DROP CONSTRAINT ${c}`),
    fc
      .tuple(idx, rel, colName)
      .map(([i, r, c]) => `CREATE INDEX ${i.split('.').pop()} ON ${r} (${c})`),
    fc.tuple(rel, colName).map(([r, c]) => `CREATE INDEX ON ${r} (${c})`),
    idx.map((i) => `DROP INDEX ${i}`),
    fc
      .tuple(fn, fc.constantFrom('int', 'integer', 'text', ''))
      .map(
        ([f, a]) =>
          `CREATE OR REPLACE FUNCTION ${f}(${a}) RETURNS int LANGUAGE sql AS $$ DROP TABLE users $$`,
      ),
    fc
      .tuple(fn, fc.constantFrom('(int)', '(text)', '()', ''))
      .map(([f, a]) => `DROP FUNCTION ${f}${a}`),
    fc
      .tuple(rel, fn)
      .map(
        ([r, f]) => `CREATE TRIGGER tr BEFORE INSERT ON ${r} FOR EACH ROW EXECUTE FUNCTION ${f}()`,
      ),
    fc
      .tuple(rel, rel)
      .map(([v, r]) => `CREATE VIEW ${v.replace('users', 'v')} AS SELECT * FROM ${r}`),
    rel.map((r) => `CREATE MATERIALIZED VIEW mv AS SELECT * FROM ${r} JOIN orders USING (id)`),
    fc.constantFrom('DROP VIEW v', 'DROP MATERIALIZED VIEW mv', 'REFRESH MATERIALIZED VIEW mv'),
    ty.map((t) => `CREATE TYPE ${t} AS ENUM ('a')`),
    ty.map((t) => `DROP TYPE ${t}`),
    fc.tuple(rel, ty).map(([r, t]) => `CREATE TABLE ${r} OF ${t}`),
    fc
      .tuple(rel, colName, ty)
      .map(([r, c, t]) => `ALTER TABLE ${r} ADD ${c} ${t}, ALTER COLUMN x TYPE ${t}`),
    fc.constantFrom(
      'CREATE SCHEMA app',
      'DROP SCHEMA app CASCADE',
      'ALTER SCHEMA app RENAME TO app2',
    ),
    fc.constantFrom('CREATE SEQUENCE s', 'DROP SEQUENCE app.s', 'GRANT USAGE ON SEQUENCE s TO r'),
    rel.map((r) => `CREATE POLICY p ON ${r} USING (true)`),
    fc.constantFrom('CREATE EXTENSION citext', 'DROP EXTENSION citext'),
    fc.tuple(rel, colName).map(([r, c]) => `COMMENT ON COLUMN ${r}.${c} IS 'x'`),
    rel.map((r) => `GRANT SELECT ON ${r} TO app`),
    rel.map((r) => `UPDATE ${r} SET id = 1`),
    fc
      .tuple(ty, fc.constantFrom("'x'", "'y'", "'z'"))
      .map(([t, v]) => `ALTER TYPE ${t} ADD VALUE ${v}`),
    ty.map((t) => `ALTER TYPE ${t} RENAME VALUE 'x' TO 'w'`),
    fc.tuple(rel, colName).map(([r, c]) => `CREATE VIEW v AS SELECT ${c} FROM ${r}`),
    rel.map((r) => `CREATE VIEW v AS SELECT * FROM ${r}`),
    fc
      .tuple(rel, colName)
      .map(([r, c]) => `ALTER TABLE ${r} ADD CHECK (${c} > 0), ADD UNIQUE (${c})`),
    fc.tuple(rel, colName).map(([r, c]) => `CREATE TABLE ${r} (${c} serial PRIMARY KEY)`),
    fc.constantFrom('CREATE SEQUENCE users_id_seq', 'DROP SEQUENCE users_id_seq'),
    rel.map((r) => `ALTER SEQUENCE s OWNED BY ${r}.id`),
    fc.constantFrom(
      "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT count(*) FROM users $$',
    ),
  );
  const intent = fc.record({
    agent_id: fc.constantFrom('a', 'b', 'c'),
    feature_name: fc.constantFrom('x', 'X', 'y', 'Some Feature', 'some_feature'),
    schema_changes: fc.array(stmt, { minLength: 1, maxLength: 4 }).map((xs) => xs.join(';\n')),
    tables_affected: fc.option(fc.array(rel, { maxLength: 2 }), { nil: undefined }),
  });

  it('is complete: a conflict implies a shared key (property)', () => {
    let conflicting = 0;
    fc.assert(
      fc.property(intent, intent, (a, b) => {
        const reports = detectConflicts(a, b);
        if (reports.length === 0) return;
        conflicting++;
        const kb = new Set(conflictKeys(b));
        expect(conflictKeys(a).some((k) => kb.has(k))).toBe(true);
      }),
      { seed: 42, numRuns: 3000 },
    );
    expect(conflicting).toBeGreaterThan(1000);
  }, 60_000);

  it('detectPrepared(b, a) gives what detectPrepared(a, b) gives, with advice naming the other agent (property)', () => {
    const named = intent.map((i) => ({ ...i, agent_id: `agent-${i.agent_id}x` }));
    let conflicting = 0;
    fc.assert(
      fc.property(named, named, (a, b) => {
        const pa = prepareIntent(a);
        const pb = prepareIntent(b);
        const ab = detectPrepared(pa, pb);
        const ba = detectPrepared(pb, pa);
        const shape = (rs: ConflictReport[]) =>
          rs.map((r) => `${r.conflict_type}:${r.severity}:${r.affected_objects}`);
        expect(shape(ba)).toEqual(shape(ab));
        if (a.agent_id === b.agent_id) return;
        if (ab.length > 0) conflicting++;
        for (const r of ab) {
          for (const advice of r.resolution_suggestions) {
            expect(advice).toContain(b.agent_id);
            expect(advice).not.toContain(a.agent_id);
          }
        }
      }),
      { seed: 44, numRuns: 1500 },
    );
    expect(conflicting).toBeGreaterThan(300);
  }, 60_000);

  it('advice: false gives the same reports with no advice, and nothing else changes (property)', () => {
    let conflicting = 0;
    fc.assert(
      fc.property(intent, intent, (a, b) => {
        const pa = prepareIntent(a);
        const pb = prepareIntent(b);
        const full = detectPrepared(pa, pb);
        const lean = detectPrepared(pa, pb, { advice: false });
        if (full.length > 0) conflicting++;
        expect(lean).toEqual(full.map((r) => ({ ...r, resolution_suggestions: [] })));
        // the lean comparison leaves the prepared intents as they were
        expect(detectPrepared(pa, pb)).toEqual(full);
      }),
      { seed: 45, numRuns: 1500 },
    );
    expect(conflicting).toBeGreaterThan(300);
  }, 60_000);

  it('prepareIntent from the stored objects alone detects exactly as from a fresh parse (property)', () => {
    fc.assert(
      fc.property(intent, intent, (a, b) => {
        const fresh = detectPrepared(prepareIntent(a), prepareIntent(b));
        const stored = (i: IntentInput) => {
          const objects = JSON.parse(JSON.stringify(parseScript(i.schema_changes).objects));
          return prepareIntent(i, { statements: [], objects, warnings: [] });
        };
        expect(detectPrepared(stored(a), stored(b))).toEqual(fresh);
        expect(stored(a).keys).toEqual(conflictKeys(a));
      }),
      { seed: 45, numRuns: 1000 },
    );
  }, 60_000);

  it('conflicts are symmetric in type (property)', () => {
    fc.assert(
      fc.property(intent, intent, (a, b) => {
        const ab = detectConflicts(a, b).map(
          (r) => `${r.conflict_type}:${r.severity}:${r.affected_objects}`,
        );
        const ba = detectConflicts(b, a).map(
          (r) => `${r.conflict_type}:${r.severity}:${r.affected_objects}`,
        );
        expect(ab).toEqual(ba);
      }),
      { seed: 43, numRuns: 1500 },
    );
  }, 60_000);
});

describe('sorted', () => {
  it('is the distinct strings, sorted: [...new Set(xs)].sort(), for arrays and other iterables', () => {
    fc.assert(
      // any UTF-16 (surrogates too): the order is sort()'s, by code units
      fc.property(
        fc.array(fc.string({ maxLength: 4, unit: 'binary' }), { maxLength: 12 }),
        (xs) => {
          const expected = [...new Set(xs)].sort();
          expect(sorted(xs)).toEqual(expected);
          expect(sorted(new Set(xs))).toEqual(expected);
          expect(sorted(xs.values())).toEqual(expected);
        },
      ),
    );
  });

  it('leaves its argument as it was', () => {
    const xs = ['b', 'a', 'b'];
    sorted(xs);
    expect(xs).toEqual(['b', 'a', 'b']);
  });
});
