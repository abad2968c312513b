/**
 * pggit's DDL detector: lexer, DDL object model and conflict rules.
 *
 * Pure TypeScript (ES2020, no I/O, no Node API): the same module runs in Node
 * and, bundled by esbuild, inside PostgreSQL (PLV8).
 *
 * Parse once, compare many:
 *
 *   const mine = prepareIntent(intent);              // parses once
 *   mine.keys                                        // = conflictKeys(intent, mine.parsed)
 *   for (const other of candidates) {
 *     const theirs = prepareIntent(other, other.parsed); // stored ParseResult: no re-parse
 *     const reports = detectPrepared(mine, theirs);
 *   }
 *
 * or, with plain parse results: `detectParsed(a, parsedA, b, parsedB)`.
 */
export {
  conflictKeys,
  detectConflicts,
  detectParsed,
  detectPrepared,
  normalizeTableName,
  type PreparedIntent,
  prepareIntent,
  SHARED_SCHEMAS,
} from './conflicts.js';
export {
  isTrivia,
  type StatementSpan,
  splitStatements,
  type Token,
  type TokenType,
  tokenize,
} from './lexer.js';
export {
  foldIdent,
  normalizeFeatureName,
  normalizeTypeName,
  qualify,
  quoteIdent,
} from './names.js';
export {
  byteLength,
  chooseCheckName,
  chooseForeignKeyName,
  chooseIndexName,
  chooseSequenceName,
  clipBytes,
  indexColumnNames,
  makeObjectName,
  multirangeTypeName,
} from './naming.js';
export { countStatements, parseScript, TEMP_SCHEMA } from './parser.js';
/**
 * Version of the object model `parseScript` yields. Bumped whenever the objects
 * parsed from the same input change in a way that matters for detection, so that
 * objects stored with an older version are parsed again.
 *
 * 1: the model before implicit objects. 2: implicit indexes, sequences and
 * constraints, PostgreSQL's names, column references of views, expressions and
 * bodies, DO blocks, enum labels. 3: the search path as PostgreSQL keeps it
 * (pg_catalog first in a path, SET LOCAL and ROLLBACK, RESET, SET SCHEMA;
 * string bodies resolved with their caller's path, never pg_dump's empty one;
 * ALTER TABLE of a sequence or view the script created alters that; the tables
 * and schemas a publication names). 4: standard_conforming_strings as the
 * script sets it (off: backslash escapes in '...' literals, which decide where
 * statements end).
 */
export const MODEL_VERSION = 4;
export type * from './types.js';
