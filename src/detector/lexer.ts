/**
 * A lexer for PostgreSQL scripts, following the rules of PostgreSQL's own
 * scanner (scan.l) closely enough to find identifiers, literals and statement
 * boundaries. It never throws, runs in linear time, and the texts of the tokens
 * it returns (whitespace and comments included) concatenate back to the input.
 */
import { foldIdent, truncateIdent } from './names.js';

export type TokenType =
  /** Whitespace. */
  | 'space'
  /** `-- ...` or (nested) `/* ... *\/`. */
  | 'comment'
  /** A psql meta-command line (`\connect db`), skipped like a comment. */
  | 'meta'
  /** The data lines after `COPY ... FROM STDIN;`, up to and including the `\.` line. */
  | 'copydata'
  /** An unquoted identifier or keyword; `value` is case-folded and truncated. */
  | 'ident'
  /** `"Quoted"` or `U&"..."` identifier; `value` is the exact (decoded) name. */
  | 'qident'
  /** `'...'`, `E'...'`, `B'...'`, `X'...'`, `N'...'`, `U&'...'`; `value` is the decoded content. */
  | 'string'
  /** `$tag$ ... $tag$`; `value` is the body. */
  | 'dollar'
  | 'number'
  /** `$1`. */
  | 'param'
  /** Operators, and any character the scanner does not otherwise recognise. */
  | 'op'
  /** `( ) [ ] , ; : :: . ..` */
  | 'punct';

export interface Token {
  type: TokenType;
  /** The exact source text. */
  text: string;
  /** Offsets into the input: text === input.slice(start, end). */
  start: number;
  end: number;
  /** Identifiers: the normalised name. Strings and dollar quotes: the content. */
  value?: string;
  /** Set when a quote, comment or dollar body runs to the end of the input. */
  unterminated?: boolean;
  /**
   * Set when PostgreSQL's scanner would reject the token: an invalid escape in
   * a U&'' / U&"" / E'' literal (a NUL, a lone surrogate, a malformed escape,
   * bytes that are not UTF-8), a zero-length "" identifier, a bad UESCAPE.
   * `value` then keeps the escapes undecoded, so it never holds a NUL or a lone
   * surrogate.
   */
  error?: string;
}

/** Whitespace, comments and psql meta-commands: tokens that carry no meaning. */
export function isTrivia(t: Token): boolean {
  return t.type === 'space' || t.type === 'comment' || t.type === 'meta' || t.type === 'copydata';
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentCont(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** PostgreSQL's operator characters. */
function isOpChar(c: number): boolean {
  // + - * / < > = ~ ! @ # % ^ & | ` ?
  return (
    c === 43 ||
    c === 45 ||
    c === 42 ||
    c === 47 ||
    c === 60 ||
    c === 62 ||
    c === 61 ||
    c === 126 ||
    c === 33 ||
    c === 64 ||
    c === 35 ||
    c === 37 ||
    c === 94 ||
    c === 38 ||
    c === 124 ||
    c === 96 ||
    c === 63
  );
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

interface Decoded {
  value: string;
  error?: string;
}

function isSurrogateFirst(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isSurrogateSecond(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * One escaped code point, as PostgreSQL takes them in U&'' and E'' text: what
 * to append and the pending first half of a surrogate pair (-1: none; a pair
 * must be two escapes in a row), or the error. Code point 0, values above
 * U+10FFFF and lone surrogates are errors.
 */
function escapedCodePoint(
  cp: number,
  pairFirst: number,
): { text: string; pairFirst: number } | { error: string } {
  if (pairFirst >= 0) {
    if (!isSurrogateSecond(cp)) return { error: 'invalid Unicode surrogate pair' };
    const joined = 0x10000 + ((pairFirst - 0xd800) << 10) + (cp - 0xdc00);
    return { text: String.fromCodePoint(joined), pairFirst: -1 };
  }
  if (cp === 0 || cp > 0x10ffff) return { error: 'invalid Unicode escape value' };
  if (isSurrogateFirst(cp)) return { text: '', pairFirst: cp };
  if (isSurrogateSecond(cp)) return { error: 'invalid Unicode surrogate pair' };
  return { text: String.fromCodePoint(cp), pairFirst: -1 };
}

/**
 * Decodes the body of a U&'' string or U&"" identifier with the given escape
 * character, as PostgreSQL's str_udeescape: `<esc>XXXX`, `<esc>+XXXXXX`,
 * `<esc><esc>`; a surrogate pair must be two escapes in a row; code point 0,
 * values above U+10FFFF, lone surrogates and malformed escapes are errors.
 */
export function decodeUnicodeEscapes(body: string, esc: string): Decoded {
  let out = '';
  let i = 0;
  let pairFirst = -1;
  const fail = (error: string): Decoded => ({ value: body, error });
  while (i < body.length) {
    const ch = body[i] as string;
    if (ch !== esc) {
      if (pairFirst >= 0) return fail('invalid Unicode surrogate pair');
      out += ch;
      i++;
      continue;
    }
    if (body[i + 1] === esc) {
      if (pairFirst >= 0) return fail('invalid Unicode surrogate pair');
      out += esc;
      i += 2;
      continue;
    }
    let digits = 4;
    let j = i + 1;
    if (body[j] === '+') {
      digits = 6;
      j++;
    }
    let ok = j + digits <= body.length;
    for (let k = 0; ok && k < digits; k++) ok = isHex(body.charCodeAt(j + k));
    if (!ok) return fail('invalid Unicode escape');
    const r = escapedCodePoint(Number.parseInt(body.slice(j, j + digits), 16), pairFirst);
    i = j + digits;
    if ('error' in r) return fail(r.error);
    out += r.text;
    pairFirst = r.pairFirst;
  }
  if (pairFirst >= 0) return fail('invalid Unicode surrogate pair');
  return { value: out };
}

/** UTF-8 bytes to a string; undefined when they are not valid UTF-8 (or hold a NUL). */
function utf8Decode(bytes: number[]): string | undefined {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    let cp: number;
    let need: number;
    if (b === 0) return undefined;
    if (b < 0x80) {
      cp = b;
      need = 0;
    } else if (b >= 0xc2 && b <= 0xdf) {
      cp = b & 0x1f;
      need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      cp = b & 0x0f;
      need = 2;
    } else if (b >= 0xf0 && b <= 0xf4) {
      cp = b & 0x07;
      need = 3;
    } else return undefined;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (
      (need === 2 && cp < 0x800) ||
      (need === 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff)
    )
      return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * The content of an E'' string, as PostgreSQL's scanner reads it: `\b \f \n
 * \r \t`, octal and hex byte escapes (which together must form valid UTF-8
 * without a NUL), `\uXXXX` and `\UXXXXXXXX` (surrogate pairs as two `\u`),
 * any other escaped character as itself, `''` as a quote.
 */
function decodeEString(body: string): Decoded {
  let out = '';
  let bytes: number[] | undefined;
  let pairFirst = -1;
  const fail = (error: string): Decoded => ({ value: body, error });
  const flushBytes = (): boolean => {
    if (!bytes) return true;
    const s = utf8Decode(bytes);
    bytes = undefined;
    if (s === undefined) return false;
    out += s;
    return true;
  };
  let i = 0;
  while (i < body.length) {
    const ch = body[i] as string;
    const isUnicode = ch === '\\' && (body[i + 1] === 'u' || body[i + 1] === 'U');
    if (pairFirst >= 0 && !isUnicode) return fail('invalid Unicode surrogate pair');
    if (ch === "'" && body[i + 1] === "'") {
      if (!flushBytes()) return fail('invalid byte sequence for encoding "UTF8"');
      out += "'";
      i += 2;
      continue;
    }
    if (ch !== '\\' || i + 1 >= body.length) {
      if (!flushBytes()) return fail('invalid byte sequence for encoding "UTF8"');
      out += ch;
      i++;
      continue;
    }
    const n = body[i + 1] as string;
    if (n === 'x' && isHex(body.charCodeAt(i + 2))) {
      let j = i + 2;
      while (j < body.length && j < i + 4 && isHex(body.charCodeAt(j))) j++;
      bytes ??= [];
      bytes.push(Number.parseInt(body.slice(i + 2, j), 16));
      i = j;
      continue;
    }
    if (n >= '0' && n <= '7') {
      let j = i + 1;
      while (j < body.length && j < i + 4 && body.charCodeAt(j) >= 48 && body.charCodeAt(j) <= 55)
        j++;
      bytes ??= [];
      bytes.push(Number.parseInt(body.slice(i + 1, j), 8) & 0xff);
      i = j;
      continue;
    }
    if (!flushBytes()) return fail('invalid byte sequence for encoding "UTF8"');
    if (n === 'u' || n === 'U') {
      const len = n === 'u' ? 4 : 8;
      let ok = i + 2 + len <= body.length;
      for (let k = 0; ok && k < len; k++) ok = isHex(body.charCodeAt(i + 2 + k));
      if (!ok) return fail('invalid Unicode escape');
      const r = escapedCodePoint(Number.parseInt(body.slice(i + 2, i + 2 + len), 16), pairFirst);
      i += 2 + len;
      if ('error' in r) return fail(r.error);
      out += r.text;
      pairFirst = r.pairFirst;
      continue;
    }
    out += SIMPLE_ESCAPES[n] ?? n;
    i += 2;
  }
  if (pairFirst >= 0) return fail('invalid Unicode surrogate pair');
  if (!flushBytes()) return fail('invalid byte sequence for encoding "UTF8"');
  return { value: out };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NUL = String.fromCharCode(0);

/**
 * Characters no PostgreSQL text can hold (a NUL, a lone UTF-16 surrogate),
 * each replaced by U+FFFD (same length, so offsets stay), with the offset of the
 * first one (-1 when there is none).
 */
const MAYBE_SURROGATE = /[\ud800-\udfff]/;

export function replaceInvalidChars(sql: string): { text: string; first: number } {
  const nul = sql.indexOf(NUL);
  if (nul < 0 && !MAYBE_SURROGATE.test(sql)) return { text: sql, first: -1 };
  LONE_SURROGATE.lastIndex = 0;
  const m = LONE_SURROGATE.exec(sql);
  if (nul < 0 && !m) return { text: sql, first: -1 };
  const first = nul < 0 ? (m?.index ?? -1) : m ? Math.min(nul, m.index) : nul;
  return { text: sql.split(NUL).join('\ufffd').replace(LONE_SURROGATE, '\ufffd'), first };
}

/** Tokenizes `sql`. Never throws; O(n). */
export function tokenize(sql: string): Token[] {
  return lex(sql, true);
}

/**
 * The scanner. With `trivia` false, whitespace, comments and meta-commands are
 * scanned but not returned (except an unterminated comment, so that callers can
 * warn about it): the parser does not need them, and not allocating them halves
 * the work on large scripts.
 */
export function lex(sql: string, trivia: boolean, options?: LexOptions): Token[] {
  return lexUpTo(sql, trivia, undefined, options).tokens;
}

export interface LexOptions {
  /**
   * standard_conforming_strings (default on, as PostgreSQL since 9.1). Off, a
   * backslash in a '...' or N'...' literal is an escape, as in E'...', and
   * U&'...' is an error.
   */
  standardStrings?: boolean;
  /** Where to start: the end of a token of an earlier lexing (default 0). */
  from?: number;
}

/**
 * The scanner, stopping as soon as statement `maxStatements + 1` begins (its
 * first significant token is not returned; `truncated` says so): the caller can
 * refuse a script over a limit in time proportional to the limit.
 */
export function lexUpTo(
  sql: string,
  trivia: boolean,
  maxStatements?: number,
  options?: LexOptions,
): { tokens: Token[]; truncated: boolean } {
  const standardStrings = options?.standardStrings !== false;
  const out: Token[] = [];
  // statement counting, as splitTokens counts (semicolons inside BEGIN ATOMIC
  // bodies of CREATE FUNCTION/PROCEDURE do not end a statement)
  let statements = 0;
  let inStatement = false;
  let firstWord: string | undefined;
  let prevWord: string | undefined;
  let atomic = 0;
  let stop = false;
  const n = sql.length;
  let i = options?.from ?? 0;
  // a token's end is never at the start of a line (only whitespace ends with a newline)
  let atLineStart = i === 0;
  // COPY ... FROM STDIN (pg_dump's data sections): the lines after the
  // statement are data, not SQL. 0: nothing seen, 1: FROM seen, 2: FROM STDIN.
  let statementStart = true;
  let inCopy = false;
  let copyFrom = 0;
  const push = (
    type: TokenType,
    start: number,
    end: number,
    value?: string,
    unterminated?: boolean,
    text?: string,
    error?: string,
  ) => {
    if (type !== 'space' && type !== 'comment' && type !== 'meta' && type !== 'copydata') {
      if (maxStatements !== undefined) {
        const isSemi = type === 'punct' && end - start === 1 && sql.charCodeAt(start) === 59;
        if (isSemi && atomic === 0) {
          if (inStatement) statements++;
          inStatement = false;
          firstWord = undefined;
          prevWord = undefined;
        } else {
          if (!inStatement && statements >= maxStatements) {
            stop = true;
            return;
          }
          if (!inStatement) firstWord = type === 'ident' ? value : '';
          inStatement = true;
          if (type === 'ident') {
            if (atomic > 0) {
              if (value === 'case') atomic++;
              else if (value === 'end') atomic--;
            } else if (value === 'atomic' && prevWord === 'begin' && firstWord === 'create')
              atomic = 1;
            prevWord = value;
          } else prevWord = undefined;
        }
      }
      if (statementStart) {
        inCopy = type === 'ident' && value === 'copy';
        copyFrom = 0;
        statementStart = false;
      } else if (inCopy && copyFrom < 2) {
        if (type === 'ident' && value === 'from') copyFrom = 1;
        else if (copyFrom === 1) copyFrom = type === 'ident' && value === 'stdin' ? 2 : 0;
      }
      if (type === 'punct' && end - start === 1 && sql.charCodeAt(start) === 59) {
        statementStart = true;
      }
    }
    if (
      !trivia &&
      !unterminated &&
      (type === 'space' || type === 'comment' || type === 'meta' || type === 'copydata')
    ) {
      return;
    }
    // one shape for every token (fields may be undefined) keeps property access
    // monomorphic; the rare error adds a field
    const tok: Token = {
      type,
      text: text ?? sql.slice(start, end),
      start,
      end,
      value,
      unterminated: unterminated === true ? true : undefined,
    };
    if (error !== undefined) tok.error = error;
    out.push(tok);
  };
  /** Scans a '...' body starting after the opening quote; returns [end, terminated]. */
  const scanQuoted = (from: number, quote: number, backslash: boolean): [number, boolean] => {
    let j = from;
    while (j < n) {
      const c = sql.charCodeAt(j);
      if (backslash && c === 92) {
        j += 2;
        continue;
      }
      if (c === quote) {
        if (sql.charCodeAt(j + 1) === quote) {
          j += 2;
          continue;
        }
        return [j + 1, true];
      }
      j++;
    }
    return [n, false];
  };

  while (i < n && !stop) {
    const c = sql.charCodeAt(i);
    const start = i;
    // whitespace
    if (isSpace(c)) {
      let sawNewline = false;
      let j = i;
      while (j < n && isSpace(sql.charCodeAt(j))) {
        if (sql.charCodeAt(j) === 10) sawNewline = true;
        j++;
      }
      // after the last newline, only spaces and tabs keep us "at line start"
      push('space', i, j);
      if (sawNewline) atLineStart = true;
      i = j;
      continue;
    }
    const wasLineStart = atLineStart;
    atLineStart = false;
    const c1 = i + 1 < n ? sql.charCodeAt(i + 1) : -1;
    // -- comment
    if (c === 45 && c1 === 45) {
      let j = i + 2;
      while (j < n && sql.charCodeAt(j) !== 10 && sql.charCodeAt(j) !== 13) j++;
      push('comment', i, j);
      i = j;
      continue;
    }
    // /* nested comment */
    if (c === 47 && c1 === 42) {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        const d = sql.charCodeAt(j);
        if (d === 47 && sql.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (d === 42 && sql.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      push('comment', i, Math.min(j, n), undefined, depth > 0);
      i = Math.min(j, n);
      continue;
    }
    // psql meta-command line
    if (c === 92 && wasLineStart) {
      let j = i + 1;
      while (j < n && sql.charCodeAt(j) !== 10) j++;
      push('meta', i, j);
      i = j;
      continue;
    }
    // prefixed strings and identifiers: E'', B'', X'', N'', U&'', U&""
    if ((c === 69 || c === 101) && c1 === 39) {
      const [end, ok] = scanQuoted(i + 2, 39, true);
      const d = decodeEString(sql.slice(i + 2, ok ? end - 1 : end));
      push('string', i, end, d.value, !ok, undefined, d.error);
      i = end;
      continue;
    }
    // N'' is a plain literal: with standard_conforming_strings off, escapes too
    if ((c === 78 || c === 110) && c1 === 39 && !standardStrings) {
      const [end, ok] = scanQuoted(i + 2, 39, true);
      const d = decodeEString(sql.slice(i + 2, ok ? end - 1 : end));
      push('string', i, end, d.value, !ok, undefined, d.error);
      i = end;
      continue;
    }
    if ((c === 66 || c === 98 || c === 88 || c === 120 || c === 78 || c === 110) && c1 === 39) {
      const [end, ok] = scanQuoted(i + 2, 39, false);
      push('string', i, end, sql.slice(i + 2, ok ? end - 1 : end).replace(/''/g, "'"), !ok);
      i = end;
      continue;
    }
    if ((c === 85 || c === 117) && c1 === 38) {
      const q = i + 2 < n ? sql.charCodeAt(i + 2) : -1;
      if (q === 39 || q === 34) {
        const [end, ok] = scanQuoted(i + 3, q, false);
        const d = decodeUnicodeToken(sql.slice(i, end), !ok, '\\');
        // PostgreSQL refuses U&'' when standard_conforming_strings is off
        const error =
          q === 39 && !standardStrings
            ? 'unsafe use of string constant with Unicode escapes'
            : d.error;
        push(q === 39 ? 'string' : 'qident', i, end, d.value, !ok, undefined, error);
        i = end;
        continue;
      }
    }
    // 'string' (with standard_conforming_strings off, read as E'string')
    if (c === 39) {
      if (!standardStrings) {
        const [end, ok] = scanQuoted(i + 1, 39, true);
        const d = decodeEString(sql.slice(i + 1, ok ? end - 1 : end));
        push('string', i, end, d.value, !ok, undefined, d.error);
        i = end;
        continue;
      }
      const [end, ok] = scanQuoted(i + 1, 39, false);
      push('string', i, end, sql.slice(i + 1, ok ? end - 1 : end).replace(/''/g, "'"), !ok);
      i = end;
      continue;
    }
    // "identifier"
    if (c === 34) {
      const [end, ok] = scanQuoted(i + 1, 34, false);
      const v = sql.slice(i + 1, ok ? end - 1 : end).replace(/""/g, '"');
      const error = ok && v === '' ? 'zero-length delimited identifier' : undefined;
      push('qident', i, end, truncateIdent(v), !ok, undefined, error);
      i = end;
      continue;
    }
    // identifiers and keywords
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentCont(sql.charCodeAt(j))) j++;
      const raw = sql.slice(i, j);
      push('ident', i, j, truncateIdent(foldIdent(raw)), undefined, raw);
      i = j;
      continue;
    }
    // $1 params and $tag$ dollar quotes
    if (c === 36) {
      if (isDigit(c1)) {
        let j = i + 1;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
        push('param', i, j);
        i = j;
        continue;
      }
      let j = i + 1;
      if (j < n && isIdentStart(sql.charCodeAt(j))) {
        j++;
        while (j < n) {
          const d = sql.charCodeAt(j);
          if (!(isIdentStart(d) || isDigit(d))) break;
          j++;
        }
      }
      if (j < n && sql.charCodeAt(j) === 36) {
        const delim = sql.slice(i, j + 1);
        const close = sql.indexOf(delim, j + 1);
        if (close < 0) {
          push('dollar', i, n, sql.slice(j + 1), true);
          i = n;
        } else {
          push('dollar', i, close + delim.length, sql.slice(j + 1, close));
          i = close + delim.length;
        }
        continue;
      }
      push('op', i, i + 1);
      i++;
      continue;
    }
    // numbers
    if (isDigit(c) || (c === 46 && isDigit(c1))) {
      let j = i;
      if (
        c === 48 &&
        (c1 === 120 || c1 === 88 || c1 === 111 || c1 === 79 || c1 === 98 || c1 === 66)
      ) {
        j = i + 2;
        while (j < n && (isHex(sql.charCodeAt(j)) || sql.charCodeAt(j) === 95)) j++;
      } else {
        while (j < n && (isDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 95)) j++;
        if (sql.charCodeAt(j) === 46 && sql.charCodeAt(j + 1) !== 46) {
          j++;
          while (j < n && (isDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 95)) j++;
        }
        const e = sql.charCodeAt(j);
        if (e === 101 || e === 69) {
          let k = j + 1;
          const s = sql.charCodeAt(k);
          if (s === 43 || s === 45) k++;
          if (isDigit(sql.charCodeAt(k))) {
            while (k < n && isDigit(sql.charCodeAt(k))) k++;
            j = k;
          }
        }
      }
      push('number', start, j);
      i = j;
      continue;
    }
    // punctuation
    if (c === 40 || c === 41 || c === 91 || c === 93 || c === 44 || c === 59) {
      const copyData = c === 59 && inCopy && copyFrom === 2;
      push('punct', i, i + 1);
      i++;
      if (copyData) {
        // the rest of this line, then data lines up to a line that is `\.`
        let j = sql.indexOf('\n', i);
        while (j >= 0) {
          const next = sql.indexOf('\n', j + 1);
          const line = sql.slice(j + 1, next < 0 ? n : next).replace(/\r$/, '');
          if (line === '\\.') {
            j = next < 0 ? n : next + 1;
            break;
          }
          j = next;
        }
        const end = j < 0 ? n : j;
        if (end > i) push('copydata', i, end);
        inCopy = false;
        i = end;
        atLineStart = true;
      }
      continue;
    }
    if (c === 58) {
      const len = c1 === 58 || c1 === 61 ? 2 : 1;
      push('punct', i, i + len);
      i += len;
      continue;
    }
    if (c === 46) {
      const len = c1 === 46 ? 2 : 1;
      push('punct', i, i + len);
      i += len;
      continue;
    }
    // operators
    if (isOpChar(c)) {
      let j = i + 1;
      while (j < n && isOpChar(sql.charCodeAt(j))) {
        const d = sql.charCodeAt(j);
        const e = sql.charCodeAt(j + 1);
        if ((d === 45 && e === 45) || (d === 47 && e === 42)) break;
        j++;
      }
      push('op', i, j);
      i = j;
      continue;
    }
    // anything else (NUL, lone surrogates are >= 128 and thus identifier chars, ...)
    push('op', i, i + 1);
    i++;
  }
  applyUescape(out);
  return { tokens: out, truncated: stop };
}

/** The value of a `U&'...'` string or `U&"..."` identifier (truncated like any identifier). */
function decodeUnicodeToken(text: string, unterminated: boolean, esc: string): Decoded {
  const q = text.charCodeAt(2);
  const raw = text.slice(3, unterminated ? text.length : text.length - 1);
  const d = decodeUnicodeEscapes(q === 39 ? raw.replace(/''/g, "'") : raw.replace(/""/g, '"'), esc);
  if (q !== 34) return d;
  if (d.error === undefined && d.value === '' && !unterminated) {
    return { value: '', error: 'zero-length delimited identifier' };
  }
  return { value: truncateIdent(d.value), error: d.error };
}

/** A UESCAPE character PostgreSQL accepts: one character, not a hex digit, `+`, a quote or white space. */
function validEscapeChar(e: string): boolean {
  if (e.length !== 1) return false;
  const c = e.charCodeAt(0);
  return !(isHex(c) || c === 43 || c === 39 || c === 34 || isSpace(c));
}

/** Re-decodes U&'' / U&"" tokens that are followed by UESCAPE 'c'. */
function applyUescape(tokens: Token[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.type !== 'string' && t.type !== 'qident') continue;
    if (!/^[uU]&/.test(t.text)) continue;
    let j = i + 1;
    while (j < tokens.length && isTrivia(tokens[j] as Token)) j++;
    const kw = tokens[j];
    if (kw?.type !== 'ident' || kw.value !== 'uescape') continue;
    j++;
    while (j < tokens.length && isTrivia(tokens[j] as Token)) j++;
    const esc = tokens[j];
    if (esc?.type !== 'string' || esc.value === undefined || !validEscapeChar(esc.value)) {
      t.error = 'invalid Unicode escape character';
      continue;
    }
    const d = decodeUnicodeToken(t.text, t.unterminated === true, esc.value);
    t.value = d.value;
    t.error = d.error;
  }
}

export interface StatementSpan {
  /** The statement's text without surrounding whitespace/comments and without the `;`. */
  text: string;
  start: number;
  end: number;
}

/** Internal: statements as token index ranges over the full token list. */
export interface TokenStatement extends StatementSpan {
  /** Significant (non-trivia) tokens of the statement. */
  tokens: Token[];
}

/**
 * Splits already-tokenized input on top-level semicolons. Semicolons inside
 * quotes, comments and dollar bodies are inside tokens already; those inside
 * `BEGIN ATOMIC ... END` bodies of CREATE FUNCTION/PROCEDURE are skipped too.
 */
export function splitTokens(sql: string, tokens: Token[]): TokenStatement[] {
  const out: TokenStatement[] = [];
  let cur: Token[] = [];
  let atomic = 0;
  const flush = () => {
    if (cur.length > 0) {
      const first = cur[0] as Token;
      const last = cur[cur.length - 1] as Token;
      out.push({
        text: sql.slice(first.start, last.end),
        start: first.start,
        end: last.end,
        tokens: cur,
      });
    }
    cur = [];
    atomic = 0;
  };
  for (const t of tokens) {
    if (isTrivia(t)) continue;
    if (t.type === 'punct' && t.text === ';' && atomic === 0) {
      flush();
      continue;
    }
    if (t.type === 'ident') {
      if (atomic > 0) {
        if (t.value === 'case') atomic++;
        else if (t.value === 'end') atomic--;
      } else if (
        t.value === 'atomic' &&
        cur.length > 0 &&
        (cur[cur.length - 1] as Token).type === 'ident' &&
        (cur[cur.length - 1] as Token).value === 'begin' &&
        (cur[0] as Token).type === 'ident' &&
        (cur[0] as Token).value === 'create'
      ) {
        atomic = 1;
      }
    }
    cur.push(t);
  }
  flush();
  return out;
}

/** Splits a script into statements on top-level semicolons. */
export function splitStatements(sql: string): StatementSpan[] {
  return splitTokens(sql, tokenize(sql)).map(({ text, start, end }) => ({ text, start, end }));
}
