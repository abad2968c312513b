/**
 * PostgreSQL's own naming rules for the objects it names itself: every rule
 * here is a transcription of the server code named beside it (PostgreSQL 15).
 * Pure functions; the caller says which names are taken (`taken(name)`), from
 * what the script itself has created so far.
 *
 * Lengths are in bytes of UTF-8, like the server's: an identifier holds at most
 * NAMEDATALEN-1 = 63 bytes, and clipping never splits a multibyte character
 * (pg_mbcliplen).
 */

/** NAMEDATALEN - 1. */
export const MAX_IDENT_BYTES = 63;

/** UTF-8 length of the code point at `s[i]`, and how many UTF-16 units it takes. */
function charBytes(s: string, i: number): [bytes: number, units: number] {
  const c = s.charCodeAt(i);
  if (c < 0x80) return [1, 1];
  if (c < 0x800) return [2, 1];
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return [4, 2];
  }
  return [3, 1];
}

/** Bytes of `s` in UTF-8. */
export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; ) {
    const [b, u] = charBytes(s, i);
    n += b;
    i += u;
  }
  return n;
}

/** pg_mbcliplen: the longest prefix of `s` of at most `limit` bytes that ends on a character boundary. */
export function clipBytes(s: string, limit: number): string {
  if (s.length <= limit && limit >= s.length * 4) return s;
  let bytes = 0;
  for (let i = 0; i < s.length; ) {
    const [b, u] = charBytes(s, i);
    if (bytes + b > limit) return s.slice(0, i);
    bytes += b;
    i += u;
  }
  return s;
}

/**
 * makeObjectName (src/backend/commands/indexcmds.c): `name1[_name2][_label]`
 * in at most 63 bytes. When it does not fit, the longer of name1 and name2 is
 * shortened one byte at a time (name2 first when they are equal), then each is
 * clipped to a character boundary; the label is never shortened.
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  let n1 = byteLength(name1);
  let n2 = name2 === undefined ? 0 : byteLength(name2);
  const overhead = (name2 === undefined ? 0 : 1) + byteLength(label) + 1;
  const avail = MAX_IDENT_BYTES - overhead;
  while (n1 + n2 > avail) {
    if (n1 > n2) n1--;
    else n2--;
  }
  let out = clipBytes(name1, n1);
  if (name2 !== undefined) out += `_${clipBytes(name2, n2)}`;
  return `${out}_${label}`;
}

/**
 * Where a search for a free name may start: for each (name1, name2, label),
 * the first pass not yet known to be taken. Exact as long as no name is freed,
 * so its owner clears it whenever something is dropped or renamed; it keeps
 * the thousandth `t_a_check999` of a script from costing a thousand tries.
 */
export type NameMemo = Map<string, number>;

/**
 * The loop shared by ChooseRelationName (indexcmds.c) and ChooseConstraintName
 * (pg_constraint.c): `makeObjectName(name1, name2, label)`, then with `label1`,
 * `label2`, ... until the name is free. The caller takes the name it gets.
 */
export function chooseName(
  name1: string,
  name2: string | undefined,
  label: string,
  taken: (name: string) => boolean,
  memo?: NameMemo,
): string {
  const key = memo ? `${name1}\u0000${name2 ?? '\u0001'}\u0000${label}` : '';
  let pass = memo?.get(key) ?? 0;
  let name = makeObjectName(name1, name2, pass === 0 ? label : `${label}${pass}`);
  while (taken(name) && pass < 1_000_000) {
    pass++;
    name = makeObjectName(name1, name2, `${label}${pass}`);
  }
  memo?.set(key, pass + 1);
  return name;
}

/**
 * ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: the column
 * names joined by `_`, stopping once the result reaches NAMEDATALEN bytes (the
 * caller's makeObjectName clips it).
 */
export function nameAddition(columns: string[]): string {
  let out = '';
  let bytes = 0;
  for (const c of columns) {
    if (out !== '') {
      out += '_';
      bytes++;
    }
    out += c;
    bytes += byteLength(c);
    if (bytes >= MAX_IDENT_BYTES + 1) break;
  }
  return out;
}

/**
 * ChooseIndexColumnNames (indexcmds.c): the names of an index's columns, key
 * and INCLUDE columns alike: a plain column's name, an expression's
 * FigureIndexColname label (`expr` when it has none); a name equal to an
 * earlier one gets the first free digit suffix (`a`, `a1`, `a2`), clipped so
 * that name and digits fit in 63 bytes.
 */
export function indexColumnNames(labels: string[]): string[] {
  const out: string[] = [];
  for (const orig of labels) {
    let cur = orig;
    for (let i = 1; out.includes(cur); i++) {
      const digits = String(i);
      cur = clipBytes(orig, MAX_IDENT_BYTES - digits.length) + digits;
    }
    out.push(cur);
  }
  return out;
}

export type IndexNameKind = 'pkey' | 'key' | 'excl' | 'idx';

/**
 * ChooseIndexName (indexcmds.c): `t_pkey` for a primary key (the columns play
 * no part), `t_<cols>_excl` for an exclusion constraint, `t_<cols>_key` for a
 * unique constraint, `t_<cols>_idx` for any other index (CREATE UNIQUE INDEX
 * included). `taken` must say whether a relation of that name exists in the
 * schema and, for the three constraint kinds, also whether a constraint of that
 * name exists anywhere in the schema.
 */
export function chooseIndexName(
  table: string,
  columnNames: string[],
  kind: IndexNameKind,
  taken: (name: string) => boolean,
  memo?: NameMemo,
): string {
  if (kind === 'pkey') return chooseName(table, undefined, 'pkey', taken, memo);
  return chooseName(table, nameAddition(columnNames), kind, taken, memo);
}

/**
 * The name of an unnamed CHECK constraint (AddRelationNewConstraints, heap.c):
 * `t_<col>_check` when the expression reads exactly one column, `t_check`
 * otherwise, wherever the constraint was written; ChooseConstraintName then
 * de-duplicates against every constraint of the schema and the names chosen
 * earlier in the same statement.
 */
export function chooseCheckName(
  table: string,
  columnsRead: string[],
  taken: (name: string) => boolean,
  memo?: NameMemo,
): string {
  const distinct = [...new Set(columnsRead)];
  return chooseName(table, distinct.length === 1 ? distinct[0] : undefined, 'check', taken, memo);
}

/** An unnamed FOREIGN KEY (ATExecAddConstraint, tablecmds.c): `t_<cols>_fkey`, de-duplicated schema-wide. */
export function chooseForeignKeyName(
  table: string,
  columns: string[],
  taken: (name: string) => boolean,
  memo?: NameMemo,
): string {
  return chooseName(table, nameAddition(columns), 'fkey', taken, memo);
}

/**
 * The sequence of a serial or identity column (generateSerialSequence,
 * parse_utilcmd.c): ChooseRelationName(table, column, "seq"), in the table's
 * schema.
 */
export function chooseSequenceName(
  table: string,
  column: string,
  taken: (name: string) => boolean,
  memo?: NameMemo,
): string {
  return chooseName(table, column, 'seq', taken, memo);
}

/** The unnamed constraint of a domain (domainAddConstraint, typecmds.c): `d_check`. */
export function chooseDomainCheckName(
  domain: string,
  taken: (name: string) => boolean,
  memo?: NameMemo,
): string {
  return chooseName(domain, undefined, 'check', taken, memo);
}

/**
 * makeMultirangeTypeName (typecmds.c): the multirange type CREATE TYPE ... AS
 * RANGE creates beside the range: the first `range` in the name becomes
 * `multirange`, else `_multirange` is appended (to at most 52 bytes of the
 * name); clipped to 63 bytes.
 */
export function multirangeTypeName(range: string): string {
  const at = range.indexOf('range');
  const raw =
    at >= 0
      ? `${range.slice(0, at)}multi${range.slice(at)}`
      : `${clipBytes(range, MAX_IDENT_BYTES + 1 - 12)}_multirange`;
  return clipBytes(raw, MAX_IDENT_BYTES);
}
