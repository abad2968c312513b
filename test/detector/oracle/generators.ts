/**
 * TEST-ONLY grammar-driven generator of DDL/DML statements (fast-check). Every
 * statement is valid PostgreSQL 17 syntax; names need quoting or not, mix case,
 * are reserved words in quotes, carry schemas; comments and odd whitespace are
 * put between tokens; function bodies contain DDL-looking text and semicolons.
 */
import fc from 'fast-check';

type Toks = string[];
type Arb = fc.Arbitrary<Toks>;

const t = (...xs: string[]): Arb => fc.constant(xs);
const seq = (...parts: (Arb | string)[]): Arb =>
  fc
    .tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant([p]) : p)))
    .map((xs) => xs.flat());
const opt = (a: Arb | string): Arb =>
  fc.oneof(fc.constant([] as Toks), typeof a === 'string' ? t(a) : a);
const one = (...xs: (Arb | string)[]): Arb =>
  fc.oneof(...xs.map((x) => (typeof x === 'string' ? t(x) : x)));
const commaList = (a: Arb, min = 1, max = 3): Arb =>
  fc
    .array(a, { minLength: min, maxLength: max })
    .map((xs) => xs.flatMap((x, i) => (i === 0 ? x : [',', ...x])));

const PLAIN = [
  'users',
  'orders',
  'order_items',
  'accounts',
  'invoices',
  't1',
  'line_items',
  'name',
  'data',
  'version',
];
const MIXED_UNQUOTED = ['Users', 'ORDERS', 'OrderItems', 'Accounts_V2'];
const QUOTED = [
  '"User"',
  '"OrderItem"',
  '"my table"',
  '"select"',
  '"user"',
  '"a""b"',
  '"café"',
  '"Mixed_Case"',
  '"order"',
  '"2fa"',
];
const LONG = 'a_very_long_identifier_that_exceeds_the_sixty_three_byte_limit_of_postgres';

/** A table/relation name (one identifier). */
export const ident: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PLAIN) },
  { weight: 2, arbitrary: fc.constantFrom(...MIXED_UNQUOTED) },
  { weight: 3, arbitrary: fc.constantFrom(...QUOTED) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/).map((s) => `x_${s}`) },
  { weight: 1, arbitrary: fc.constant(LONG) },
);
const COLS = [
  'id',
  'email',
  'created_at',
  'user_id',
  'amount',
  'status',
  '"authorId"',
  '"createdAt"',
  '"select"',
  'Name',
  'type',
  'value',
];
export const column: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...COLS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{1,6}$/).map((s) => `c_${s}`) },
);
const schema = fc.constantFrom('public', 'app', '"Billing"', 'analytics', 'PUBLIC');
const name: Arb = fc
  .tuple(fc.option(schema, { freq: 3 }), ident)
  .map(([s, n]) => (s ? [s, '.', n] : [n]));
const col: Arb = column.map((c) => [c]);
const colList: Arb = seq('(', commaList(col, 1, 3), ')');

const TYPES: Toks[] = [
  ['int'],
  ['integer'],
  ['INT4'],
  ['bigint'],
  ['int8'],
  ['text'],
  ['varchar', '(', '255', ')'],
  ['character', 'varying', '(', '20', ')'],
  ['numeric', '(', '10', ',', '2', ')'],
  ['timestamp', 'with time', 'zone'],
  ['timestamptz'],
  ['timestamp', '(', '3', ')', 'without time', 'zone'],
  ['boolean'],
  ['bool'],
  ['jsonb'],
  ['uuid'],
  ['int', '[', ']'],
  ['text', 'ARRAY'],
  ['double', 'precision'],
  ['float8'],
  ['"MyType"'],
  ['app', '.', 'mood'],
  ['public', '.', 'mood'],
  ['char', '(', '2', ')'],
  ['smallint'],
  ['interval'],
];
const type: Arb = fc.constantFrom(...TYPES);
const EXPRS: Toks[] = [
  ['0'],
  ["'x'"],
  ['now', '(', ')'],
  ['true'],
  ["'a''b'"],
  ["E'\\n;\\''"],
  ['$$a;b$$'],
  ['lower', '(', "'X'", ')'],
  ['1', '+', '2'],
  ["'{}'", '::', 'jsonb'],
];
const expr: Arb = fc.constantFrom(...EXPRS);
const cond: Arb = one(
  seq(col, '>', '0'),
  seq(col, 'IS', 'NOT', 'NULL'),
  seq(col, '<>', "''"),
  t('true'),
);

const colConstraint: Arb = seq(
  opt(
    seq(
      'CONSTRAINT',
      ident.map((x) => [x]),
    ),
  ),
  one(
    t('PRIMARY', 'KEY'),
    t('UNIQUE'),
    seq('CHECK', '(', cond, ')'),
    seq(
      'REFERENCES',
      name,
      opt(seq('(', col, ')')),
      opt(
        one(t('ON', 'DELETE', 'CASCADE'), t('ON', 'DELETE', 'RESTRICT', 'ON', 'UPDATE', 'CASCADE')),
      ),
    ),
  ),
);
const colModifier: Arb = one(t('NOT', 'NULL'), t('NULL'), seq('DEFAULT', expr));
const columnDef: Arb = seq(
  col,
  type,
  opt(t('COLLATE', '"C"')),
  fc.array(fc.oneof(colModifier, colConstraint), { maxLength: 2 }).map((x) => x.flat()),
);
const tableConstraint: Arb = seq(
  opt(
    seq(
      'CONSTRAINT',
      ident.map((x) => [x]),
    ),
  ),
  one(
    seq('PRIMARY', 'KEY', colList),
    seq('UNIQUE', colList),
    seq('CHECK', '(', cond, ')'),
    seq(
      'FOREIGN',
      'KEY',
      colList,
      'REFERENCES',
      name,
      opt(colList),
      opt(t('ON', 'DELETE', 'SET', 'NULL')),
    ),
    t('EXCLUDE', 'USING', 'gist', '(', 'id', 'WITH', '=', ')'),
  ),
);

const createTable: Arb = seq(
  'CREATE',
  one(t(), t('TEMP'), t('TEMPORARY'), t('UNLOGGED')),
  'TABLE',
  opt(t('IF', 'NOT', 'EXISTS')),
  name,
  '(',
  commaList(columnDef, 1, 4),
  fc.array(tableConstraint, { maxLength: 2 }).map((xs) => xs.flatMap((x) => [',', ...x])),
  ')',
);
const createTableExtras: Arb = one(
  seq('CREATE', 'TABLE', name, 'PARTITION', 'OF', name, 'FOR', 'VALUES', 'IN', '(', '1', ')'),
  seq('CREATE', 'TABLE', name, '(', 'LIKE', name, 'INCLUDING', 'ALL', ')'),
  seq('CREATE', 'TABLE', name, '(', columnDef, ')', 'INHERITS', '(', name, ')'),
  seq('CREATE', 'TABLE', name, '(', columnDef, ')', 'PARTITION', 'BY', 'RANGE', '(', col, ')'),
  seq(
    'CREATE',
    'TABLE',
    opt(t('IF', 'NOT', 'EXISTS')),
    name,
    'AS',
    'SELECT',
    '*',
    'FROM',
    name,
    opt(t('WITH', 'NO', 'DATA')),
  ),
);

const alterAction: Arb = one(
  seq('ADD', opt('COLUMN'), opt(t('IF', 'NOT', 'EXISTS')), columnDef),
  seq('DROP', opt('COLUMN'), opt(t('IF', 'EXISTS')), col, opt(one('CASCADE', 'RESTRICT'))),
  seq(
    'ALTER',
    opt('COLUMN'),
    col,
    opt(t('SET', 'DATA')),
    'TYPE',
    type,
    opt(seq('USING', col, '::', 'text')),
  ),
  seq('ALTER', opt('COLUMN'), col, 'SET', 'DEFAULT', expr),
  seq(
    'ALTER',
    opt('COLUMN'),
    col,
    one(t('DROP', 'DEFAULT'), t('SET', 'NOT', 'NULL'), t('DROP', 'NOT', 'NULL')),
  ),
  seq('ADD', tableConstraint),
  seq(
    'ADD',
    'CONSTRAINT',
    ident.map((x) => [x]),
    'CHECK',
    '(',
    cond,
    ')',
    'NOT',
    'VALID',
  ),
  seq(
    'DROP',
    'CONSTRAINT',
    opt(t('IF', 'EXISTS')),
    ident.map((x) => [x]),
    opt('CASCADE'),
  ),
  seq(
    'VALIDATE',
    'CONSTRAINT',
    ident.map((x) => [x]),
  ),
  t('OWNER', 'TO', 'app_owner'),
  seq(
    one('ENABLE', 'DISABLE'),
    'TRIGGER',
    ident.map((x) => [x]),
  ),
  t('ENABLE', 'ROW', 'LEVEL', 'SECURITY'),
  t('SET', '(', 'fillfactor', '=', '70', ')'),
);
const alterTable: Arb = seq(
  'ALTER',
  'TABLE',
  opt(t('IF', 'EXISTS')),
  opt('ONLY'),
  name,
  commaList(alterAction, 1, 3),
);
const alterTableRename: Arb = seq(
  'ALTER',
  'TABLE',
  opt(t('IF', 'EXISTS')),
  name,
  one(
    seq('RENAME', opt('COLUMN'), col, 'TO', col),
    seq(
      'RENAME',
      'CONSTRAINT',
      ident.map((x) => [x]),
      'TO',
      ident.map((x) => [x]),
    ),
    seq(
      'RENAME',
      'TO',
      ident.map((x) => [x]),
    ),
    seq(
      'SET',
      'SCHEMA',
      schema.map((x) => [x]),
    ),
  ),
);
const dropTable: Arb = seq(
  'DROP',
  'TABLE',
  opt(t('IF', 'EXISTS')),
  commaList(name, 1, 3),
  opt(one('CASCADE', 'RESTRICT')),
);

const indexElem: Arb = one(
  col,
  seq(col, 'DESC'),
  seq(col, 'ASC', 'NULLS FIRST'),
  seq('lower', '(', col, ')'),
  seq('(', col, '||', "'x'", ')'),
  seq(col, 'text_pattern_ops'),
);
const createIndex: Arb = seq(
  'CREATE',
  opt('UNIQUE'),
  'INDEX',
  opt('CONCURRENTLY'),
  one(
    t(),
    ident.map((x) => [x]),
    seq(
      'IF',
      'NOT',
      'EXISTS',
      ident.map((x) => [x]),
    ),
  ),
  'ON',
  opt('ONLY'),
  name,
  opt(seq('USING', one('btree', 'hash', 'gin', 'BTREE'))),
  '(',
  commaList(indexElem, 1, 3),
  ')',
  opt(seq('INCLUDE', colList)),
  opt(seq('WHERE', cond)),
);
const dropIndex: Arb = one(
  seq('DROP', 'INDEX', 'CONCURRENTLY', opt(t('IF', 'EXISTS')), name),
  seq('DROP', 'INDEX', opt(t('IF', 'EXISTS')), commaList(name, 1, 3), opt('CASCADE')),
);
const alterIndex: Arb = one(
  seq(
    'ALTER',
    'INDEX',
    opt(t('IF', 'EXISTS')),
    name,
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
  seq('ALTER', 'INDEX', name, 'SET', 'TABLESPACE', 'fast'),
);

const argName = fc.constantFrom('order_id', 'p_user', '"Arg"', 'x', 'amount');
const arg: Arb = seq(
  opt(one('IN', 'INOUT', 'VARIADIC')),
  opt(argName.map((x) => [x])),
  type,
  opt(seq(one('DEFAULT', '='), expr)),
);
const outArg: Arb = seq(
  'OUT',
  argName.map((x) => [x]),
  type,
);
const args: Arb = seq(
  '(',
  fc.oneof(t(), commaList(arg, 1, 3), seq(commaList(arg, 1, 2), ',', outArg)),
  ')',
);
const BODIES = [
  '$$ SELECT 1 $$',
  '$$ DROP TABLE users; CREATE TABLE evil (id int); $$',
  '$body$ BEGIN ALTER TABLE orders ADD COLUMN x int; RETURN NULL; END; $body$',
  "'SELECT 1; DROP TABLE x'",
  "'select ''a;b'''",
  '$f$ SELECT $1 + $x$nested$x$ $f$',
];
const fnName: Arb = name;
const createFunction: Arb = one(
  seq(
    'CREATE',
    opt(t('OR', 'REPLACE')),
    'FUNCTION',
    fnName,
    args,
    'RETURNS',
    one(type, t('void'), t('trigger'), seq('SETOF', 'text')),
    'LANGUAGE',
    one('sql', 'plpgsql', 'SQL'),
    opt(one('IMMUTABLE', 'STABLE', t('SECURITY', 'DEFINER'))),
    'AS',
    fc.constantFrom(...BODIES).map((b) => [b]),
  ),
  seq(
    'CREATE',
    opt(t('OR', 'REPLACE')),
    'PROCEDURE',
    fnName,
    args,
    'LANGUAGE',
    'plpgsql',
    'AS',
    fc.constantFrom(...BODIES).map((b) => [b]),
  ),
  seq(
    'CREATE',
    'FUNCTION',
    fnName,
    '(',
    'a',
    'int',
    ')',
    'RETURNS',
    'int',
    'LANGUAGE',
    'sql',
    'BEGIN',
    'ATOMIC',
    'SELECT',
    'a',
    '+',
    '1',
    ';',
    'SELECT',
    'CASE',
    'WHEN',
    'a',
    '>',
    '0',
    'THEN',
    '1',
    'END',
    ';',
    'END',
  ),
  seq(
    'CREATE',
    'AGGREGATE',
    fnName,
    '(',
    type,
    ')',
    '(',
    'SFUNC',
    '=',
    'int4pl',
    ',',
    'STYPE',
    '=',
    'int',
    ')',
  ),
);
const typeList: Arb = seq('(', fc.oneof(t(), commaList(type, 1, 3)), ')');
const dropFunction: Arb = seq(
  'DROP',
  one('FUNCTION', 'PROCEDURE', 'ROUTINE'),
  opt(t('IF', 'EXISTS')),
  commaList(
    seq(
      fnName,
      opt(
        one(
          typeList,
          seq(
            '(',
            commaList(seq(opt(one('IN', 'VARIADIC')), opt(argName.map((x) => [x])), type), 1, 2),
            ')',
          ),
        ),
      ),
    ),
    1,
    2,
  ),
  opt('CASCADE'),
);
const alterFunction: Arb = seq(
  'ALTER',
  one('FUNCTION', 'PROCEDURE'),
  fnName,
  opt(typeList),
  one(
    seq(
      'RENAME',
      'TO',
      ident.map((x) => [x]),
    ),
    t('OWNER', 'TO', 'app_owner'),
    t('SET', 'search_path', '=', 'public'),
    seq(
      'SET',
      'SCHEMA',
      schema.map((x) => [x]),
    ),
  ),
);

const query: Arb = one(
  seq(
    'SELECT',
    col,
    ',',
    col,
    'FROM',
    name,
    opt('o'),
    opt(seq(one('JOIN', t('LEFT', 'JOIN')), name, 'p', 'ON', 'o', '.', 'id', '=', 'p', '.', 'id')),
  ),
  seq('SELECT', '*', 'FROM', name, 'WHERE', col, 'IN', '(', 'SELECT', col, 'FROM', name, ')'),
  seq(
    'WITH',
    'cte',
    'AS',
    '(',
    'SELECT',
    '*',
    'FROM',
    name,
    ')',
    'SELECT',
    '*',
    'FROM',
    'cte',
    'JOIN',
    name,
    'USING',
    '(',
    'id',
    ')',
  ),
  seq('SELECT', 'extract', '(', 'year', 'FROM', 'now', '(', ')', ')', ',', col, 'FROM', name),
  seq('SELECT', '*', 'FROM', name, ',', 'LATERAL', '(', 'SELECT', '*', 'FROM', name, ')', 's'),
  seq('SELECT', 'g', 'FROM', 'generate_series', '(', '1', ',', '3', ')', 'g'),
  seq('SELECT', col, 'FROM', name, 'UNION', 'ALL', 'SELECT', col, 'FROM', name),
  seq('SELECT', col, 'FROM', name, 'WHERE', col, 'IS', 'DISTINCT', 'FROM', '1'),
  seq('SELECT', '(', 'SELECT', 'max', '(', col, ')', 'FROM', name, ')', 'AS', 'm', 'FROM', name),
  seq('SELECT', '*', 'FROM', '(', name, 'a', 'CROSS', 'JOIN', name, 'b', ')'),
  seq('SELECT', 'substring', '(', col, 'FROM', '1', 'FOR', '2', ')', 'FROM', 'ONLY', name),
  seq(
    'SELECT',
    'count',
    '(',
    '*',
    ')',
    'FROM',
    name,
    'GROUP',
    'BY',
    '1',
    'HAVING',
    'EXISTS',
    '(',
    'SELECT',
    '1',
    'FROM',
    name,
    ')',
  ),
);
const createView: Arb = one(
  seq(
    'CREATE',
    opt(t('OR', 'REPLACE')),
    opt('TEMP'),
    'VIEW',
    name,
    opt(colList),
    'AS',
    query,
    opt(t('WITH', 'CHECK', 'OPTION')),
  ),
  seq(
    'CREATE',
    'MATERIALIZED',
    'VIEW',
    opt(t('IF', 'NOT', 'EXISTS')),
    name,
    'AS',
    query,
    opt(one(t('WITH', 'DATA'), t('WITH', 'NO', 'DATA'))),
  ),
  seq(
    'CREATE',
    'RECURSIVE',
    'VIEW',
    'nums',
    '(',
    'n',
    ')',
    'AS',
    'VALUES',
    '(',
    '1',
    ')',
    'UNION',
    'ALL',
    'SELECT',
    'n',
    '+',
    '1',
    'FROM',
    'nums',
    'WHERE',
    'n',
    '<',
    '5',
  ),
);
const viewMisc: Arb = one(
  seq(
    'DROP',
    one(t('VIEW'), t('MATERIALIZED', 'VIEW')),
    opt(t('IF', 'EXISTS')),
    commaList(name, 1, 2),
    opt('CASCADE'),
  ),
  seq(
    'ALTER',
    one(t('VIEW'), t('MATERIALIZED', 'VIEW')),
    opt(t('IF', 'EXISTS')),
    name,
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
  seq('ALTER', 'VIEW', name, 'OWNER', 'TO', 'app_owner'),
  seq('REFRESH', 'MATERIALIZED', 'VIEW', opt('CONCURRENTLY'), name, opt(t('WITH', 'DATA'))),
);

const trigger: Arb = one(
  seq(
    'CREATE',
    opt(t('OR', 'REPLACE')),
    'TRIGGER',
    ident.map((x) => [x]),
    one('BEFORE', 'AFTER'),
    one(
      t('INSERT'),
      t('INSERT', 'OR', 'UPDATE'),
      seq('UPDATE', 'OF', commaList(col, 1, 2)),
      t('DELETE'),
    ),
    'ON',
    name,
    opt(one(t('FOR', 'EACH', 'ROW'), t('FOR', 'EACH', 'STATEMENT'), t('FOR', 'ROW'))),
    'EXECUTE',
    one('FUNCTION', 'PROCEDURE'),
    fnName,
    '(',
    opt("'arg'"),
    ')',
  ),
  seq(
    'DROP',
    'TRIGGER',
    opt(t('IF', 'EXISTS')),
    ident.map((x) => [x]),
    'ON',
    name,
    opt('CASCADE'),
  ),
  seq(
    'ALTER',
    'TRIGGER',
    ident.map((x) => [x]),
    'ON',
    name,
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
);
const typeName: Arb = name;
const types: Arb = one(
  seq('CREATE', 'TYPE', typeName, 'AS', 'ENUM', '(', "'a'", ',', "'b'", ')'),
  seq('CREATE', 'TYPE', typeName, 'AS', '(', 'x', 'int', ',', 'y', 'text', ')'),
  seq('CREATE', 'TYPE', typeName, 'AS', 'RANGE', '(', 'SUBTYPE', '=', 'float8', ')'),
  seq(
    'ALTER',
    'TYPE',
    typeName,
    'ADD',
    'VALUE',
    opt(t('IF', 'NOT', 'EXISTS')),
    "'c'",
    opt(t('BEFORE', "'a'")),
  ),
  seq('ALTER', 'TYPE', typeName, 'RENAME', 'VALUE', "'a'", 'TO', "'z'"),
  seq(
    'ALTER',
    'TYPE',
    typeName,
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
  seq('ALTER', 'TYPE', typeName, 'OWNER', 'TO', 'app_owner'),
  seq('DROP', 'TYPE', opt(t('IF', 'EXISTS')), commaList(typeName, 1, 2), opt('CASCADE')),
  seq(
    'CREATE',
    'DOMAIN',
    typeName,
    opt('AS'),
    type,
    opt(seq('CHECK', '(', 'VALUE', 'IS', 'NOT', 'NULL', ')')),
  ),
  seq('ALTER', 'DOMAIN', typeName, 'SET', 'NOT', 'NULL'),
  seq('DROP', 'DOMAIN', opt(t('IF', 'EXISTS')), typeName),
);
const sequences: Arb = one(
  seq(
    'CREATE',
    opt('TEMP'),
    'SEQUENCE',
    opt(t('IF', 'NOT', 'EXISTS')),
    name,
    opt(t('START', 'WITH', '1')),
    opt(t('INCREMENT', 'BY', '1')),
  ),
  seq('ALTER', 'SEQUENCE', opt(t('IF', 'EXISTS')), name, 'RESTART', 'WITH', '10'),
  seq(
    'ALTER',
    'SEQUENCE',
    name,
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
  seq('DROP', 'SEQUENCE', opt(t('IF', 'EXISTS')), commaList(name, 1, 2)),
);
const policies: Arb = one(
  seq(
    'CREATE',
    'POLICY',
    ident.map((x) => [x]),
    'ON',
    name,
    opt(t('FOR', 'SELECT')),
    opt(t('TO', 'app_user')),
    'USING',
    '(',
    cond,
    ')',
  ),
  seq(
    'ALTER',
    'POLICY',
    ident.map((x) => [x]),
    'ON',
    name,
    'USING',
    '(',
    'true',
    ')',
  ),
  seq(
    'ALTER',
    'POLICY',
    ident.map((x) => [x]),
    'ON',
    name,
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
  seq(
    'DROP',
    'POLICY',
    opt(t('IF', 'EXISTS')),
    ident.map((x) => [x]),
    'ON',
    name,
  ),
);
const extName = fc.constantFrom('pgcrypto', '"uuid-ossp"', 'citext', 'postgis');
const schemaName = fc.constantFrom('app', '"Billing"', 'analytics', 'Reporting');
const schemasExt: Arb = one(
  seq(
    'CREATE',
    'EXTENSION',
    opt(t('IF', 'NOT', 'EXISTS')),
    extName.map((x) => [x]),
    opt(t('WITH', 'SCHEMA', 'public')),
  ),
  seq(
    'DROP',
    'EXTENSION',
    opt(t('IF', 'EXISTS')),
    extName.map((x) => [x]),
  ),
  seq(
    'ALTER',
    'EXTENSION',
    extName.map((x) => [x]),
    'UPDATE',
  ),
  seq(
    'CREATE',
    'SCHEMA',
    opt(t('IF', 'NOT', 'EXISTS')),
    schemaName.map((x) => [x]),
    opt(t('AUTHORIZATION', 'app_owner')),
  ),
  seq(
    'DROP',
    'SCHEMA',
    opt(t('IF', 'EXISTS')),
    commaList(
      schemaName.map((x) => [x]),
      1,
      2,
    ),
    opt('CASCADE'),
  ),
  seq(
    'ALTER',
    'SCHEMA',
    schemaName.map((x) => [x]),
    'RENAME',
    'TO',
    ident.map((x) => [x]),
  ),
  seq(
    'ALTER',
    'SCHEMA',
    schemaName.map((x) => [x]),
    'OWNER',
    'TO',
    'app_owner',
  ),
);
const comments: Arb = seq(
  'COMMENT',
  'ON',
  one(
    seq('TABLE', name),
    seq('COLUMN', name, '.', col),
    seq('INDEX', name),
    seq('FUNCTION', fnName, opt(typeList)),
    seq('VIEW', name),
    seq('MATERIALIZED', 'VIEW', name),
    seq('TYPE', name),
    seq(
      'SCHEMA',
      schemaName.map((x) => [x]),
    ),
    seq(
      'CONSTRAINT',
      ident.map((x) => [x]),
      'ON',
      name,
    ),
    seq(
      'TRIGGER',
      ident.map((x) => [x]),
      'ON',
      name,
    ),
    seq(
      'EXTENSION',
      extName.map((x) => [x]),
    ),
  ),
  'IS',
  one("'a comment; with semicolon'", 'NULL', "E'it\\'s'"),
);
const grants: Arb = one(
  seq(
    'GRANT',
    one(t('SELECT'), t('SELECT', ',', 'INSERT'), t('ALL', 'PRIVILEGES')),
    'ON',
    opt('TABLE'),
    commaList(name, 1, 2),
    'TO',
    'app_user',
  ),
  seq('REVOKE', 'ALL', 'ON', opt('TABLE'), name, 'FROM', 'app_user', opt('CASCADE')),
  seq('GRANT', 'USAGE', 'ON', 'SEQUENCE', name, 'TO', 'app_user'),
  seq('GRANT', 'EXECUTE', 'ON', 'FUNCTION', fnName, typeList, 'TO', 'app_user'),
  seq(
    'GRANT',
    'USAGE',
    'ON',
    'SCHEMA',
    schemaName.map((x) => [x]),
    'TO',
    'app_user',
  ),
  seq(
    'GRANT',
    'SELECT',
    'ON',
    'ALL',
    'TABLES',
    'IN',
    'SCHEMA',
    schemaName.map((x) => [x]),
    'TO',
    'app_user',
  ),
);
const dml: Arb = one(
  seq('INSERT', 'INTO', name, opt(colList), 'VALUES', '(', '1', ')'),
  seq('INSERT', 'INTO', name, 'SELECT', '*', 'FROM', name, 'ON', 'CONFLICT', 'DO', 'NOTHING'),
  seq(
    'UPDATE',
    opt('ONLY'),
    name,
    'SET',
    col,
    '=',
    expr,
    opt(seq('FROM', name, 'x')),
    opt(seq('WHERE', cond)),
  ),
  seq('DELETE', 'FROM', name, opt(seq('USING', name, 'u')), opt(seq('WHERE', cond))),
  query,
  seq(
    'WITH',
    'moved',
    'AS',
    '(',
    'DELETE',
    'FROM',
    name,
    'RETURNING',
    '*',
    ')',
    'INSERT',
    'INTO',
    name,
    'SELECT',
    '*',
    'FROM',
    'moved',
  ),
  seq('TRUNCATE', opt('TABLE'), commaList(name, 1, 2), opt(t('RESTART', 'IDENTITY'))),
);
const misc: Arb = one(
  t('BEGIN'),
  t('COMMIT'),
  t('START', 'TRANSACTION'),
  t('ROLLBACK'),
  t('SET', 'lock_timeout', '=', "'5s'"),
  t('SET', 'statement_timeout', 'TO', '0'),
  t('SET', 'search_path', 'TO', 'app', ',', 'public'),
  t('SET', 'search_path', '=', 'public'),
  t('RESET', 'ALL'),
);

/** Every statement form, as token lists. */

// ---------------------------------------------------------------- expressions
// Shapes where a token scanner can take a keyword, a type, an alias or a field
// for a column (or miss one): the oracle knows which identifiers are ColumnRefs.

const scalar: Arb = one(
  col,
  seq(col, '::', 'text'),
  seq(col, '::', 'double', 'precision'),
  seq(col, '::', 'timestamp', 'WITH TIME ZONE'),
  seq('CAST', '(', col, 'AS', 'bigint', ')'),
  seq('extract', '(', one('year', 'epoch', 'day'), 'FROM', col, ')'),
  seq('interval', "'1 day'"),
  seq('date', "'2020-01-01'"),
  seq(col, 'AT TIME ZONE', "'UTC'"),
  seq('coalesce', '(', col, ',', col, ')'),
  seq('CASE', 'WHEN', col, 'IS NULL', 'THEN', '0', 'ELSE', col, 'END'),
  seq(col, 'IS DISTINCT FROM', col),
  seq(col, 'IS NOT', 'TRUE'),
  seq(col, 'BETWEEN', '1', 'AND', '2'),
  seq(col, 'LIKE', "'a%'", 'ESCAPE', "'!'"),
  seq(col, 'IN', '(', '1', ',', '2', ')'),
  seq('count', '(', '*', ')', 'OVER', '(', 'PARTITION BY', col, 'ORDER BY', col, 'DESC', ')'),
  seq('sum', '(', col, ')', 'FILTER', '(', 'WHERE', col, '>', '0', ')'),
  seq('string_agg', '(', col, ',', "','", 'ORDER BY', col, 'NULLS LAST', ')'),
  seq('t0', '.', col),
  seq('lower', '(', col, ')'),
  seq('(', col, ')', '[', '1', ']'),
  seq('now', '(', ')', '-', 'interval', "'7 days'"),
  seq(
    'EXISTS',
    '(',
    'SELECT',
    '1',
    'FROM',
    name,
    'x',
    'WHERE',
    'x',
    '.',
    col,
    '=',
    't0',
    '.',
    col,
    ')',
  ),
  seq('ARRAY', '[', col, ',', col, ']'),
  seq('NULLIF', '(', col, ',', "''", ')'),
  seq(col, '=', 'ANY', '(', 'ARRAY', '[', '1', ',', '2', ']', ')'),
  seq('trim', '(', 'BOTH', "'x'", 'FROM', col, ')'),
  seq('position', '(', "'a'", 'IN', col, ')'),
  seq('substring', '(', col, 'FROM', '1', 'FOR', '3', ')'),
  seq('app', '.', 'score', '(', col, ')'),
  seq('make_thing', '(', 'x', '=>', col, ')'),
  seq('greatest', '(', col, ',', '0', ')', '+', '1'),
  seq('nextval', '(', "'app.counter_seq'", '::', 'regclass', ')'),
  seq("'a'", '::', '"MyType"'),
  seq('row_number', '(', ')', 'OVER', 'w'),
);
const checkExpr: Arb = one(
  seq(col, '>', '0'),
  seq(col, '<>', "''"),
  seq('char_length', '(', col, ')', '<=', '10'),
  seq(col, 'IS NOT NULL', 'OR', col, 'IS NOT NULL'),
  seq(col, '~', "'^[a-z]+$'"),
  seq('extract', '(', 'year', 'FROM', col, ')', '>', '2000'),
  seq(col, '>', 'now', '(', ')', '-', 'interval', "'1 year'"),
  seq(col, 'IN', '(', "'a'", ',', "'b'", ')'),
  seq(
    '(',
    col,
    ')',
    '::',
    'text',
    '=',
    'ANY',
    '(',
    '(',
    'ARRAY',
    '[',
    "'a'",
    '::',
    'character',
    'varying',
    ']',
    ')',
    '::',
    'text',
    '[',
    ']',
    ')',
  ),
  t('true'),
);
const targetItem: Arb = one(
  scalar,
  seq(scalar, 'AS', 'alias_a'),
  seq(scalar, 'alias_b'),
  t('*'),
  t('t0', '.', '*'),
);
const richQuery: Arb = seq(
  'SELECT',
  opt('DISTINCT'),
  commaList(targetItem, 1, 4),
  'FROM',
  name,
  't0',
  opt(seq(one('JOIN', 'LEFT JOIN'), name, 't1', 'USING', '(', col, ')')),
  opt(seq('WHERE', scalar)),
  opt(seq('GROUP BY', one(t('1'), col))),
  opt(seq('WINDOW', 'w', 'AS', '(', 'ORDER BY', col, ')')),
  opt(seq('ORDER BY', one(t('alias_a'), t('1'), col), opt('DESC'))),
  opt(t('LIMIT', '10')),
);
const expressions: Arb = one(
  seq('CREATE', 'VIEW', name, 'AS', richQuery),
  richQuery,
  seq(
    'CREATE',
    'TABLE',
    name,
    '(',
    col,
    'int',
    ',',
    col,
    'text',
    ',',
    'CHECK',
    '(',
    checkExpr,
    ')',
    ')',
  ),
  seq('ALTER', 'TABLE', name, 'ADD', 'CHECK', '(', checkExpr, ')'),
  seq('CREATE', 'INDEX', 'ON', name, '(', '(', col, '||', "'x'", ')', ')', 'WHERE', checkExpr),
  seq('UPDATE', name, 't0', 'SET', col, '=', scalar, 'WHERE', scalar),
  seq('WITH', 'c', 'AS', '(', richQuery, ')', 'SELECT', '*', 'FROM', 'c'),
  seq('CREATE', 'POLICY', 'p', 'ON', name, 'USING', '(', checkExpr, ')'),
);

export const statementTokens: Arb = fc.oneof(
  { weight: 5, arbitrary: createTable },
  { weight: 2, arbitrary: createTableExtras },
  { weight: 8, arbitrary: alterTable },
  { weight: 3, arbitrary: alterTableRename },
  { weight: 2, arbitrary: dropTable },
  { weight: 4, arbitrary: createIndex },
  { weight: 2, arbitrary: dropIndex },
  { weight: 1, arbitrary: alterIndex },
  { weight: 4, arbitrary: createFunction },
  { weight: 2, arbitrary: dropFunction },
  { weight: 2, arbitrary: alterFunction },
  { weight: 3, arbitrary: createView },
  { weight: 2, arbitrary: viewMisc },
  { weight: 3, arbitrary: trigger },
  { weight: 3, arbitrary: types },
  { weight: 2, arbitrary: sequences },
  { weight: 2, arbitrary: policies },
  { weight: 2, arbitrary: schemasExt },
  { weight: 2, arbitrary: comments },
  { weight: 2, arbitrary: grants },
  { weight: 3, arbitrary: dml },
  { weight: 1, arbitrary: misc },
  { weight: 6, arbitrary: expressions },
);

const SEPARATORS = [
  ' ',
  ' ',
  ' ',
  '\n',
  '\t',
  ' /* c */ ',
  ' /* a /* nested; */ b */ ',
  ' -- note; x\n',
  '\n  ',
  '\r\n',
];
/** Keywords (upper case, possibly several words kept together for the parser's lookahead). */
const KEYWORD = /^[A-Z]+( [A-Z]+)*$/;

/** Joins tokens with random separators (comments included) and random keyword case. */
export function render(tokens: Toks, seed: number): string {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 8;
  };
  let out = '';
  tokens.forEach((tok, i) => {
    if (i > 0) out += SEPARATORS[rnd() % SEPARATORS.length];
    out += KEYWORD.test(tok) && rnd() % 3 === 0 ? tok.toLowerCase() : tok;
  });
  return out;
}

export const statement: fc.Arbitrary<string> = fc
  .tuple(statementTokens, fc.integer())
  .map(([toks, seed]) => render(toks, seed));
