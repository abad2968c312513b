/**
 * TEST-ONLY corpus generator: migration histories in the styles of Prisma,
 * drizzle-kit, Django sqlmigrate, Rails structure.sql, pg_dump, Supabase,
 * Flyway and hand-written SQL, from random (seeded) domain models. Every
 * history is valid SQL that runs from an empty database: the generator keeps a
 * model of the schema and only writes statements that PostgreSQL accepts.
 *
 * Names come from fast-check: plain, mixed-case and quoted, reserved words,
 * long ones that PostgreSQL truncates to 63 bytes, multibyte ones that it must
 * not cut inside a character, and look-alikes whose derived names collide (so
 * that PostgreSQL de-duplicates them: `t_a_key1`).
 */
import fc from 'fast-check';

export type Style =
  | 'prisma'
  | 'drizzle'
  | 'django'
  | 'rails'
  | 'pg_dump'
  | 'supabase'
  | 'flyway'
  | 'hand';

export const STYLES: Style[] = [
  'prisma',
  'drizzle',
  'django',
  'rails',
  'pg_dump',
  'supabase',
  'flyway',
  'hand',
];

export interface GeneratedHistory {
  name: string;
  style: Style;
  preamble?: string;
  sql: string;
}

// ---------------------------------------------------------------- randomness

/** mulberry32: a small seeded PRNG for the choices that are not names. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const WORDS = [
  'account',
  'order',
  'invoice',
  'payment',
  'customer',
  'product',
  'shipment',
  'warehouse',
  'review',
  'comment',
  'ticket',
  'project',
  'task',
  'label',
  'session',
  'device',
  'report',
  'event',
  'subscription',
  'plan',
  'coupon',
  'address',
  'vendor',
  'category',
  'tag',
  'note',
  'message',
  'channel',
  'team',
  'member',
];
const FIELD_WORDS = [
  'name',
  'title',
  'status',
  'amount',
  'email',
  'code',
  'slug',
  'priority',
  'score',
  'due_on',
  'starts_at',
  'ends_at',
  'quantity',
  'price',
  'description',
  'kind',
  'rank',
  'weight',
  'color',
  'country',
  'level',
  'position',
  'data',
  'value',
  'version',
  'type',
];
const RESERVED = ['order', 'user', 'select', 'group', 'check', 'table', 'default', 'limit'];
const MULTIBYTE = ['größe', 'straße', 'überweisung', 'café', 'ñandú', '日本語', 'データ', 'naïve'];

/** Identifier shapes, as fast-check arbitraries (sampled with a seed). */
function nameArbitrary(): fc.Arbitrary<string> {
  const word = fc.constantFrom(...WORDS);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.tuple(word, fc.constantFrom(...FIELD_WORDS)).map(([a, b]) => `${a}_${b}s`),
    },
    { weight: 3, arbitrary: word.map((w) => `${w}s`) },
    // long: truncated to 63 bytes by PostgreSQL, and in every derived name
    {
      weight: 2,
      arbitrary: fc
        .tuple(word, fc.constantFrom(...FIELD_WORDS), fc.integer({ min: 40, max: 80 }))
        .map(([a, b, n]) => `${a}_${b}_${'with_a_long_qualifier_'.repeat(4)}`.slice(0, n)),
    },
    // multibyte: clipped on a character boundary
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...MULTIBYTE), word, fc.integer({ min: 1, max: 8 }))
        .map(([m, w, k]) => `${m}_${w}_${m.repeat(k)}`),
    },
    // mixed case, quoted
    {
      weight: 2,
      arbitrary: fc
        .tuple(word, word)
        .map(([a, b]) => `${a[0]?.toUpperCase()}${a.slice(1)}${b[0]?.toUpperCase()}${b.slice(1)}`),
    },
    { weight: 1, arbitrary: fc.constantFrom(...RESERVED) },
  );
}

const NAME_ARB = nameArbitrary();

function sampleNames(seed: number, n: number): string[] {
  return fc.sample(NAME_ARB, { seed, numRuns: n });
}

// ---------------------------------------------------------------- names as PostgreSQL reads them

/** The identifier PostgreSQL stores: at most 63 bytes, whole characters. */
export function pgName(s: string): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const b = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (n + b > 63) break;
    out += ch;
    n += b;
  }
  return out;
}

function plain(s: string): boolean {
  return /^[a-z_][a-z0-9_]*$/.test(s) && !RESERVED.includes(s);
}

/** How a given style writes a name: some always quote, others only when needed. */
function q(style: Style, s: string): string {
  const alwaysQuote = style === 'prisma' || style === 'drizzle' || style === 'django';
  if (alwaysQuote || !plain(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

// ---------------------------------------------------------------- model

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  unique?: boolean;
  check?: string;
  enumType?: string;
}

interface Table {
  name: string;
  schema: string;
  columns: Column[];
  pk: string[];
  /** Constraint and index names known to exist (as PostgreSQL stores them), per table. */
  constraints: { name: string; kind: 'p' | 'u' | 'c' | 'f' | 'x'; columns: string[] }[];
  indexes: { name: string; columns: string[]; constraint: boolean }[];
  views: string[];
  serial?: string;
}

class Model {
  tables: Table[] = [];
  enums = new Map<string, string[]>();
  /** Every relation name per schema, as stored (for uniqueness of the generator's own choices). */
  relations = new Set<string>();
  constraintNames = new Set<string>();
  views: { name: string; schema: string; table: Table; columns: string[] }[] = [];

  taken(schema: string, name: string): boolean {
    return this.relations.has(`${schema}.${pgName(name)}`);
  }
  take(schema: string, name: string): void {
    this.relations.add(`${schema}.${pgName(name)}`);
  }
  release(schema: string, name: string): void {
    this.relations.delete(`${schema}.${pgName(name)}`);
  }
}

// ---------------------------------------------------------------- styles

interface Writer {
  style: Style;
  schema: string;
  out: string[];
  r: Rand;
  m: Model;
  names: string[];
  nameAt: number;
}

function freshName(w: Writer, prefix = ''): string {
  for (let i = 0; i < 1000; i++) {
    const base = w.names[w.nameAt++ % w.names.length] as string;
    const n = `${prefix}${base}${i >= w.names.length ? `_${i}` : ''}`;
    const stored = pgName(n);
    if (!w.m.taken(w.schema, stored) && !w.m.constraintNames.has(stored) && stored.length > 0)
      return stored;
  }
  return `t_${w.out.length}`;
}

function emit(w: Writer, sql: string): void {
  w.out.push(sql);
}

function comment(w: Writer, text: string): void {
  if (w.style === 'prisma') w.out.push(`-- ${text}`);
  else if (w.style === 'django') w.out.push(`--\n-- ${text}\n--`);
  else if (w.style === 'pg_dump' || w.style === 'rails') w.out.push(`--\n-- Name: ${text}\n--`);
  else w.out.push(`-- ${text}`);
}

/** A name in the history's schema, qualified when the style writes everything qualified. */
function qn(w: Writer, name: string): string {
  return w.style === 'pg_dump' || w.style === 'rails'
    ? `${q(w.style, w.schema)}.${q(w.style, name)}`
    : q(w.style, name);
}

function t(w: Writer, table: Table): string {
  const schemaQualified =
    w.style === 'pg_dump' || w.style === 'rails' || (w.style === 'supabase' && w.r.chance(0.5));
  return schemaQualified
    ? `${q(w.style, table.schema)}.${q(w.style, table.name)}`
    : q(w.style, table.name);
}

const TYPES = [
  'text',
  'integer',
  'bigint',
  'boolean',
  'numeric(10,2)',
  'timestamptz',
  'date',
  'jsonb',
  'uuid',
  'varchar(120)',
];

function sqlType(w: Writer, type: string): string {
  if (w.style === 'prisma') {
    const m: Record<string, string> = {
      text: 'TEXT',
      integer: 'INTEGER',
      bigint: 'BIGINT',
      boolean: 'BOOLEAN',
      'numeric(10,2)': 'DECIMAL(10,2)',
      timestamptz: 'TIMESTAMP(3)',
      date: 'DATE',
      jsonb: 'JSONB',
      uuid: 'UUID',
      'varchar(120)': 'VARCHAR(120)',
    };
    return m[type] ?? type.toUpperCase();
  }
  if (w.style === 'pg_dump' || w.style === 'rails') {
    const m: Record<string, string> = {
      text: 'text',
      integer: 'integer',
      bigint: 'bigint',
      boolean: 'boolean',
      'numeric(10,2)': 'numeric(10,2)',
      timestamptz: 'timestamp with time zone',
      date: 'date',
      jsonb: 'jsonb',
      uuid: 'uuid',
      'varchar(120)': 'character varying(120)',
    };
    return m[type] ?? type;
  }
  return type;
}

function defaultFor(type: string): string | undefined {
  switch (type) {
    case 'text':
      return "''";
    case 'integer':
    case 'bigint':
      return '0';
    case 'boolean':
      return 'false';
    case 'timestamptz':
      return 'now()';
    case 'jsonb':
      return "'{}'::jsonb";
    default:
      return undefined;
  }
}

function checkFor(w: Writer, col: Column): string | undefined {
  const c = q(w.style, col.name);
  switch (col.type) {
    case 'integer':
    case 'bigint':
    case 'numeric(10,2)':
      return `${c} >= 0`;
    case 'text':
    case 'varchar(120)':
      return w.r.chance(0.5) ? `${c} <> ''` : `char_length(${c}) <= 500`;
    case 'date':
      return `${c} > '2000-01-01'`;
    default:
      return undefined;
  }
}

function makeColumns(w: Writer, n: number): Column[] {
  const cols: Column[] = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    let name = pgName(w.r.pick(FIELD_WORDS));
    if (w.r.chance(0.2)) name = pgName(w.names[w.nameAt++ % w.names.length] as string);
    if (used.has(name) || name === 'id') continue;
    used.add(name);
    cols.push({ name, type: w.r.pick(TYPES), nullable: w.r.chance(0.5) });
  }
  return cols;
}

/** CREATE TABLE with the style's primary key, constraints and column forms. */
function createTable(w: Writer): Table | undefined {
  const name = freshName(w);
  const table: Table = {
    name,
    schema: w.schema,
    columns: makeColumns(w, 2 + w.r.int(5)),
    pk: ['id'],
    constraints: [],
    indexes: [],
    views: [],
  };
  w.m.take(w.schema, name);
  const idStyle =
    w.style === 'django'
      ? 'identity'
      : w.style === 'drizzle'
        ? w.r.pick(['serial', 'identity'])
        : w.style === 'supabase'
          ? 'identity'
          : w.style === 'prisma'
            ? 'serial'
            : w.style === 'rails' || w.style === 'pg_dump'
              ? 'seq'
              : w.r.pick(['serial', 'bigserial', 'identity', 'int']);
  const lines: string[] = [];
  const after: string[] = [];
  const tn = t(w, table);
  const id = q(w.style, 'id');
  if (idStyle === 'serial' || idStyle === 'bigserial') {
    lines.push(
      `${id} ${idStyle === 'serial' ? (w.style === 'prisma' ? 'SERIAL' : 'serial') : 'bigserial'} NOT NULL`,
    );
    table.serial = 'id';
  } else if (idStyle === 'identity') {
    lines.push(`${id} bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY`);
    table.serial = 'id';
  } else if (idStyle === 'seq') lines.push(`${id} bigint NOT NULL`);
  else lines.push(`${id} integer NOT NULL`);
  for (const c of table.columns) {
    let line = `${q(w.style, c.name)} ${sqlType(w, c.type)}`;
    const d = defaultFor(c.type);
    if (d && w.r.chance(0.3)) line += ` DEFAULT ${d}`;
    if (!c.nullable) line += ' NOT NULL';
    if ((w.style === 'hand' || w.style === 'flyway' || w.style === 'django') && w.r.chance(0.3)) {
      const ch = checkFor(w, c);
      if (ch) {
        line += ` CHECK (${ch})`;
        c.check = ch;
      }
    }
    if ((w.style === 'hand' || w.style === 'flyway' || w.style === 'supabase') && w.r.chance(0.2)) {
      line += ' UNIQUE';
      c.unique = true;
    }
    lines.push(line);
  }
  // primary key: inline, table-level, named, or added after (pg_dump)
  const pkStyle =
    w.style === 'prisma'
      ? 'named'
      : w.style === 'pg_dump' || w.style === 'rails'
        ? 'after'
        : w.r.pick(['inline', 'table', 'named']);
  if (pkStyle === 'inline') lines[0] += ' PRIMARY KEY';
  else if (pkStyle === 'table') lines.push(`PRIMARY KEY (${id})`);
  else if (pkStyle === 'named') {
    const pk = w.style === 'prisma' ? pgName(`${name}_pkey`) : pgName(`pk_${name}`);
    if (!w.m.taken(w.schema, pk) && !w.m.constraintNames.has(pk)) {
      lines.push(`CONSTRAINT ${q(w.style, pk)} PRIMARY KEY (${id})`);
    } else lines.push(`PRIMARY KEY (${id})`);
  }
  if (w.style === 'hand' && w.r.chance(0.5) && table.columns.length >= 2) {
    const a = table.columns[0] as Column;
    const b = table.columns[1] as Column;
    lines.push(`UNIQUE (${q(w.style, a.name)}, ${q(w.style, b.name)})`);
    if (w.r.chance(0.5))
      lines.push(`CHECK (${q(w.style, a.name)} IS NOT NULL OR ${q(w.style, b.name)} IS NOT NULL)`);
  }
  const indent = w.style === 'prisma' ? '    ' : w.style === 'drizzle' ? '\t' : '  ';
  const body =
    w.style === 'django' ? lines.join(', ') : `\n${indent}${lines.join(`,\n${indent}`)}\n`;
  const ine =
    w.style === 'drizzle' || (w.style === 'flyway' && w.r.chance(0.5)) ? 'IF NOT EXISTS ' : '';
  if (w.style === 'prisma') comment(w, 'CreateTable');
  if (w.style === 'django') comment(w, `Create model ${name}`);
  emit(w, `CREATE TABLE ${ine}${tn} (${body});`);
  if (idStyle === 'seq') {
    const seq = pgName(`${name}_id_seq`);
    if (!w.m.taken(w.schema, seq)) {
      w.m.take(w.schema, seq);
      emit(
        w,
        `CREATE SEQUENCE ${q(w.style, w.schema)}.${q(w.style, seq)}\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;`,
      );
      emit(w, `ALTER SEQUENCE ${q(w.style, w.schema)}.${q(w.style, seq)} OWNED BY ${tn}.${id};`);
      const regclass = `${q('pg_dump', w.schema)}.${q('pg_dump', seq)}`.replace(/'/g, "''");
      after.push(
        `ALTER TABLE ONLY ${tn} ALTER COLUMN ${id} SET DEFAULT nextval('${regclass}'::regclass);`,
      );
    }
  }
  if (pkStyle === 'after') {
    const pk = pgName(`${name}_pkey`);
    if (!w.m.taken(w.schema, pk) && !w.m.constraintNames.has(pk)) {
      after.push(
        `ALTER TABLE ONLY ${tn}\n    ADD CONSTRAINT ${q(w.style, pk)} PRIMARY KEY (${id});`,
      );
    } else after.push(`ALTER TABLE ONLY ${tn}\n    ADD PRIMARY KEY (${id});`);
  }
  for (const a of after) emit(w, a);
  // the names PostgreSQL will choose are not tracked exactly here: avoid reusing their likely forms
  for (const suffix of ['pkey', 'id_seq']) w.m.take(w.schema, pgName(`${name}_${suffix}`));
  w.m.tables.push(table);
  return table;
}

function addColumn(w: Writer, table: Table): void {
  const used = new Set(table.columns.map((c) => c.name));
  const name = pgName(
    w.r.chance(0.3)
      ? (w.names[w.nameAt++ % w.names.length] as string)
      : `${w.r.pick(FIELD_WORDS)}_${w.r.int(100)}`,
  );
  if (used.has(name) || name === 'id') return;
  const col: Column = { name, type: w.r.pick(TYPES), nullable: true };
  let sql = `ALTER TABLE ${t(w, table)} ADD COLUMN ${q(w.style, name)} ${sqlType(w, col.type)}`;
  if (w.r.chance(0.3)) {
    const d = defaultFor(col.type);
    if (d) {
      sql += ` DEFAULT ${d} NOT NULL`;
      col.nullable = false;
    }
  }
  if ((w.style === 'hand' || w.style === 'django') && w.r.chance(0.3)) {
    const ch = checkFor(w, col);
    if (ch) {
      sql += ` CHECK (${ch})`;
      col.check = ch;
    }
  }
  if (w.style === 'hand' && w.r.chance(0.2)) {
    sql += ' UNIQUE';
    col.unique = true;
  }
  if (w.style === 'prisma') comment(w, 'AlterTable');
  emit(w, `${sql};`);
  table.columns.push(col);
}

function dropColumn(w: Writer, table: Table): void {
  const candidates = table.columns.filter(
    (c) =>
      !table.views.length &&
      !table.constraints.some((k) => k.columns.includes(c.name) && k.kind === 'f') &&
      !w.m.tables.some((o) =>
        o.constraints.some((k) => k.kind === 'f' && k.columns.includes(`${table.name}.${c.name}`)),
      ),
  );
  if (candidates.length === 0) return;
  const c = w.r.pick(candidates);
  emit(
    w,
    `ALTER TABLE ${t(w, table)} DROP COLUMN ${w.style === 'drizzle' ? 'IF EXISTS ' : ''}${q(w.style, c.name)};`,
  );
  table.columns = table.columns.filter((x) => x !== c);
  table.constraints = table.constraints.filter((k) => !k.columns.includes(c.name));
  table.indexes = table.indexes.filter((k) => !k.columns.includes(c.name));
}

function renameColumn(w: Writer, table: Table): void {
  if (table.views.length > 0 || table.columns.length === 0) return;
  const c = w.r.pick(table.columns);
  const nn = pgName(`${c.name}_${w.r.pick(['old', 'v2', 'renamed', 'x'])}`);
  if (table.columns.some((x) => x.name === nn)) return;
  emit(w, `ALTER TABLE ${t(w, table)} RENAME COLUMN ${q(w.style, c.name)} TO ${q(w.style, nn)};`);
  for (const k of table.constraints) k.columns = k.columns.map((x) => (x === c.name ? nn : x));
  for (const k of table.indexes) k.columns = k.columns.map((x) => (x === c.name ? nn : x));
  c.name = nn;
}

function addIndex(w: Writer, table: Table): void {
  if (table.columns.length === 0) return;
  const cols = [w.r.pick(table.columns)];
  if (w.r.chance(0.3) && table.columns.length > 1) {
    const other = w.r.pick(table.columns);
    if (other !== cols[0]) cols.push(other);
  }
  const colSql = cols.map((c) => q(w.style, c.name)).join(', ');
  const unnamed =
    w.style === 'hand' || w.style === 'supabase' || (w.style === 'flyway' && w.r.chance(0.5));
  const expr = w.style === 'hand' && w.r.chance(0.3) && cols[0]?.type === 'text';
  const include = w.style === 'hand' && w.r.chance(0.2) && table.columns.length > 1;
  const partial = w.r.chance(0.15) && cols[0]?.nullable;
  let target = expr ? `(lower(${colSql.split(', ')[0]}))` : colSql;
  if (
    w.style === 'django' &&
    w.r.chance(0.3) &&
    (cols[0]?.type === 'varchar(120)' || cols[0]?.type === 'text')
  ) {
    target = `${q(w.style, cols[0]?.name ?? '')} ${cols[0]?.type === 'text' ? 'text' : 'varchar'}_pattern_ops`;
  }
  let tail = '';
  if (include) {
    const inc = table.columns.find((c) => !cols.includes(c));
    if (inc) tail += ` INCLUDE (${q(w.style, inc.name)})`;
  }
  if (partial) tail += ` WHERE ${q(w.style, cols[0]?.name ?? '')} IS NOT NULL`;
  const using =
    w.style === 'pg_dump' || w.style === 'rails' || w.style === 'drizzle' ? ' USING btree' : '';
  const conc = w.style === 'hand' && w.r.chance(0.2) ? 'CONCURRENTLY ' : '';
  if (unnamed) {
    emit(
      w,
      `CREATE ${w.r.chance(0.2) ? 'UNIQUE ' : ''}INDEX ${conc}ON ${t(w, table)}${using} (${target})${tail};`,
    );
  } else {
    const name =
      w.style === 'rails'
        ? pgName(`index_${table.name}_on_${cols.map((c) => c.name).join('_and_')}`)
        : w.style === 'prisma'
          ? pgName(`${table.name}_${cols.map((c) => c.name).join('_')}_idx`)
          : freshName(w, 'idx_');
    if (w.m.taken(w.schema, name)) return;
    w.m.take(w.schema, name);
    if (w.style === 'prisma') comment(w, 'CreateIndex');
    emit(
      w,
      `CREATE INDEX ${w.style === 'drizzle' ? 'IF NOT EXISTS ' : ''}${q(w.style, name)} ON ${t(w, table)}${using} (${target})${tail};`,
    );
    table.indexes.push({ name, columns: cols.map((c) => c.name), constraint: false });
  }
}

function addUnique(w: Writer, table: Table): void {
  const c = table.columns.find((x) => !x.unique && x.type !== 'jsonb');
  if (!c) return;
  c.unique = true;
  if (w.style === 'prisma') {
    const name = pgName(`${table.name}_${c.name}_key`);
    if (w.m.taken(w.schema, name)) return;
    w.m.take(w.schema, name);
    comment(w, 'CreateIndex');
    emit(w, `CREATE UNIQUE INDEX ${q(w.style, name)} ON ${t(w, table)}(${q(w.style, c.name)});`);
    return;
  }
  if (w.style === 'hand' || w.style === 'flyway' || w.style === 'supabase') {
    emit(w, `ALTER TABLE ${t(w, table)} ADD UNIQUE (${q(w.style, c.name)});`);
    return;
  }
  const name =
    w.style === 'drizzle'
      ? pgName(`${table.name}_${c.name}_unique`)
      : w.style === 'django'
        ? pgName(`${table.name}_${c.name}_${w.r.int(1e6).toString(16)}_uniq`)
        : pgName(`${table.name}_${c.name}_key`);
  if (w.m.taken(w.schema, name) || w.m.constraintNames.has(name)) return;
  w.m.take(w.schema, name);
  w.m.constraintNames.add(name);
  emit(
    w,
    `ALTER TABLE ${w.style === 'pg_dump' || w.style === 'rails' ? 'ONLY ' : ''}${t(w, table)} ADD CONSTRAINT ${q(w.style, name)} UNIQUE (${q(w.style, c.name)});`,
  );
  table.constraints.push({ name, kind: 'u', columns: [c.name] });
}

function addCheck(w: Writer, table: Table): void {
  const c = table.columns.find((x) => !x.check && checkFor(w, x));
  if (!c) return;
  const ch = checkFor(w, c) as string;
  c.check = ch;
  if (w.style === 'hand' || w.style === 'flyway' || w.r.chance(0.3)) {
    emit(w, `ALTER TABLE ${t(w, table)} ADD CHECK (${ch});`);
    return;
  }
  const name = freshName(w, 'chk_');
  w.m.constraintNames.add(name);
  emit(
    w,
    `ALTER TABLE ${t(w, table)} ADD CONSTRAINT ${q(w.style, name)} CHECK (${ch})${w.r.chance(0.2) ? ' NOT VALID' : ''};`,
  );
  table.constraints.push({ name, kind: 'c', columns: [c.name] });
}

function addForeignKey(w: Writer, table: Table): void {
  const targets = w.m.tables.filter((x) => x !== table && x.schema === table.schema);
  if (targets.length === 0) return;
  const target = w.r.pick(targets);
  const colName = pgName(`${target.name.slice(0, 40)}_id`);
  if (table.columns.some((c) => c.name === colName)) return;
  const col: Column = { name: colName, type: 'bigint', nullable: true };
  const tn = t(w, table);
  const ref = `${t(w, target)}(${q(w.style, 'id')})`;
  const action = w.r.pick(['', ' ON DELETE CASCADE', ' ON DELETE SET NULL']);
  if (w.style === 'hand' && w.r.chance(0.5)) {
    // inline, unnamed: t_col_fkey
    emit(
      w,
      `ALTER TABLE ${tn} ADD COLUMN ${q(w.style, colName)} bigint REFERENCES ${w.r.chance(0.5) ? t(w, target) : ref}${action};`,
    );
    table.columns.push(col);
    return;
  }
  emit(w, `ALTER TABLE ${tn} ADD COLUMN ${q(w.style, colName)} bigint;`);
  table.columns.push(col);
  const name =
    w.style === 'prisma'
      ? pgName(`${table.name}_${colName}_fkey`)
      : w.style === 'drizzle'
        ? pgName(`${table.name}_${colName}_${target.name}_id_fk`)
        : w.style === 'rails'
          ? `fk_rails_${w.r.int(0xffffffff).toString(16).padStart(8, '0')}`
          : w.style === 'django'
            ? pgName(
                `${table.name}_${colName}_${w.r.int(0xffffff).toString(16)}_fk_${target.name}_id`,
              )
            : undefined;
  const fk = `FOREIGN KEY (${q(w.style, colName)}) REFERENCES ${ref}${action}${w.style === 'django' ? ' DEFERRABLE INITIALLY DEFERRED' : ''}`;
  if (name === undefined || w.m.constraintNames.has(name)) {
    emit(w, `ALTER TABLE ${tn} ADD ${fk};`);
  } else {
    w.m.constraintNames.add(name);
    const stmt = `ALTER TABLE ${tn} ADD CONSTRAINT ${q(w.style, name)} ${fk};`;
    if (w.style === 'drizzle' && w.r.chance(0.6)) {
      emit(w, `DO $$ BEGIN\n ${stmt}\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;`);
    } else {
      if (w.style === 'prisma') comment(w, 'AddForeignKey');
      emit(w, stmt);
    }
    table.constraints.push({ name, kind: 'f', columns: [colName] });
    if (w.style === 'django') {
      const idx = pgName(`${table.name}_${colName}_${w.r.int(0xffffff).toString(16)}`);
      if (!w.m.taken(w.schema, idx)) {
        w.m.take(w.schema, idx);
        emit(w, `CREATE INDEX ${q(w.style, idx)} ON ${tn} (${q(w.style, colName)});`);
      }
    }
  }
}

function dropConstraint(w: Writer, table: Table): void {
  const named = table.constraints.filter((c) => c.kind === 'c' || c.kind === 'u' || c.kind === 'f');
  if (named.length === 0) return;
  const c = w.r.pick(named);
  emit(w, `ALTER TABLE ${t(w, table)} DROP CONSTRAINT ${q(w.style, c.name)};`);
  table.constraints = table.constraints.filter((x) => x !== c);
  if (c.kind === 'u') {
    w.m.release(w.schema, c.name);
    const col = table.columns.find((x) => x.name === c.columns[0]);
    if (col) col.unique = false;
  }
}

function dropIndex(w: Writer, table: Table): void {
  const idx = table.indexes.filter((i) => !i.constraint);
  if (idx.length === 0) return;
  const i = w.r.pick(idx);
  emit(
    w,
    `DROP INDEX ${w.style === 'drizzle' || w.r.chance(0.3) ? 'IF EXISTS ' : ''}${qn(w, i.name)};`,
  );
  table.indexes = table.indexes.filter((x) => x !== i);
  w.m.release(w.schema, i.name);
}

function renameTable(w: Writer, table: Table): void {
  if (table.views.length > 0) return;
  const nn = freshName(w, 'renamed_');
  emit(w, `ALTER TABLE ${t(w, table)} RENAME TO ${q(w.style, nn)};`);
  w.m.release(w.schema, table.name);
  w.m.take(w.schema, nn);
  table.name = nn;
}

function createView(w: Writer, table: Table): void {
  const name = freshName(w, 'v_');
  w.m.take(w.schema, name);
  const cols = table.columns.slice(0, 3);
  const tn = t(w, table);
  let body: string;
  if (w.style === 'pg_dump' || w.style === 'rails') {
    const alias = q(w.style, table.name);
    body = ` SELECT ${[q(w.style, 'id'), ...cols.map((c) => q(w.style, c.name))].map((c) => `${alias}.${c}`).join(',\n    ')}\n   FROM ${tn}`;
  } else if (w.r.chance(0.3)) body = `SELECT * FROM ${tn}`;
  else {
    const a = 'x';
    body = `SELECT ${a}.${q(w.style, 'id')}${cols.map((c) => `, ${a}.${q(w.style, c.name)}`).join('')}, count(*) OVER () AS total FROM ${tn} ${a} WHERE ${a}.${q(w.style, 'id')} > 0`;
  }
  emit(w, `CREATE ${w.r.chance(0.3) ? 'OR REPLACE ' : ''}VIEW ${qn(w, name)} AS\n${body};`);
  table.views.push(name);
  w.m.views.push({ name, schema: w.schema, table, columns: cols.map((c) => c.name) });
}

function dropView(w: Writer): void {
  const v = w.m.views.pop();
  if (!v) return;
  emit(w, `DROP VIEW ${qn(w, v.name)};`);
  v.table.views = v.table.views.filter((x) => x !== v.name);
  w.m.release(v.schema, v.name);
}

function enumOps(w: Writer, table: Table): void {
  const names = [...w.m.enums.keys()];
  if (names.length === 0 || w.r.chance(0.4)) {
    const name = freshName(w, 'enum_');
    w.m.take(w.schema, name);
    const values = ['draft', 'active', 'closed'];
    w.m.enums.set(name, values);
    const create = `CREATE TYPE ${w.style === 'drizzle' ? `${q(w.style, w.schema)}.${q(w.style, name)}` : qn(w, name)} AS ENUM (${values.map((v) => `'${v}'`).join(', ')});`;
    if (w.style === 'hand' && w.r.chance(0.5)) {
      emit(
        w,
        `DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = '${name.replace(/'/g, "''")}') THEN\n    ${create}\n  END IF;\nEND\n$$;`,
      );
    } else {
      if (w.style === 'prisma') comment(w, 'CreateEnum');
      emit(w, create);
    }
    const col = pgName(`${name.slice(0, 50)}_col`);
    if (!table.columns.some((c) => c.name === col)) {
      emit(
        w,
        `ALTER TABLE ${t(w, table)} ADD COLUMN ${q(w.style, col)} ${qn(w, name)} DEFAULT 'draft';`,
      );
      table.columns.push({ name: col, type: 'enum', nullable: true, enumType: name });
    }
    return;
  }
  const name = w.r.pick(names);
  const values = w.m.enums.get(name) ?? [];
  const v = `v${values.length}`;
  values.push(v);
  if (w.style === 'prisma') comment(w, 'AlterEnum');
  emit(w, `ALTER TYPE ${qn(w, name)} ADD VALUE ${w.r.chance(0.3) ? 'IF NOT EXISTS ' : ''}'${v}';`);
}

function plpgsqlTouch(w: Writer, table: Table): void {
  const fn = freshName(w, 'touch_');
  const col = table.columns.find((c) => c.type === 'timestamptz');
  if (!col) return;
  emit(
    w,
    `CREATE OR REPLACE FUNCTION ${qn(w, fn)}() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\nBEGIN\n  NEW.${q(w.style, col.name)} := now();\n  RETURN NEW;\nEND;\n$$;`,
  );
  const trig = freshName(w, 'trg_');
  emit(
    w,
    `CREATE TRIGGER ${q(w.style, trig)} BEFORE UPDATE ON ${t(w, table)} FOR EACH ROW EXECUTE FUNCTION ${qn(w, fn)}();`,
  );
}

function dataChange(w: Writer, table: Table): void {
  const c = table.columns.find((x) => x.type === 'text' || x.type === 'integer');
  if (!c) return;
  const value = c.type === 'text' ? "'x'" : '1';
  if (w.r.chance(0.5))
    emit(
      w,
      `UPDATE ${t(w, table)} SET ${q(w.style, c.name)} = ${value} WHERE ${q(w.style, 'id')} < 0;`,
    );
  else
    emit(
      w,
      `DELETE FROM ${t(w, table)} WHERE ${q(w.style, c.name)} IS NULL AND ${q(w.style, 'id')} < 0;`,
    );
}

/** Naming torture: unnamed constraints whose derived names collide, de-duplicated by PostgreSQL. */
function collisions(w: Writer): void {
  const base = freshName(w);
  const long = pgName(`${base}_${'x'.repeat(70)}`);
  if (w.m.taken(w.schema, long)) return;
  w.m.take(w.schema, long);
  emit(w, `CREATE TABLE ${q(w.style, long)} (a int, b int, a_b int, "Ab" int);`);
  emit(
    w,
    `ALTER TABLE ${q(w.style, long)} ADD UNIQUE (a), ADD UNIQUE (a), ADD CHECK (a > 0), ADD CHECK (a < 10), ADD CHECK (a <> b);`,
  );
  emit(w, `CREATE INDEX ON ${q(w.style, long)} (a, b);`);
  emit(w, `CREATE INDEX ON ${q(w.style, long)} (a_b);`);
  emit(w, `CREATE INDEX ON ${q(w.style, long)} ("Ab", (a + b), a);`);
  emit(w, `ALTER TABLE ${q(w.style, long)} ADD PRIMARY KEY (a_b);`);
}

// ---------------------------------------------------------------- histories

const STEPS: [number, (w: Writer) => void][] = [
  [4, (w) => createTable(w)],
  [6, (w) => withTable(w, addColumn)],
  [2, (w) => withTable(w, dropColumn)],
  [2, (w) => withTable(w, renameColumn)],
  [5, (w) => withTable(w, addIndex)],
  [3, (w) => withTable(w, addUnique)],
  [3, (w) => withTable(w, addCheck)],
  [4, (w) => withTable(w, addForeignKey)],
  [2, (w) => withTable(w, dropConstraint)],
  [2, (w) => withTable(w, dropIndex)],
  [1, (w) => withTable(w, renameTable)],
  [2, (w) => withTable(w, createView)],
  [1, (w) => dropView(w)],
  [2, (w) => withTable(w, enumOps)],
  [1, (w) => withTable(w, plpgsqlTouch)],
  [2, (w) => withTable(w, dataChange)],
  [1, (w) => (w.style === 'hand' ? collisions(w) : undefined)],
];

function withTable(w: Writer, f: (w: Writer, t: Table) => void): void {
  const mine = w.m.tables.filter((x) => x.schema === w.schema);
  if (mine.length === 0) {
    createTable(w);
    return;
  }
  f(w, w.r.pick(mine));
}

function header(style: Style): string {
  switch (style) {
    case 'pg_dump':
    case 'rails':
      return [
        'SET statement_timeout = 0;',
        'SET lock_timeout = 0;',
        "SET client_encoding = 'UTF8';",
        'SET standard_conforming_strings = on;',
        "SELECT pg_catalog.set_config('search_path', '', false);",
        'SET check_function_bodies = false;',
        'SET client_min_messages = warning;',
        '',
      ].join('\n');
    default:
      return '';
  }
}

const SUPABASE_PREAMBLE = `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated; END IF;
END $$;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;`;

/** One history of `steps` changes in `style`, from `seed`. */
export function generateHistory(style: Style, seed: number, steps: number): GeneratedHistory {
  const r = new Rand(prng(seed));
  const w: Writer = {
    style,
    schema: 'public',
    out: [],
    r,
    m: new Model(),
    names: sampleNames(seed, 200),
    nameAt: 0,
  };
  const head = header(style);
  if (style === 'pg_dump' && r.chance(0.7)) {
    w.schema = 'app';
    w.out.push('CREATE SCHEMA app;');
  }
  if (style === 'django') w.out.push('BEGIN;');
  const total = STEPS.reduce((a, [wt]) => a + wt, 0);
  for (let i = 0; i < steps; i++) {
    let x = r.int(total);
    for (const [wt, f] of STEPS) {
      if (x < wt) {
        f(w);
        break;
      }
      x -= wt;
    }
    if (style === 'supabase' && r.chance(0.1)) {
      const tb = w.m.tables[w.m.tables.length - 1];
      if (tb) {
        emit(w, `alter table ${t(w, tb)} enable row level security;`);
        emit(
          w,
          `create policy ${q(w.style, freshName(w, 'policy '))} on ${t(w, tb)} for select to authenticated using ((select auth.uid()) is not null and ${q(w.style, 'id')} > 0);`,
        );
      }
    }
  }
  if (style === 'django') w.out.push('COMMIT;');
  const sep = style === 'drizzle' ? '\n--> statement-breakpoint\n' : '\n\n';
  return {
    name: `${style}-${seed}`,
    style,
    preamble: style === 'supabase' ? SUPABASE_PREAMBLE : undefined,
    sql: head + w.out.join(sep),
  };
}

/** The generated corpus: `perStyle` histories of `steps` changes for every style. */
export function generateCorpus(
  perStyle: number,
  steps: number,
  seed = 20260601,
): GeneratedHistory[] {
  const out: GeneratedHistory[] = [];
  for (const [k, style] of STYLES.entries()) {
    for (let i = 0; i < perStyle; i++) out.push(generateHistory(style, seed + 1000 * k + i, steps));
  }
  return out;
}
