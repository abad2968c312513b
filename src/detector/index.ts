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
export { parseScript, TEMP_SCHEMA } from './parser.js';
export type * from './types.js';

/**
 * The version of the object model parseScript yields. The registry stores
 * each intent's objects with it, and re-derives them when it changes: bump it
 * whenever the objects for the same input change in a way detection sees.
 */
export const MODEL_VERSION = 1;
