/**
 * The DDL object model, statement by statement.
 */
import { describe, expect, it } from 'vitest';
import { type DbObject, parseScript, qualify, quoteIdent } from '../../src/detector/index.js';

const objs = (sql: string, defaultSchema?: string) =>
  parseScript(sql, defaultSchema ? { defaultSchema } : undefined).objects.map(
    (o: DbObject) =>
      `${o.kind} ${o.action} ${o.qualified}${o.signature !== undefined ? `(${o.signature})` : ''}`,
  );

describe('names', () => {
  it('quote_ident rules', () => {
    expect(quoteIdent('users')).toBe('users');
    expect(quoteIdent('Users')).toBe('"Users"');
    expect(quoteIdent('user')).toBe('"user"');
    expect(quoteIdent('name')).toBe('name');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('2fa')).toBe('"2fa"');
    expect(qualify('public', 'Users', 'email')).toBe('public."Users".email');
    expect(qualify(null, 'x')).toBe('x');
  });

  it('unquoted names fold, quoted names do not, long names truncate to 63 bytes', () => {
    expect(objs('CREATE TABLE App.USERS (Id int)')).toEqual([
      'table create app.users',
      'column create app.users.id',
    ]);
    expect(objs('CREATE TABLE "App"."USERS" ("Id" int)')).toEqual([
      'table create "App"."USERS"',
      'column create "App"."USERS"."Id"',
    ]);
    const long = 'x'.repeat(70);
    expect(parseScript(`DROP TABLE ${long}`).objects[0]?.name).toBe('x'.repeat(63));
  });

  it('default schema: option, then SET search_path', () => {
    expect(objs('DROP TABLE t', 'app')).toEqual(['table drop app.t']);
    expect(
      objs(
        "SET search_path TO billing, public; DROP TABLE t; SET search_path = '$user', public; DROP TABLE u",
      ),
    ).toEqual(['table drop billing.t', 'table drop public.u']);
  });

  // test/detector/corpus/histories/standard_strings.sql replays these in PostgreSQL
  it('standard_conforming_strings: off, a backslash escapes in plain literals; scoped as PostgreSQL scopes it', () => {
    const texts = (sql: string) => parseScript(sql).statements.map((st) => st.text);
    // off: \' is a quote inside the literal, and the ; after it no statement end
    expect(
      texts(
        "SET standard_conforming_strings = off; COMMENT ON TABLE t IS 'Bob\\'s; table'; DROP TABLE u",
      ),
    ).toEqual([
      'SET standard_conforming_strings = off',
      "COMMENT ON TABLE t IS 'Bob\\'s; table'",
      'DROP TABLE u',
    ]);
    // on (the default): the quote after a backslash ends the literal
    expect(texts("CREATE TABLE w (p text DEFAULT 'C:\\'); DROP TABLE u")).toEqual([
      "CREATE TABLE w (p text DEFAULT 'C:\\')",
      'DROP TABLE u',
    ]);
    // whether, after the statements of `prefix`, a plain literal is read with escapes
    const off = (prefix: string) =>
      texts(`${prefix}; SELECT 'a\\'; b'`).at(-1) === "SELECT 'a\\'; b'";
    for (const p of [
      'SET standard_conforming_strings = off',
      "SET SESSION standard_conforming_strings TO 'off'",
      'SET standard_conforming_strings = false',
      'SET standard_conforming_strings = 0',
      'SET standard_conforming_strings = of',
      "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false)",
      'BEGIN; SET LOCAL standard_conforming_strings = off',
      // SET LOCAL outside a transaction block: for the rest of the script (see settings.ts)
      'SET LOCAL standard_conforming_strings = off',
      'SET standard_conforming_strings = off; BEGIN; SET standard_conforming_strings = on; ROLLBACK',
      'SET standard_conforming_strings = off; SAVEPOINT s; BEGIN; SAVEPOINT s; SET standard_conforming_strings = on; ROLLBACK TO s',
    ]) {
      expect(off(p), p).toBe(true);
    }
    for (const p of [
      'SET standard_conforming_strings = on',
      'SET standard_conforming_strings = off; RESET standard_conforming_strings',
      'SET standard_conforming_strings = off; RESET ALL',
      'SET standard_conforming_strings = off; DISCARD ALL',
      'SET standard_conforming_strings = off; SET standard_conforming_strings TO DEFAULT',
      'BEGIN; SET LOCAL standard_conforming_strings = off; COMMIT',
      'BEGIN; SET standard_conforming_strings = off; ROLLBACK',
      // values PostgreSQL refuses change nothing
      "SET standard_conforming_strings = 'maybe'",
      'SET standard_conforming_strings = o',
    ]) {
      expect(off(p), p).toBe(false);
    }
  });

  it('standard_conforming_strings: the rest of the script is lexed again, with its warnings', () => {
    // under on, the literal would run to the end of the script, unterminated
    const r = parseScript("SET standard_conforming_strings = off; SELECT 'it\\'s'; DROP TABLE t");
    expect(r.warnings).toEqual([]);
    expect(r.objects.map((o) => `${o.action} ${o.qualified}`)).toEqual(['drop public.t']);
    // and back: an unterminated literal after the switch is warned about once
    const back = parseScript(
      "SET standard_conforming_strings = off; SET standard_conforming_strings = on; SELECT 'x\\'",
    );
    expect(back.warnings.map((w) => w.message)).toEqual([]);
    const open = parseScript("SET standard_conforming_strings = off; SELECT 'x\\'");
    expect(open.warnings.filter((w) => w.lexical)).toHaveLength(1);
    // function bodies are read as the session reads them when they are created
    expect(
      objs(
        "SET standard_conforming_strings = off; CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t WHERE n = \\'a\\''",
      ),
    ).toEqual([
      'function create public.f()',
      'table reference public.t',
      'column reference public.t.n',
    ]);
  });

  // test/detector/corpus/histories/search_path.sql replays these in PostgreSQL
  it('search path: pg_catalog first, then the schema where names are looked up', () => {
    expect(
      objs('SET search_path = pg_catalog, public, pg_temp; CREATE INDEX r_idx ON recipes (status)'),
    ).toEqual(['index create public.r_idx', 'column reference public.recipes.status']);
    expect(objs("SET search_path TO '$user', pg_temp, app; DROP TABLE t")).toEqual([
      'table drop app.t',
    ]);
    expect(
      objs("SELECT set_config('search_path', 'pg_catalog, \"My App\"', false); DROP TABLE t"),
    ).toEqual(['table drop "My App".t']);
    // an empty path: only pg_catalog
    expect(objs("SET search_path = ''; SELECT lower('x')")).toEqual([]);
  });

  it('search path: SET LOCAL and set_config(..., true) end with their transaction', () => {
    const sql = (set: string) =>
      `SET search_path TO app; BEGIN; ${set}; DROP TABLE a; COMMIT; DROP TABLE b`;
    for (const set of [
      'SET LOCAL search_path TO public',
      "SELECT set_config('search_path', 'public', true)",
      "SELECT pg_catalog.set_config('search_path', 'public', 'on')",
      "SET LOCAL SCHEMA 'public'",
    ]) {
      expect(objs(sql(set)), set).toEqual(['table drop app.b', 'table drop public.a']);
    }
    // outside BEGIN ... COMMIT, the migration tool's transaction is the script
    expect(objs('SET LOCAL search_path TO app; DROP TABLE a')).toEqual(['table drop app.a']);
  });

  it('search path: ROLLBACK and ROLLBACK TO SAVEPOINT undo a SET; COMMIT keeps it', () => {
    expect(objs('BEGIN; SET search_path TO app; ROLLBACK; DROP TABLE a')).toEqual([
      'table drop public.a',
    ]);
    expect(objs('BEGIN; SET search_path TO app; ABORT; DROP TABLE a')).toEqual([
      'table drop public.a',
    ]);
    expect(objs('START TRANSACTION; SET search_path TO app; END; DROP TABLE a')).toEqual([
      'table drop app.a',
    ]);
    expect(
      objs(
        'BEGIN; SET search_path TO app; SAVEPOINT s; SET search_path TO billing; DROP TABLE a; ' +
          'ROLLBACK TO SAVEPOINT s; DROP TABLE b; RELEASE s; COMMIT; DROP TABLE c',
      ),
    ).toEqual(['table drop app.b', 'table drop app.c', 'table drop billing.a']);
    // COMMIT AND CHAIN opens the next transaction: its SET LOCAL ends at the next COMMIT
    expect(
      objs(
        'BEGIN; COMMIT AND CHAIN; SET LOCAL search_path TO app; DROP TABLE a; COMMIT; DROP TABLE b',
      ),
    ).toEqual(['table drop app.a', 'table drop public.b']);
    // COMMIT PREPARED ends another transaction, not this one
    expect(
      objs(
        "BEGIN; SET LOCAL search_path TO app; COMMIT PREPARED 'x'; DROP TABLE a; COMMIT; DROP TABLE b",
      ),
    ).toEqual(['table drop app.a', 'table drop public.b']);
  });

  it('search path: RESET, RESET ALL, DISCARD ALL and SET SCHEMA', () => {
    expect(objs('SET search_path TO app; RESET search_path; DROP TABLE a', 'home')).toEqual([
      'table drop home.a',
    ]);
    expect(objs('SET search_path TO app; RESET ALL; DROP TABLE a')).toEqual([
      'table drop public.a',
    ]);
    expect(objs('SET search_path TO app; DISCARD ALL; DROP TABLE a')).toEqual([
      'table drop public.a',
    ]);
    expect(objs("SET SCHEMA 'app'; DROP TABLE a")).toEqual(['table drop app.a']);
  });

  it("search path: a body in a string runs with its caller's path, never pg_dump's empty one", () => {
    const body = (opts: string) =>
      `SELECT pg_catalog.set_config('search_path', '', false);
       CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql ${opts} AS $$
       BEGIN UPDATE counters SET n = 1; PERFORM snap(1); END $$`;
    expect(objs(body(''))).toEqual([
      'table reference public.counters',
      'column reference public.counters.n',
      'function create public.f()',
      'function reference public.snap',
    ]);
    // the function's own path wins, pg_catalog first or not
    expect(objs(body('SET search_path = pg_catalog, app'))).toContain(
      'table reference app.counters',
    );
    // an empty path of its own: only pg_catalog's names
    expect(objs(body("SET search_path = ''"))).not.toContain('table reference public.counters');
  });
});

describe('tables and columns', () => {
  it('ALTER TABLE of a sequence, view or materialized view the script created alters that', () => {
    expect(
      objs(`CREATE SEQUENCE public.orders_id_seq AS integer START WITH 1;
        ALTER TABLE public.orders_id_seq OWNER TO postgres;
        CREATE VIEW v AS SELECT 1 AS x; ALTER TABLE IF EXISTS v OWNER TO postgres;
        CREATE MATERIALIZED VIEW m AS SELECT 1 AS x; ALTER TABLE m OWNER TO postgres`).filter((o) =>
        o.includes(' alter '),
      ),
    ).toEqual([
      'materialized_view alter public.m',
      'sequence alter public.orders_id_seq',
      'view alter public.v',
    ]);
    // not created by the script: a table, as far as the script says; so is ONLY's
    expect(objs('ALTER TABLE public.orders_id_seq OWNER TO postgres')).toEqual([
      'table alter public.orders_id_seq',
    ]);
    expect(
      objs('CREATE VIEW v AS SELECT 1 AS x; ALTER TABLE ONLY v OWNER TO postgres').filter((o) =>
        o.includes(' alter '),
      ),
    ).toEqual(['table alter public.v']);
  });

  it('CREATE TABLE forms', () => {
    expect(objs('CREATE TEMP TABLE t (a int)')).toEqual([
      'table create pg_temp.t',
      'column create pg_temp.t.a',
    ]);
    expect(objs('CREATE UNLOGGED TABLE IF NOT EXISTS t (a int)')).toEqual([
      'table create public.t',
      'column create public.t.a',
    ]);
    expect(objs("CREATE TABLE p1 PARTITION OF p FOR VALUES IN ('x')")).toEqual([
      'table reference public.p',
      'table create public.p1',
    ]);
    expect(objs('CREATE TABLE t AS SELECT * FROM a JOIN b ON a.id = b.id')).toEqual([
      'table reference public.a',
      'column reference public.a.id',
      'table reference public.b',
      'column reference public.b.id',
      'table create public.t',
    ]);
    expect(objs('CREATE TABLE t (LIKE s INCLUDING ALL) ')).toEqual([
      'table reference public.s',
      'table create public.t',
    ]);
  });

  it('constraints: named and unnamed, inline and table-level; FKs reference the target table and columns', () => {
    const o = parseScript(
      'CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE, org int REFERENCES orgs (id), age int CHECK (age > 0), CONSTRAINT t_org_fk FOREIGN KEY (org) REFERENCES orgs (id), UNIQUE (email, org), EXCLUDE USING gist (id WITH =))',
    ).objects;
    expect(
      o.filter((x) => x.kind === 'constraint').map((x) => [x.name, x.implicitName ?? false]),
    ).toEqual([
      ['t_age_check', true],
      ['t_email_key', true],
      ['t_email_org_key', true],
      ['t_id_excl', true],
      ['t_org_fk', false],
      ['t_org_fkey', true],
      ['t_pkey', true],
    ]);
    expect(
      o.filter((x) => x.action === 'reference').map((x) => `${x.kind} ${x.qualified}`),
    ).toEqual([
      'table public.orgs',
      'column public.orgs.id',
      'column public.t.age',
      'column public.t.email',
      'column public.t.id',
      'column public.t.org',
    ]);
  });

  it('ALTER TABLE: every action of a comma-separated list', () => {
    expect(
      objs(
        'ALTER TABLE IF EXISTS ONLY t ADD COLUMN IF NOT EXISTS a int, ADD b text, DROP COLUMN IF EXISTS c CASCADE, DROP d, ' +
          'ALTER COLUMN e SET DATA TYPE bigint, ALTER f TYPE text USING f::text, ALTER g SET DEFAULT 0, ALTER h DROP DEFAULT, ' +
          'ALTER i SET NOT NULL, ALTER j DROP NOT NULL, ADD CONSTRAINT k CHECK (a > 0) NOT VALID, DROP CONSTRAINT IF EXISTS l, ' +
          'VALIDATE CONSTRAINT m, ENABLE TRIGGER n, OWNER TO x',
      ),
    ).toEqual([
      'table alter public.t',
      'column create public.t.a',
      'column reference public.t.a',
      'column create public.t.b',
      'column drop public.t.c',
      'column drop public.t.d',
      'column alter public.t.e',
      'column alter public.t.f',
      'column reference public.t.f',
      'column alter public.t.g',
      'column alter public.t.h',
      'column alter public.t.i',
      'column alter public.t.j',
      'constraint create public.t.k',
      'constraint drop public.t.l',
      'constraint alter public.t.m',
      'trigger alter public.t.n',
    ]);
  });

  it('renames record the old and the new name', () => {
    const r = parseScript('ALTER TABLE t RENAME COLUMN a TO b').objects;
    expect(r.map((o) => [o.kind, o.action, o.qualified, o.newName, o.renamedFrom])).toEqual([
      ['table', 'alter', 'public.t', undefined, undefined],
      ['column', 'rename', 'public.t.a', 'b', undefined],
      ['column', 'rename', 'public.t.b', undefined, 'public.t.a'],
    ]);
    expect(objs('ALTER TABLE t RENAME TO u')).toEqual([
      'table rename public.t',
      'table rename public.u',
    ]);
    expect(objs('ALTER TABLE t RENAME CONSTRAINT a TO b')).toEqual([
      'table alter public.t',
      'constraint rename public.t.a',
      'constraint rename public.t.b',
    ]);
    expect(objs('ALTER TABLE t SET SCHEMA app')).toEqual([
      'table rename app.t',
      'table rename public.t',
    ]);
    expect(objs('ALTER INDEX i RENAME TO j')).toEqual([
      'index rename public.i',
      'index rename public.j',
    ]);
    expect(objs('ALTER VIEW v RENAME TO w')).toEqual([
      'view rename public.v',
      'view rename public.w',
    ]);
    expect(objs('ALTER SEQUENCE s RENAME TO s2')).toEqual([
      'sequence rename public.s',
      'sequence rename public.s2',
    ]);
    expect(objs('ALTER TYPE ty RENAME TO ty2')).toEqual([
      'type rename public.ty',
      'type rename public.ty2',
    ]);
    expect(objs('ALTER FUNCTION f(int) RENAME TO g')).toEqual([
      'function rename public.f(integer)',
      'function rename public.g(integer)',
    ]);
    expect(objs('ALTER SCHEMA a RENAME TO b')).toEqual(['schema rename a', 'schema rename b']);
    expect(objs('ALTER TRIGGER tr ON t RENAME TO tr2')).toEqual([
      'trigger rename public.t.tr',
      'trigger rename public.t.tr2',
    ]);
    expect(objs('ALTER POLICY p ON t RENAME TO p2')).toEqual([
      'policy rename public.t.p',
      'policy rename public.t.p2',
    ]);
  });
});

describe('indexes', () => {
  it('named, unnamed, UNIQUE, CONCURRENTLY, IF NOT EXISTS, ON ONLY, USING; normalised keys', () => {
    const r = parseScript(
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY app.t USING btree (lower(Email), "Name" DESC, id ASC) WHERE deleted_at IS NULL',
    ).objects.find((o) => o.kind === 'index');
    expect(r).toMatchObject({
      qualified: 'app.ix',
      table: 'app.t',
      columns: ['lower(email)', '"Name" desc', 'id'],
    });
    expect(
      parseScript('CREATE INDEX ON orders (created_at, lower(x))').objects.find(
        (o) => o.kind === 'index',
      ),
    ).toMatchObject({
      qualified: 'public.orders_created_at_lower_idx',
      implicitName: true,
    });
    expect(objs('DROP INDEX CONCURRENTLY IF EXISTS a; DROP INDEX b, app.c CASCADE')).toEqual([
      'index drop app.c',
      'index drop public.a',
      'index drop public.b',
    ]);
  });
});

describe('functions', () => {
  it('signatures drop names, modes (OUT args entirely) and defaults, and use canonical type names', () => {
    expect(
      objs(
        'CREATE OR REPLACE FUNCTION app.f(IN a int4, OUT b text, c varchar(10) DEFAULT \'x\', VARIADIC d int[], e double precision = 1, timestamptz, bool, int8, int2, float8, "char", public.mood) RETURNS record LANGUAGE sql AS $$ DROP TABLE users $$',
      ),
    ).toEqual([
      'function create app.f(integer,character varying,integer[],double precision,timestamp with time zone,boolean,bigint,smallint,double precision,"char",mood)',
      'type reference public.mood',
    ]);
  });

  it('bodies are never scanned, whatever their quoting', () => {
    for (const body of [
      "'DROP TABLE users; CREATE TABLE x (id int)'",
      '$$ ALTER TABLE users ADD c int; $$',
      '$f$ DROP TABLE users $f$',
    ]) {
      const r = parseScript(
        `CREATE FUNCTION f() RETURNS void LANGUAGE sql AS ${body}; DROP TABLE t`,
      );
      expect(r.objects.map((o) => o.qualified)).toEqual(['public.f', 'public.t']);
    }
    const atomic = parseScript(
      'CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DROP TABLE users; SELECT CASE WHEN true THEN 1 END; END; DROP TABLE t',
    );
    expect(atomic.statements.map((s) => s.kind)).toEqual(['CREATE PROCEDURE', 'DROP TABLE']);
  });

  it('procedures and aggregates are functions; ALTER and DROP lists', () => {
    expect(objs('CREATE AGGREGATE agg(int) (SFUNC = int4pl, STYPE = int)')).toEqual([
      'function create public.agg(integer)',
    ]);
    expect(objs('CREATE AGGREGATE old (BASETYPE = int, SFUNC = int4pl, STYPE = int)')).toEqual([
      'function create public.old',
    ]);
    expect(objs('DROP FUNCTION IF EXISTS f(a int, text), g CASCADE; DROP PROCEDURE p()')).toEqual([
      'function drop public.f(integer,text)',
      'function drop public.g',
      'function drop public.p()',
    ]);
    expect(objs('ALTER FUNCTION f(int) SECURITY DEFINER')).toEqual([
      'function alter public.f(integer)',
    ]);
  });
});

describe('views, triggers, types, sequences, policies, extensions, schemas', () => {
  it('views reference the relations their query reads (CTE names excluded)', () => {
    expect(
      objs(
        'CREATE OR REPLACE VIEW app.v AS WITH recent AS (SELECT * FROM orders) SELECT u.id, (SELECT count(*) FROM items i WHERE i.uid = u.id) FROM users u LEFT JOIN recent r ON r.uid = u.id, LATERAL unnest(u.tags) t WHERE EXISTS (SELECT 1 FROM bans b) AND extract(year FROM now()) > 0',
      ),
    ).toEqual([
      'view create app.v',
      'table reference public.bans',
      'table reference public.items',
      'column reference public.items.uid',
      'table reference public.orders',
      'table reference public.users',
      'column reference public.users.id',
      'column reference public.users.tags',
    ]);
    expect(
      objs('CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT * FROM a WITH NO DATA'),
    ).toEqual(['table reference public.a', 'materialized_view create public.mv']);
  });

  it('triggers: the trigger on its table, its function as a reference', () => {
    expect(
      objs(
        'CREATE OR REPLACE TRIGGER tr BEFORE UPDATE OF a, b ON app.t FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a) EXECUTE PROCEDURE util.touch()',
      ),
    ).toEqual([
      'column reference app.t.a',
      'column reference app.t.b',
      'trigger create app.t.tr',
      'function reference util.touch()',
    ]);
    expect(objs('DROP TRIGGER IF EXISTS tr ON t CASCADE')).toEqual(['trigger drop public.t.tr']);
  });

  it('types, enums and domains', () => {
    expect(
      objs(
        "CREATE TYPE mood AS ENUM ('a'); ALTER TYPE mood ADD VALUE IF NOT EXISTS 'b' BEFORE 'a'; ALTER TYPE mood RENAME VALUE 'a' TO 'z'",
      ),
    ).toEqual(['type alter public.mood', 'type create public.mood']);
    expect(
      objs('CREATE DOMAIN email AS text CHECK (VALUE ~ $$@$$); DROP DOMAIN IF EXISTS email2'),
    ).toEqual([
      'type create public.email',
      'constraint create public.email.email_check',
      'type drop public.email2',
    ]);
    expect(objs('CREATE TYPE app.pair AS (a int, b text); DROP TYPE app.pair, x')).toEqual([
      'type create app.pair',
      'type drop app.pair',
      'type drop public.x',
    ]);
  });

  it('sequences, policies, extensions, schemas', () => {
    expect(
      objs(
        'CREATE SEQUENCE IF NOT EXISTS s START 1; ALTER SEQUENCE s OWNED BY t.id; DROP SEQUENCE s',
      ),
    ).toEqual([
      'sequence alter public.s',
      'sequence create public.s',
      'sequence drop public.s',
      'table reference public.t',
      'column reference public.t.id',
    ]);
    expect(
      objs('CREATE POLICY p ON t FOR SELECT TO app USING (true); DROP POLICY IF EXISTS q ON app.t'),
    ).toEqual(['policy drop app.t.q', 'policy create public.t.p']);
    expect(
      objs('CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public; DROP EXTENSION a, b'),
    ).toEqual([
      'extension create "uuid-ossp"',
      'extension drop a',
      'extension drop b',
      'schema reference public',
    ]);
    expect(
      objs('CREATE SCHEMA IF NOT EXISTS billing AUTHORIZATION app; DROP SCHEMA a, b CASCADE'),
    ).toEqual(['schema drop a', 'schema drop b', 'schema create billing']);
  });

  it('COMMENT ON and GRANT/REVOKE', () => {
    expect(
      objs(
        "COMMENT ON COLUMN app.t.c IS 'x'; COMMENT ON TABLE t IS NULL; COMMENT ON CONSTRAINT k ON t IS 'y'",
      ),
    ).toEqual(['column alter app.t.c', 'table alter public.t', 'constraint alter public.t.k']);
    expect(
      objs('GRANT SELECT, INSERT ON TABLE a, app.b TO r; REVOKE ALL ON c FROM PUBLIC'),
    ).toEqual(['table alter app.b', 'table alter public.a', 'table alter public.c']);
  });
});

describe('statement kinds and warnings', () => {
  it('transaction control and SET produce no objects and no warnings', () => {
    const r = parseScript(
      "BEGIN; SET lock_timeout = '5s'; SET LOCAL statement_timeout TO 0; SAVEPOINT a; RELEASE a; COMMIT; START TRANSACTION; ROLLBACK; END; RESET ALL",
    );
    expect(r.warnings).toEqual([]);
    expect(r.objects).toEqual([]);
    expect(r.statements.map((s) => s.kind)).toEqual([
      'BEGIN',
      'SET',
      'SET',
      'SAVEPOINT',
      'RELEASE',
      'COMMIT',
      'START TRANSACTION',
      'ROLLBACK',
      'COMMIT',
      'RESET',
    ]);
  });

  it('data changes reference their tables (they depend on them; they do not change the schema)', () => {
    expect(
      objs(
        'INSERT INTO a SELECT * FROM b; UPDATE ONLY c SET x = 1 FROM d; DELETE FROM e USING f; TRUNCATE g, h',
      ),
    ).toEqual([
      ...['a', 'b', 'c'].map((t) => `table reference public.${t}`),
      'column reference public.c.x',
      ...['d', 'e', 'f', 'g', 'h'].map((t) => `table reference public.${t}`),
    ]);
  });

  it('publications: the tables, columns and schemas they name are references', () => {
    expect(
      objs(
        "CREATE PUBLICATION p FOR TABLE a, ONLY b (x) WHERE (y > 1), TABLES IN SCHEMA s, CURRENT_SCHEMA, TABLE c WITH (publish = 'insert')",
      ),
    ).toEqual([
      'schema reference public',
      'table reference public.a',
      'table reference public.b',
      'column reference public.b.x',
      'column reference public.b.y',
      'table reference public.c',
      'schema reference s',
    ]);
    // Supabase realtime
    expect(objs('alter publication supabase_realtime add table public.messages')).toEqual([
      'table reference public.messages',
    ]);
    expect(objs('ALTER PUBLICATION p DROP TABLE t')).toEqual(['table reference public.t']);
    for (const sql of [
      'CREATE PUBLICATION p FOR ALL TABLES',
      'CREATE PUBLICATION p',
      "ALTER PUBLICATION p SET (publish = 'insert')",
      // pg_dump writes the owner of every publication
      'ALTER PUBLICATION supabase_realtime OWNER TO postgres',
      'ALTER PUBLICATION p OWNER TO CURRENT_USER',
      'ALTER PUBLICATION p RENAME TO q',
    ]) {
      const r = parseScript(sql);
      expect([r.objects, r.warnings], sql).toEqual([[], []]);
    }
  });

  it('unsupported kinds warn with their name and produce no objects', () => {
    const r = parseScript(
      'BEGIN; CREATE TABLE t (id int); ALTER SUBSCRIPTION s DISABLE; CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f(); DO $$ BEGIN DROP TABLE t; END $$; VACUUM t; CREATE ROLE r',
    );
    expect(r.warnings.map((w) => [w.statement, w.message])).toEqual([
      [2, 'statement 3: ALTER SUBSCRIPTION is not analysed'],
      [3, 'statement 4: CREATE EVENT TRIGGER is not analysed'],
      [5, 'statement 6: VACUUM is not analysed'],
      [6, 'statement 7: CREATE ROLE is not analysed'],
    ]);
    // the DO block runs now: its DROP TABLE counts
    expect(r.objects.map((o) => `${o.action} ${o.qualified}`)).toEqual([
      'create public.t',
      'drop public.t',
      'create public.t.id',
    ]);
  });

  it('statements keep their kind, trimmed text and offsets', () => {
    const sql = "  -- header\nALTER TABLE t ADD c int ;\n\nCOMMENT ON TABLE t IS 'a;b';";
    const r = parseScript(sql);
    expect(r.statements.map((s) => [s.kind, s.text, sql.slice(s.start, s.end)])).toEqual([
      ['ALTER TABLE', 'ALTER TABLE t ADD c int', 'ALTER TABLE t ADD c int'],
      ['COMMENT ON', "COMMENT ON TABLE t IS 'a;b'", "COMMENT ON TABLE t IS 'a;b'"],
    ]);
  });

  it('objects are deduplicated and sorted by qualified name, kind, action', () => {
    const r = parseScript(
      'ALTER TABLE b ADD x int; ALTER TABLE a ADD x int; ALTER TABLE b ADD y int; ALTER TABLE a ADD x int',
    );
    expect(r.objects.map((o) => `${o.qualified} ${o.kind} ${o.action}`)).toEqual([
      'public.a table alter',
      'public.a.x column create',
      'public.b table alter',
      'public.b.x column create',
      'public.b.y column create',
    ]);
  });
});
